import Foundation

/// A tensor as stored in a safetensors file: float32 numbers, or 64-bit integers (PyTorch's
/// `num_batches_tracked`, class labels).
public enum SafeTensorValue {
    case f32(Tensor)
    case i64(shape: [Int], values: [Int64])

    public var shape: [Int] {
        switch self {
        case .f32(let t): return t.shape
        case .i64(let shape, _): return shape
        }
    }

    /// False when a float holds a NaN or an infinity (integers are always finite).
    public var isFinite: Bool {
        guard case .f32(let t) = self else { return true }
        return allFinite(UnsafeBufferPointer(start: t.data, count: t.count))
    }

    /// A copy that shares no storage with this value.
    public func copy() -> SafeTensorValue {
        switch self {
        case .f32(let t): return .f32(t.copy())
        case .i64: return self
        }
    }
}

/// The names, sorted, of the float tensors among `tensors` that hold a NaN or an infinity:
/// weights like that load without complaint and make every prediction NaN.
public func nonFiniteTensorNames(_ tensors: [String: SafeTensorValue]) -> [String] {
    tensors.filter { !$0.value.isFinite }.map(\.key).sorted()
}

/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length,
/// a JSON header `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
/// {string: string}}` padded with spaces to a multiple of 8 bytes, then the tensors' bytes,
/// little-endian and row-major, at offsets relative to the end of the header.
///
/// Reading accepts F32, F64, F16 and BF16 (as float32) and I64, I32 (as Int64); writing uses
/// F32 and I64.
public enum SafeTensors {
    public struct File {
        public var tensors: [String: SafeTensorValue]
        public var metadata: [String: String]
    }

    public static func read(_ path: String) throws -> File {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw NNError("cannot read safetensors file '\(path)': \(error.localizedDescription)")
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String = "<memory>") throws -> File {
        func fail(_ why: String) -> NNError { NNError("'\(path)' is not a valid safetensors file: \(why)") }
        guard data.count >= 8 else { throw fail("\(data.count) bytes, shorter than the 8-byte header length") }
        let headerSize = data.prefix(8).enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        guard headerSize <= UInt64(data.count - 8) else {
            throw fail("truncated: header of \(headerSize) bytes announced, \(data.count - 8) bytes follow")
        }
        let start = 8 + Int(headerSize)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<start)) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        let bytes = data.count - start
        var file = File(tensors: [:], metadata: [:])
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: String] else {
                    throw fail("__metadata__ must map strings to strings")
                }
                file.metadata = meta
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                shape.allSatisfy({ $0 >= 0 })
            else { throw fail("entry '\(name)' needs dtype, shape and data_offsets [begin, end]") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end else { throw fail("entry '\(name)' has data_offsets \(offsets)") }
            guard end <= bytes else {
                throw fail("truncated: '\(name)' ends at byte \(end) of the data, only \(bytes) bytes present")
            }
            guard let width = elementSize[dtype] else {
                throw fail(
                    "'\(name)' has dtype \(dtype); supported are \(elementSize.keys.sorted().joined(separator: ", "))")
            }
            guard let count = checkedProduct(shape, limit: Int.max / width) else {
                throw fail("'\(name)' has shape \(shape), whose \(dtype) size overflows 64-bit byte counts")
            }
            guard end - begin == count * width else {
                throw fail(
                    "'\(name)' of shape \(shape) and dtype \(dtype) needs \(count * width) bytes, has \(end - begin)")
            }
            file.tensors[name] = data.withUnsafeBytes { raw in
                decode(
                    UnsafeRawBufferPointer(rebasing: raw[(start + begin)..<(start + end)]), dtype: dtype, shape: shape)
            }
        }
        return file
    }

    private static let elementSize = ["F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4]

    /// `raw` holds exactly the checked product of `shape` elements of `dtype` (see `parse`).
    private static func decode(_ raw: UnsafeRawBufferPointer, dtype: String, shape: [Int]) -> SafeTensorValue {
        let count = raw.count / elementSize[dtype]!
        func ints<T: FixedWidthInteger>(_: T.Type) -> SafeTensorValue {
            .i64(
                shape: shape,
                values: (0..<count).map {
                    Int64(T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * T.bitWidth / 8, as: T.self)))
                })
        }
        if dtype == "I64" { return ints(Int64.self) }
        if dtype == "I32" { return ints(Int32.self) }
        let t = Tensor(shape: shape)
        for i in 0..<count {
            switch dtype {
            case "F32":
                t[i] = Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            case "F64":
                t[i] = Float(
                    Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            case "F16":
                t[i] = Float(
                    Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                )
            default:  // BF16: the high half of a float32
                t[i] = Float(
                    bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                        << 16)
            }
        }
        return .f32(t)
    }

    /// Writes `tensors` in the given order with optional metadata, atomically: a temporary file
    /// in the same folder, renamed over `path` once complete.
    public static func write(
        _ path: String, _ tensors: [(name: String, value: SafeTensorValue)], metadata: [String: String] = [:]
    ) throws {
        try atomicWrite(serialize(tensors, metadata: metadata), to: path)
    }

    public static func serialize(_ tensors: [(name: String, value: SafeTensorValue)], metadata: [String: String] = [:])
        throws -> Data
    {
        var names = Set<String>()
        var entries: [String] = []
        var offset = 0
        for (name, value) in tensors {
            guard name != "__metadata__", names.insert(name).inserted else {
                throw NNError("safetensors: tensor name '\(name)' is reserved or repeated")
            }
            let (dtype, size) = {
                switch value {
                case .f32(let t): return ("F32", 4 * t.count)
                case .i64(_, let v): return ("I64", 8 * v.count)
                }
            }()
            entries.append(
                "\(jsonString(name)):{\"dtype\":\"\(dtype)\",\"shape\":\(value.shape),\"data_offsets\":[\(offset),\(offset + size)]}"
            )
            offset += size
        }
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.insert("\"__metadata__\":{\(pairs.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        // the data after the header starts 8-byte aligned
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, value) in tensors {
            switch value {
            case .f32(let t):
                out.append(contentsOf: t.buffer.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Array($0) })
            case .i64(_, let v):
                out.append(contentsOf: v.map { $0.littleEndian }.withUnsafeBytes { Array($0) })
            }
        }
        return out
    }

    private static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Writes `data` durably and whole or not at all (`writeAtomically`).
    static func atomicWrite(_ data: Data, to path: String) throws {
        do {
            try writeAtomically(to: path) { temporary in try data.write(to: URL(fileURLWithPath: temporary)) }
        } catch let error as SerializationError {
            throw NNError("cannot write '\(path)': \(error.reason)")
        } catch {
            throw NNError("cannot write '\(path)': \(error)")
        }
    }
}
