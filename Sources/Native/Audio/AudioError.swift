/// A failure to read, write or convert audio. The message names the file or option involved
/// and what was expected, so a script author can act on it.
public struct AudioError: Error, CustomStringConvertible, Equatable {
    /// The file path, or the name of the option, that the failure is about.
    public var subject: String
    /// What went wrong and what was expected instead.
    public var reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}
