import Foundation

/// Makes a file appear whole or not at all: `body` writes to a temporary path in the same folder
/// as `path` (so the rename cannot cross file systems), which is then renamed over `path`.
/// On any failure the temporary file is removed and `path` is left as it was.
///
/// `durable` writes (checkpoints, run records, submissions) also survive a power cut: the
/// temporary file is flushed to disk before the rename and the folder after it, and temporary
/// files of the same name left by killed writers are removed first. Files that are cheap to
/// make again (rendered audio, caches) skip both: a synthetic data set writes thousands.
func writeAtomically(to path: String, durable: Bool = true, _ body: (_ temporaryPath: String) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SerializationError(path, "the folder \(folder) does not exist")
    }
    if durable { removeAbandonedTemporaries(in: folder, prefix: url.lastPathComponent + ".") }
    let suffix = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt64.random(in: 0...UInt64.max))"
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(suffix).tmp")
        .path
    do {
        try body(temporary)
        if durable { try flushToDisk(temporary, naming: path) }
        guard rename(temporary, path) == 0 else {
            throw SerializationError(
                path, "cannot move the written file into place: \(String(cString: strerror(errno)))")
        }
    } catch {
        unlink(temporary)
        throw error
    }
    // The rename is in place; a folder that cannot be flushed (some network file systems) only
    // weakens the guarantee against a power cut, so it is not an error.
    if durable { try? flushToDisk(folder, naming: path) }
}

/// fsync of a file or folder; the error names `naming`, the file being written.
private func flushToDisk(_ path: String, naming: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
        throw SerializationError(naming, "cannot open \(path) to flush it: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    guard fsync(fd) == 0 else {
        throw SerializationError(naming, "cannot flush \(path) to disk: \(String(cString: strerror(errno)))")
    }
}

/// Removes the temporary files that writes of names starting with `prefix` left in `folder`
/// when their writer was killed mid-write (its process id, in the name, is gone), so killed
/// saves (a checkpoint's is 45 MB) do not pile up. Another live process's file is left alone.
/// Names: `.<name>.<pid>-<nonce>.tmp`, and `.<name>.tmp-<pid>` from earlier versions.
func removeAbandonedTemporaries(in folder: String, prefix: String) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for name in names where name.hasPrefix("." + prefix) {
        let owner: Substring?
        if name.hasSuffix(".tmp") {
            owner = name.dropLast(4).split(separator: ".").last?.split(separator: "-").first
        } else if let range = name.range(of: ".tmp-", options: .backwards) {
            owner = name[range.upperBound...]
        } else {
            continue
        }
        guard let owner, let pid = Int32(owner), pid > 0, pid != getpid() else { continue }
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
