/// How the processes of a job share out one piece of work (a cache to pre-compute, a data set
/// to synthesise): this process's part of `parts`, and the two collective steps the work needs,
/// so that the areas doing the work need not know MPI. `alone` is a job of one process;
/// `Distributed.workShare` is an `mpirun` job's. Every process of the job must make the same
/// calls in the same order.
public struct WorkShare: Sendable {
    public let part: Int
    public let parts: Int
    private let everyone: @Sendable (Bool) throws -> Bool
    private let exchange: @Sendable (UnsafeMutableRawPointer, Int, [Int]) throws -> Void

    public init(
        part: Int, parts: Int, everyone: @escaping @Sendable (Bool) throws -> Bool,
        exchange: @escaping @Sendable (UnsafeMutableRawPointer, Int, [Int]) throws -> Void
    ) {
        (self.part, self.parts, self.everyone, self.exchange) = (part, parts, everyone, exchange)
    }

    public static let alone = WorkShare(part: 0, parts: 1, everyone: { $0 }, exchange: { _, _, _ in })

    /// This process's items of `count`: a contiguous range, the parts in order and within one
    /// item of each other in size.
    public func range(of count: Int) -> Range<Int> { range(of: count, part: part) }

    func range(of count: Int, part p: Int) -> Range<Int> { (count * p / parts)..<(count * (p + 1) / parts) }

    /// True on every process when `flag` is true on every process.
    public func all(_ flag: Bool) throws -> Bool { try everyone(flag) }

    /// `count` items of `itemBytes` bytes each at `base`, of which this process has filled its
    /// `range(of: count)`: afterwards every process holds every part's items.
    public func gather(_ base: UnsafeMutableRawPointer, itemBytes: Int, count: Int) throws {
        guard parts > 1, count > 0 else { return }
        try exchange(base, itemBytes, (0..<parts).map { range(of: count, part: $0).count })
    }
}
