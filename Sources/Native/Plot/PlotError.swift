/// A figure that cannot be drawn or written: the message names the file, panel or series and
/// what was expected.
public struct PlotError: Error, CustomStringConvertible, Equatable {
    public var subject: String
    public var reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}
