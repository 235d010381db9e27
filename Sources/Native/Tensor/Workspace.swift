import Foundation
import Synchronization

/// The memory a network works in, shared by all its layers.
///
/// - Recycled blocks: a tensor taken from the workspace goes back to it, not to the system,
///   when its last view dies, and the next tensor of the same size takes that block. The
///   activations backward has consumed become the gradients of the layers below, and a training
///   loop with a fixed batch shape stops allocating (no page faults, no zeroing of fresh pages)
///   after its first step. What the workspace holds idle counts in the process's RSS until it
///   dies.
/// - One scratch block (im2col columns, per-worker partial sums), grown to the largest request
///   and lent to one layer at a time.
/// - Whether forward records what backward needs. Off (`withoutRecording`), layers keep nothing
///   and a block lives only until the next layer has read it: inference then needs a few
///   activations at a time, and a convolution may fold the BatchNorm after it into its weights.
/// Hears from the layers of a network, during its backward pass, which parameter gradients are
/// final (each layer reports its own once, when its backward has written them).
public protocol GradientObserver: AnyObject, Sendable {
    func gradientsReady(_ gradients: [Tensor]) throws
}

public final class Workspace: Sendable {
    /// An allocated block and its size. `@unchecked Sendable`: a block has one holder at a time
    /// (a storage, the idle list under the lock, or the layer the scratch is lent to).
    private struct Block: @unchecked Sendable {
        let address: UnsafeMutableRawPointer
        let bytes: Int
    }

    private struct Blocks {
        // idle blocks by size in bytes
        var idle: [Int: [Block]] = [:]
        var scratch: Block?
    }

    private let blocks = Mutex(Blocks())
    private let recording = Atomic<Bool>(true)
    private let observer = Mutex<(any GradientObserver)?>(nil)

    public init() {}

    deinit {
        blocks.withLock { b in
            for block in b.idle.values.joined() { free(block.address) }
            if let s = b.scratch { free(s.address) }
        }
    }

    /// A tensor whose numbers are whatever its block last held: for outputs a kernel overwrites.
    public func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(
            storage: TensorStorage(count: shape.reduce(1, *), workspace: self, zeroed: false), offset: 0, shape: shape)
    }

    /// A zero-filled tensor, for outputs a kernel accumulates into; the workers clear it.
    public func zeros(_ shape: [Int]) -> Tensor {
        let t = uninitialized(shape)
        let data = t.data
        forEachChunk(t.count) { range in (data + range.lowerBound).update(repeating: 0, count: range.count) }
        return t
    }

    /// Runs `body` with `count` floats of scratch, contents undefined. Layers take turns with one
    /// block; a concurrent caller (another thread) gets a block of its own for the time.
    public func withScratch<T>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> T) rethrows -> T {
        let bytes = blockBytes(count)
        var lent = blocks.withLock { b in
            defer { b.scratch = nil }
            return b.scratch
        }
        if let s = lent, s.bytes < bytes {
            free(s.address)
            lent = nil
        }
        let scratch = lent ?? Block(address: allocateBlock(bytes: bytes), bytes: bytes)
        defer {
            // keep the larger of this block and one returned meanwhile by a concurrent caller
            let surplus = blocks.withLock { b -> Block? in
                guard let other = b.scratch else {
                    b.scratch = scratch
                    return nil
                }
                if other.bytes >= scratch.bytes { return scratch }
                b.scratch = scratch
                return other
            }
            if let surplus { free(surplus.address) }
        }
        return try body(scratch.address.assumingMemoryBound(to: Float.self))
    }

    /// Whether layers keep, during forward, what their backward needs (on by default).
    public var recordsForBackward: Bool {
        get { recording.load(ordering: .relaxed) }
        set { recording.store(newValue, ordering: .relaxed) }
    }

    /// Runs `body` with recording off, as PyTorch's `torch.no_grad()`: for inference.
    public func withoutRecording<T>(_ body: () throws -> T) rethrows -> T {
        let was = recordsForBackward
        recordsForBackward = false
        defer { recordsForBackward = was }
        return try body()
    }

    /// Who hears, during backward, that a layer's parameter gradients are final (a data-parallel
    /// job's all-reduce, which sends them while the layers below are still working); nil when
    /// nobody listens.
    public var gradientObserver: (any GradientObserver)? {
        get { observer.withLock { $0 } }
        set { observer.withLock { $0 = newValue } }
    }

    /// A layer's backward calls this with its parameter gradients once they are final.
    public func gradientsReady(_ gradients: Tensor...) throws {
        try gradientObserver?.gradientsReady(gradients)
    }

    /// Bytes held idle, waiting for a tensor of their size.
    public var idleBytes: Int {
        blocks.withLock { b in b.idle.reduce(0) { $0 + $1.key * $1.value.count } + (b.scratch?.bytes ?? 0) }
    }

    func takeBlock(bytes: Int) -> UnsafeMutableRawPointer? {
        blocks.withLock { $0.idle[bytes]?.popLast() }?.address
    }

    func recycleBlock(_ address: UnsafeMutableRawPointer, bytes: Int) {
        let block = Block(address: address, bytes: bytes)
        blocks.withLock { $0.idle[bytes, default: []].append(block) }
    }
}
