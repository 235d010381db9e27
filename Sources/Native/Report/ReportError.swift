/// A run folder, log, config or submission that cannot be read or written as expected: the
/// message names the file (and line or row) and what was expected.
public struct ReportError: Error, CustomStringConvertible, Equatable {
    public var subject: String
    public var reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}
