/// A failure of the data pipeline: the file, folder or option involved and what was expected.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The path or option name the failure is about.
    public var subject: String
    /// What went wrong and what was expected instead.
    public var reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}

/// Everything wrong with a data set's layout, found in one pass and reported together, so a
/// user fixes the folder once instead of once per problem.
public struct DataSetError: Error, CustomStringConvertible, Equatable {
    public var root: String
    /// One line per problem, each naming the file or folder (relative to `root`).
    public var problems: [String]

    public var description: String {
        let shown = problems.prefix(50).map { "  - \($0)" }.joined(separator: "\n")
        let more = problems.count > 50 ? "\n  ... and \(problems.count - 50) more" : ""
        return
            "\(root): not a valid Messy Mashup data set (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + shown + more
    }
}
