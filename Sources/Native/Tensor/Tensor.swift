import Foundation

/// A failure of the tensor or network engine, with a message a user can act on.
public struct NNError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A 64-byte aligned block of floats, freed with its owner, or handed back to the `Workspace`
/// it came from so that the next tensor of its size reuses it.
///
/// `@unchecked Sendable`: the class only owns the pointer; who writes through it is decided by
/// the kernels, which give every thread a disjoint range (see `Engine.parallelFor`).
public final class TensorStorage: @unchecked Sendable {
    /// Where the numbers are: this storage's own block, or a range of another storage's block
    /// after `move(into:at:)`.
    public private(set) var base: UnsafeMutablePointer<Float>
    public let count: Int
    /// Where the block goes when the last view dies: back to a workspace, or (nil) to the system.
    private let workspace: Workspace?
    /// The storage whose block now holds the numbers (kept alive while this one is), if moved.
    private var home: TensorStorage?

    /// A zero-filled block of its own.
    public convenience init(count: Int) { self.init(count: count, workspace: nil, zeroed: true) }

    init(count: Int, workspace: Workspace?, zeroed: Bool) {
        precondition(count >= 0, "negative tensor size")
        let bytes = blockBytes(count)
        let raw = workspace?.takeBlock(bytes: bytes) ?? allocateBlock(bytes: bytes)
        if zeroed { memset(raw, 0, bytes) }
        base = raw.assumingMemoryBound(to: Float.self)
        self.count = count
        self.workspace = workspace
    }

    /// A zero-filled block of its own for a size that came from outside the engine (see
    /// `checkTensorSize`), or an error naming `what` when the system refuses the memory.
    init(checkedCount count: Int, for what: String) throws {
        let bytes = try checkTensorSize(count, for: what)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw NNError("\(what): out of memory allocating \(bytes) bytes for \(count) values")
        }
        memset(raw, 0, bytes)
        base = raw.bindMemory(to: Float.self, capacity: bytes / 4)
        self.count = count
        self.workspace = nil
    }

    /// Moves the numbers to `block` at `offset` and frees this storage's own block: every view
    /// of this storage, wherever it is held (a module, a Lua value, a weight average), now reads
    /// and writes them there. This is how `FlatParameters` gathers a network's parameters into
    /// one allocation without invalidating anybody's tensors. Not for workspace blocks, and
    /// never while a kernel runs on this storage.
    func move(into block: TensorStorage, at offset: Int) {
        precondition(workspace == nil, "a workspace block cannot be moved")
        precondition(offset >= 0 && offset + count <= block.count, "move out of the block")
        let target = block.base + offset
        if target == base { return }
        target.update(from: base, count: count)
        if home == nil { free(base) }
        base = target
        home = block
    }

    deinit {
        if home != nil { return }
        if let workspace {
            workspace.recycleBlock(base, bytes: blockBytes(count))
        } else {
            free(base)
        }
    }
}

/// Bytes of the block holding `count` floats: whole cache lines (64 bytes), so that the widest
/// SIMD load (AVX-512) never splits and two blocks never share a line.
func blockBytes(_ count: Int) -> Int { max(64, (count * MemoryLayout<Float>.stride + 63) & ~63) }

/// The bytes of a block of `count` floats, or an error naming `what` when they overflow or pass
/// the machine's memory: sizes from scripts, files and arguments are checked before anything
/// is allocated, so that they end in an error instead of a trap or the OOM killer.
public func checkTensorSize(_ count: Int, for what: String) throws -> Int {
    guard count >= 0, count <= (Int.max - 63) / MemoryLayout<Float>.stride else {
        throw NNError("\(what): \(count) values do not fit in 64-bit byte counts")
    }
    let bytes = blockBytes(count)
    let memory = ProcessInfo.processInfo.physicalMemory
    guard UInt64(bytes) <= memory else {
        throw NNError(
            "\(what): \(count) values need \(gibibytes(bytes)) GiB, more than this machine's \(gibibytes(Int(memory))) GiB of memory"
        )
    }
    return bytes
}

/// The element count of `shape`, checked as `checkTensorSize` does.
public func checkTensorShape(_ shape: [Int], for what: String) throws -> Int {
    guard let count = checkedProduct(shape) else {
        throw NNError("\(what): shape \(shape) has a negative size or more values than 64-bit counts hold")
    }
    _ = try checkTensorSize(count, for: "\(what) of shape \(shape)")
    return count
}

/// `bytes` in GiB with two decimals, for messages.
private func gibibytes(_ bytes: Int) -> String { String(format: "%.2f", Double(bytes) / Double(1 << 30)) }

/// A 64-byte aligned block of `bytes` bytes for floats; contents undefined.
func allocateBlock(bytes: Int) -> UnsafeMutableRawPointer {
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
        fatalError("out of memory allocating \(bytes) bytes for a tensor")
    }
    raw.bindMemory(to: Float.self, capacity: bytes / 4)
    return raw
}

/// A float32 N-d array (row-major, NCHW for images) viewing a `TensorStorage`.
///
/// Copying a `Tensor` copies the view, not the numbers: `reshaped` and `batch` are free and
/// share storage, and writes through `data` are seen by every view. `copy()` makes new storage.
public struct Tensor: Sendable {
    public let storage: TensorStorage
    public let offset: Int
    public let shape: [Int]

    /// A zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.offset = 0
        self.storage = TensorStorage(count: shape.reduce(1, *))
    }

    /// A zero-filled tensor whose shape came from a script, a file or an argument: a shape with
    /// a negative size, one whose size overflows, or one the machine cannot hold is an error
    /// naming `what` (a Lua error at the binding), where `init(shape:)` would trap.
    public init(checkedShape shape: [Int], for what: String) throws {
        let count = try checkTensorShape(shape, for: what)
        let storage = try TensorStorage(checkedCount: count, for: "\(what) of shape \(shape)")
        self.init(storage: storage, offset: 0, shape: shape)
    }

    /// A tensor holding `values` in row-major order.
    public init(shape: [Int], values: [Float]) throws {
        let n = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), values.count == n else {
            throw NNError("tensor of shape \(shape) needs \(n) values, got \(values.count)")
        }
        self.init(shape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: n) }
    }

    public init(storage: TensorStorage, offset: Int, shape: [Int]) {
        precondition(offset >= 0 && offset + shape.reduce(1, *) <= storage.count, "view out of storage")
        self.storage = storage
        self.offset = offset
        self.shape = shape
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
    public var data: UnsafeMutablePointer<Float> { storage.base + offset }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }
    public var array: [Float] { Array(buffer) }

    public subscript(_ i: Int) -> Float {
        get { data[i] }
        nonmutating set { data[i] = newValue }
    }

    /// The same numbers under another shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var s = newShape
        if let k = s.firstIndex(of: -1) {
            let rest = checkedProduct(s.enumerated().filter { $0.offset != k }.map(\.element)) ?? 0
            guard rest > 0, count % rest == 0 else {
                throw NNError("cannot reshape \(shape) to \(newShape)")
            }
            s[k] = count / rest
        }
        guard checkedProduct(s) == count else {
            throw NNError("cannot reshape \(shape) (\(count) values) to \(newShape)")
        }
        return Tensor(storage: storage, offset: offset, shape: s)
    }

    /// Items `range` of the first dimension, sharing storage.
    public func batch(_ range: Range<Int>) throws -> Tensor {
        guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw NNError("batch slice \(range) out of bounds for shape \(shape)")
        }
        let item = shape.dropFirst().reduce(1, *)
        return Tensor(
            storage: storage, offset: offset + range.lowerBound * item, shape: [range.count] + shape.dropFirst())
    }

    /// A deep copy in new storage.
    public func copy() -> Tensor {
        let t = Tensor(shape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
    public func zero() { memset(data, 0, count * MemoryLayout<Float>.stride) }

    /// Copies `other`'s numbers into this tensor (same element count).
    public func assign(_ other: Tensor) throws {
        guard other.count == count else {
            throw NNError("cannot assign \(other.shape) to a tensor of shape \(shape)")
        }
        data.update(from: other.data, count: count)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = buffer.prefix(6).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 6 ? ", ..." : "")]"
    }
}
