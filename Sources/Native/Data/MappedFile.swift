import Foundation

/// A file mapped read-only into memory, unmapped in deinit.
///
/// `@unchecked Sendable`: it owns a C resource (the mapping), which is never written after
/// `init`, so any number of threads may read it at once.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer
    let size: Int

    init(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DataError(path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else {
            throw DataError(path, "cannot read the size, or the file is empty")
        }
        size = Int(info.st_size)
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw DataError(path, "cannot map into memory: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

/// A new file of `size` bytes mapped read-write, for filling in place; `finish` flushes it.
final class WritableMapping {
    let base: UnsafeMutableRawPointer
    let size: Int

    init(creating path: String, size: Int) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DataError(path, "cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw DataError(path, "cannot make room for \(size) bytes: \(String(cString: strerror(errno)))")
        }
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw DataError(path, "cannot map into memory: \(String(cString: strerror(errno)))")
        }
        base = p
        self.size = size
    }

    func finish(_ path: String) throws {
        guard msync(base, size, MS_SYNC) == 0 else {
            throw DataError(path, "cannot write: \(String(cString: strerror(errno)))")
        }
    }

    deinit { munmap(base, size) }
}
