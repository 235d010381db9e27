/// Inputs the metrics cannot score: the message names the argument and what was expected.
public struct MetricsError: Error, CustomStringConvertible, Equatable {
    public var argument: String
    public var reason: String

    public init(_ argument: String, _ reason: String) {
        self.argument = argument
        self.reason = reason
    }

    public var description: String { "\(argument): \(reason)" }
}
