import Foundation

/// Where text output goes: standard output, or anything a test or a host captures it into.
public struct TextSink: Sendable {
    public let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Standard output. C's stdio buffers (where Lua's `print` writes) are flushed first, so
    /// a script's own lines and the progress output appear in the order they were made.
    public static let standardOutput = TextSink { text in
        fflush(nil)
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
