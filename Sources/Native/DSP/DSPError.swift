/// A DSP option or input outside what the computation is defined for. The message names the
/// option and the values it accepts.
public struct DSPError: Error, CustomStringConvertible, Equatable {
    public var option: String
    public var reason: String

    public init(_ option: String, _ reason: String) {
        self.option = option
        self.reason = reason
    }

    public var description: String { "\(option): \(reason)" }
}
