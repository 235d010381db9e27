import Foundation

/// An n-dimensional array as NumPy's `.npy` format stores it: a shape and its values in C
/// (row-major) order. Values are held as Float32, the engine's working precision.
public struct NpyArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]  // [product of shape], row-major

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0 read; 1.0 written).
///
/// A file is the magic "\x93NUMPY", a major and minor version byte, a little-endian header
/// length (2 bytes in 1.0, 4 bytes after), and an ASCII header holding a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (128, 17), }` padded with spaces to a
/// multiple of 64 bytes and ended by a newline; the raw values follow.
public enum Npy {
    /// Reads a C-ordered array of float32 or float64, signed or unsigned integers or booleans,
    /// in either byte order, converting the values to Float32.
    public static func read(_ path: String) throws -> NpyArray {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SerializationError(path, "cannot read the file (missing or unreadable)")
        }
        return try decode(data, path: path)
    }

    /// Writes `values` with `shape` as a little-endian float32 array, format 1.0, atomically.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        guard let count = checkedProduct(shape) else {
            throw SerializationError(path, "shape \(shape) has a negative dimension or too many values")
        }
        guard count == values.count else {
            throw SerializationError(path, "shape \(shape) holds \(count) values, got \(values.count)")
        }
        let data = encode(values, shape: shape)
        try writeAtomically(to: path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw SerializationError(path, "cannot create the file: \(String(cString: strerror(errno)))")
            }
        }
    }

    public static func write(_ array: NpyArray, to path: String) throws {
        try write(array.values, shape: array.shape, to: path)
    }

    /// The bytes of a format 1.0 file holding `values` as '<f4'.
    static func encode(_ values: [Float], shape: [Int]) -> Data {
        // A 1-tuple needs its trailing comma in Python: (5,).
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        // magic (6) + version (2) + length (2) + header + "\n" is a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            // Float's memory layout is IEEE-754 binary32 in the host's order: little-endian here.
            data.append(
                UnsafeBufferPointer(
                    start: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: UInt8.self),
                    count: buffer.count * 4))
        }
        return data
    }

    static func decode(_ data: Data, path: String) throws -> NpyArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw SerializationError(path, "not a .npy file (expected the magic \\x93NUMPY)")
        }
        let major = bytes[6]
        let (headerStart, headerLength): (Int, Int)
        switch major {
        case 1:
            (headerStart, headerLength) = (10, Int(bytes[8]) | Int(bytes[9]) << 8)
        case 2, 3:
            guard bytes.count >= 12 else { throw SerializationError(path, "truncated .npy header") }
            headerLength = (8..<12).reduce(0) { $0 | Int(bytes[$1]) << (8 * ($1 - 8)) }
            headerStart = 12
        default:
            throw SerializationError(path, ".npy format version \(major).\(bytes[7]) is unknown, expected 1.0 to 3.0")
        }
        guard headerStart + headerLength <= bytes.count,
            let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8)
        else { throw SerializationError(path, "truncated or unreadable .npy header") }

        let descr = try field("descr", in: header, path: path)
        let fortran = try field("fortran_order", in: header, path: path)
        let shapeText = try field("shape", in: header, path: path)
        guard fortran == "False" else {
            throw SerializationError(
                path, "array is in Fortran order, expected C order (save with np.ascontiguousarray)")
        }
        let shape = try parseShape(shapeText, path: path)
        let type = try ElementType(descr: descr, path: path)
        guard let count = checkedProduct(shape, limit: Int.max / type.size) else {
            throw SerializationError(path, "shape \(shape) of \(descr) overflows 64-bit byte counts")
        }
        let start = headerStart + headerLength
        guard bytes.count - start >= count * type.size else {
            throw SerializationError(
                path,
                "truncated: shape \(shape) of \(descr) needs \(count * type.size) bytes of data, found \(bytes.count - start)"
            )
        }
        let values = bytes.withUnsafeBytes { raw in
            (0..<count).map { type.load(raw.baseAddress! + start + $0 * type.size) }
        }
        return NpyArray(shape: shape, values: values)
    }

    /// The text of `'key': value` in the header dict, the value up to the next top-level comma.
    private static func field(_ key: String, in header: String, path: String) throws -> String {
        guard let keyRange = header.range(of: "'\(key)'") else {
            throw SerializationError(path, ".npy header has no '\(key)' entry: \(header)")
        }
        var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else {
                throw SerializationError(path, "unclosed shape in .npy header")
            }
            return String(rest[...close])
        }
        rest = rest.prefix { $0 != "," && $0 != "}" }
        return rest.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    }

    private static func parseShape(_ text: String, path: String) throws -> [Int] {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        let parts = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let dims = parts.compactMap { Int($0) }
        guard dims.count == parts.count, dims.allSatisfy({ $0 >= 0 }) else {
            throw SerializationError(path, "bad shape \(text) in .npy header, expected a tuple of sizes")
        }
        return dims
    }

    /// An element type named by a NumPy dtype string such as '<f4', '>i2', '|u1' or '|b1'.
    private struct ElementType {
        let size: Int
        let load: (UnsafeRawPointer) -> Float

        init(descr: String, path: String) throws {
            guard descr.count >= 3, let size = Int(descr.dropFirst(2)) else {
                throw SerializationError(path, "unsupported dtype '\(descr)'")
            }
            let order = descr.first!
            let bigEndian = order == ">"
            let kind = descr[descr.index(after: descr.startIndex)]
            self.size = size
            func bits<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _: T.Type) -> T {
                let v = p.loadUnaligned(as: T.self)
                return bigEndian ? T(bigEndian: v) : T(littleEndian: v)
            }
            switch (kind, size) {
            case ("f", 4): load = { Float(bitPattern: bits($0, UInt32.self)) }
            case ("f", 8): load = { Float(Double(bitPattern: bits($0, UInt64.self))) }
            case ("i", 1): load = { Float($0.load(as: Int8.self)) }
            case ("i", 2): load = { Float(bits($0, Int16.self)) }
            case ("i", 4): load = { Float(bits($0, Int32.self)) }
            case ("i", 8): load = { Float(bits($0, Int64.self)) }
            case ("u", 1), ("b", 1): load = { Float($0.load(as: UInt8.self)) }
            case ("u", 2): load = { Float(bits($0, UInt16.self)) }
            case ("u", 4): load = { Float(bits($0, UInt32.self)) }
            case ("u", 8): load = { Float(bits($0, UInt64.self)) }
            default:
                throw SerializationError(
                    path, "unsupported dtype '\(descr)': expected float32/64, (u)int8-64 or bool")
            }
        }
    }
}
