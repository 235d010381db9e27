import Foundation

/// A TensorFlow checkpoint in its V2 format (TensorFlow's `tensor_bundle`), read without
/// TensorFlow: `PREFIX.index`, a LevelDB-style sorted table mapping each variable's name to a
/// `BundleEntryProto` (data type, shape, shard, offset, size, CRC32C), and
/// `PREFIX.data-00000-of-0000N`, the tensors' bytes, little-endian and row-major. The reader
/// takes single-shard and multi-shard bundles, uncompressed table blocks (as TensorFlow writes
/// them), and float32 and float64 tensors (as float32) and int32/int64 ones (as Int64); every
/// size and offset from the file is checked before it is used, and every tensor's CRC32C.
///
/// Layout of the table (LevelDB's): data blocks, a meta-index block, an index block, and a
/// 48-byte footer (two block handles as varints, padding, the magic 0xdb4775248b80fb57). A block
/// holds prefix-compressed entries (shared, unshared and value lengths as varints, then the key's
/// unshared bytes and the value) and ends with its restart offsets and their count; every block
/// is followed by a 5-byte trailer (compression type, CRC).
public enum TensorFlowCheckpoint {
    public struct Entry: Sendable, Equatable {
        public let name: String
        /// TensorFlow's DataType number: 1 float, 2 double, 3 int32, 9 int64, ...
        public let dataType: Int
        public let shape: [Int]
        public let shard: Int
        public let offset: Int
        public let size: Int
        /// TensorFlow's masked CRC32C of the bytes.
        public let checksum: UInt32
    }

    /// The variables of the checkpoint at `prefix` (the path without `.index`), sorted by name.
    public static func entries(_ prefix: String) throws -> (entries: [Entry], shards: Int) {
        let path = prefix + ".index"
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SerializationError(path, "cannot read the checkpoint's index: \(error.localizedDescription)")
        }
        return try parseIndex(Array(data), path: path)
    }

    /// Reads every float or integer variable whose name passes `include` (all by default).
    public static func read(_ prefix: String, include: (String) -> Bool = { _ in true }) throws -> [String:
        SafeTensorValue]
    {
        let (entries, shards) = try entries(prefix)
        var files: [Int: Data] = [:]
        var out: [String: SafeTensorValue] = [:]
        for entry in entries where include(entry.name) {
            let path = String(format: "%@.data-%05d-of-%05d", prefix, entry.shard, shards)
            if files[entry.shard] == nil {
                do {
                    files[entry.shard] = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
                } catch {
                    throw SerializationError(path, "cannot read the checkpoint's data: \(error.localizedDescription)")
                }
            }
            out[entry.name] = try value(entry, in: files[entry.shard]!, path: path)
        }
        return out
    }

    // MARK: The tensors

    static func value(_ entry: Entry, in data: Data, path: String) throws -> SafeTensorValue {
        let fail = { (why: String) in SerializationError(path, "variable '\(entry.name)': \(why)") }
        guard let count = checkedProduct(entry.shape, limit: Int.max / 8) else {
            throw fail("shape \(entry.shape) has more values than memory holds")
        }
        let width: Int
        switch entry.dataType {
        case 1, 3: width = 4
        case 2, 9: width = 8
        default: throw fail("data type \(entry.dataType) is not float32, float64, int32 or int64")
        }
        guard entry.size == count * width else {
            throw fail("\(entry.size) bytes for \(count) values of \(width) bytes (shape \(entry.shape))")
        }
        guard entry.offset >= 0, entry.offset <= data.count, entry.size <= data.count - entry.offset else {
            throw fail("bytes \(entry.offset) ..< \(entry.offset + entry.size) lie outside the \(data.count)-byte file")
        }
        let bytes = data[data.startIndex + entry.offset..<data.startIndex + entry.offset + entry.size]
        let actual = bytes.withUnsafeBytes { CRC32C.masked(CRC32C.checksum($0)) }
        guard actual == entry.checksum else {
            throw fail("checksum mismatch (the data file is corrupt or belongs to another checkpoint)")
        }
        return bytes.withUnsafeBytes { raw -> SafeTensorValue in
            switch entry.dataType {
            case 1:
                let t = Tensor(shape: entry.shape)
                for i in 0..<count {
                    t.data[i] = Float(
                        bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                return .f32(t)
            case 2:
                let t = Tensor(shape: entry.shape)
                for i in 0..<count {
                    t.data[i] = Float(
                        Double(
                            bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                    )
                }
                return .f32(t)
            case 3:
                return .i64(
                    shape: entry.shape,
                    values: (0..<count).map {
                        Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)))
                    })
            default:
                return .i64(
                    shape: entry.shape,
                    values: (0..<count).map {
                        Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))
                    })
            }
        }
    }

    // MARK: The index table

    static let magic: UInt64 = 0xdb47_7524_8b80_fb57

    static func parseIndex(_ bytes: [UInt8], path: String) throws -> (entries: [Entry], shards: Int) {
        let fail = { (why: String) in SerializationError(path, "not a TensorFlow checkpoint index: \(why)") }
        guard bytes.count >= 48 else { throw fail("\(bytes.count) bytes, shorter than the 48-byte footer") }
        var footer = Reader(bytes, bytes.count - 48..<bytes.count)
        _ = try footer.blockHandle()  // the meta-index block (filters): not used
        let index = try footer.blockHandle()
        let tail = bytes[(bytes.count - 8)...].enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * $1.offset)
        }
        guard tail == magic else { throw fail("the footer's magic number is wrong (a truncated or other file?)") }
        var entries: [Entry] = []
        var shards = 1
        for (_, handle) in try block(bytes, index, fail) {
            var h = Reader(handle, 0..<handle.count)
            for (key, value) in try block(bytes, try h.blockHandle(), fail) {
                let name = String(decoding: key, as: UTF8.self)
                if key.isEmpty {
                    shards = try header(value, fail)
                } else {
                    entries.append(try entry(name, value, fail))
                }
            }
        }
        for e in entries where !(0..<shards).contains(e.shard) {
            throw fail("variable '\(e.name)' is in shard \(e.shard) of \(shards)")
        }
        return (entries, shards)
    }

    /// The key-value pairs of the block at `handle` (its trailer checked for compression).
    static func block(
        _ bytes: [UInt8], _ handle: (offset: Int, size: Int), _ fail: (String) -> SerializationError
    ) throws -> [(key: [UInt8], value: [UInt8])] {
        let (offset, size) = handle
        guard offset >= 0, size >= 4, offset <= bytes.count, size + 5 <= bytes.count - offset else {
            throw fail("a block at \(offset) of \(size) bytes lies outside the \(bytes.count)-byte file")
        }
        guard bytes[offset + size] == 0 else {
            throw fail(
                "block at \(offset) is compressed (type \(bytes[offset + size])); only uncompressed tables are read")
        }
        let end = offset + size
        let restarts = Int(
            bytes[(end - 4)..<end].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) })
        guard restarts >= 0, 4 * restarts + 4 <= size else { throw fail("block at \(offset): \(restarts) restarts") }
        var r = Reader(bytes, offset..<(end - 4 - 4 * restarts))
        var key: [UInt8] = []
        var out: [(key: [UInt8], value: [UInt8])] = []
        while !r.atEnd {
            let shared = try r.varint()
            let unshared = try r.varint()
            let length = try r.varint()
            guard shared <= key.count else { throw fail("block at \(offset): a key shares more bytes than it has") }
            key = Array(key.prefix(shared)) + (try r.bytes(unshared))
            out.append((key, try r.bytes(length)))
        }
        return out
    }

    /// BundleHeaderProto: num_shards (1), endianness (2: 0 little), version (3).
    static func header(_ value: [UInt8], _ fail: (String) -> SerializationError) throws -> Int {
        var shards = 1
        try Protobuf.fields(value, fail) { field, r in
            switch field {
            case (1, 0): shards = try r.varint()
            case (2, 0): if try r.varint() != 0 { throw fail("a big-endian checkpoint") }
            default: try r.skip(field.wire)
            }
        }
        guard (1...100_000).contains(shards) else { throw fail("\(shards) shards") }
        return shards
    }

    /// BundleEntryProto: dtype (1), shape (2: TensorShapeProto), shard_id (3), offset (4),
    /// size (5), crc32c (6, fixed32), slices (7: partitioned variables, refused).
    static func entry(_ name: String, _ value: [UInt8], _ fail: (String) -> SerializationError) throws -> Entry {
        var (dataType, shape, shard, offset, size, checksum) = (0, [Int](), 0, 0, 0, UInt32(0))
        try Protobuf.fields(value, fail) { field, r in
            switch field {
            case (1, 0): dataType = try r.varint()
            case (2, 2):
                // TensorShapeProto: dim (2) { size (1) }, unknown_rank (3)
                try Protobuf.fields(try r.bytes(try r.varint()), fail) { f, d in
                    guard f == (2, 2) else { return try d.skip(f.wire) }
                    var size = 0
                    try Protobuf.fields(try d.bytes(try d.varint()), fail) { g, s in
                        if g == (1, 0) { size = try s.varint() } else { try s.skip(g.wire) }
                    }
                    shape.append(size)
                }
            case (3, 0): shard = try r.varint()
            case (4, 0): offset = try r.varint()
            case (5, 0): size = try r.varint()
            case (6, 5): checksum = try r.fixed32()
            case (7, 2): throw fail("variable '\(name)' is partitioned into slices, which this reader does not join")
            default: try r.skip(field.wire)
            }
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("variable '\(name)' has a negative dimension") }
        return Entry(
            name: name, dataType: dataType, shape: shape, shard: shard, offset: offset, size: size, checksum: checksum)
    }

    // MARK: Bytes

    /// Reads varints, fixed numbers and byte runs within `range`, refusing to pass its end.
    struct Reader {
        let bytes: [UInt8]
        var at: Int
        let end: Int

        init(_ bytes: [UInt8], _ range: Range<Int>) {
            (self.bytes, at, end) = (bytes, range.lowerBound, range.upperBound)
        }

        var atEnd: Bool { at >= end }

        mutating func varint() throws -> Int {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard at < end else { throw SerializationError("", "a number runs past the end of its record") }
                let b = bytes[at]
                at += 1
                value |= UInt64(b & 0x7f) << UInt64(shift)
                if b & 0x80 == 0 {
                    guard value <= UInt64(Int.max) else { throw SerializationError("", "a number out of range") }
                    return Int(value)
                }
            }
            throw SerializationError("", "a number longer than 10 bytes")
        }

        mutating func fixed32() throws -> UInt32 {
            let b = try bytes(4)
            return b.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) }
        }

        mutating func bytes(_ count: Int) throws -> [UInt8] {
            guard count >= 0, count <= end - at else {
                throw SerializationError("", "a field of \(count) bytes runs past the end of its record")
            }
            defer { at += count }
            return Array(bytes[at..<(at + count)])
        }

        mutating func blockHandle() throws -> (offset: Int, size: Int) { (try varint(), try varint()) }

        mutating func skip(_ wire: Int) throws {
            switch wire {
            case 0: _ = try varint()
            case 1: _ = try bytes(8)
            case 2: _ = try bytes(try varint())
            case 5: _ = try bytes(4)
            default: throw SerializationError("", "a protobuf field of wire type \(wire)")
            }
        }
    }

    enum Protobuf {
        /// Calls `body((field number, wire type), reader)` for each field of a message.
        static func fields(
            _ message: [UInt8], _ fail: (String) -> SerializationError,
            _ body: ((Int, wire: Int), inout Reader) throws -> Void
        ) throws {
            var r = Reader(message, 0..<message.count)
            do {
                while !r.atEnd {
                    let tag = try r.varint()
                    try body((tag >> 3, tag & 7), &r)
                }
            } catch let error as SerializationError where error.path.isEmpty {
                throw fail(error.reason)
            }
        }
    }
}

/// CRC-32C (Castagnoli), as TensorFlow and LevelDB checksum their data, and their "mask".
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82f6_3b78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        }
        return c ^ 0xffff_ffff
    }

    /// TensorFlow stores checksums masked: rotated right by 15 bits plus a constant.
    static func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8 }
}
