import Foundation

/// Makes a file appear whole or not at all: `body` writes to a temporary path in the same folder
/// as `path` (so the rename cannot cross file systems), which is then renamed over `path`.
/// On any failure the temporary file is removed and `path` is left as it was.
func writeAtomically(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SerializationError(path, "the folder \(folder) does not exist")
    }
    let suffix = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))"
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(suffix).tmp")
        .path
    do {
        try body(temporary)
        guard rename(temporary, path) == 0 else {
            throw SerializationError(
                path, "cannot move the written file into place: \(String(cString: strerror(errno)))")
        }
    } catch {
        unlink(temporary)
        throw error
    }
}

/// Removes the temporary files `writeAtomically` left in `folder` for names starting with
/// `prefix` when their writer was killed mid-write (its process id, in the name, is gone), so
/// that interrupted builds do not pile up. Another live process's file is left alone.
func removeAbandonedTemporaries(in folder: String, prefix: String) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for name in names where name.hasPrefix("." + prefix) && name.hasSuffix(".tmp") {
        // .<name>.<pid>-<nonce>.tmp
        let fields = name.dropLast(4).split(separator: ".")
        guard let owner = fields.last?.split(separator: "-").first, let pid = Int32(owner), pid > 0,
            pid != getpid()
        else { continue }
        if kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + name) }
    }
}

/// A file that could not be read or written in a serialization format (.npy, ...). The message
/// names the file and what was expected.
public struct SerializationError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
