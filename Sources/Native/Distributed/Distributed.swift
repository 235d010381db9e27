import CMPI
import Foundation

/// The processes of a data-parallel job: MPI ranks when `mpirun` started this one, otherwise a
/// job of one. Rank 0 is the one that writes (run folders, progress, plots).
///
/// MPI is optional at build time (the `CMPI` shim): a build without Open MPI runs as one
/// process, and refuses to start under `mpirun` instead of running N copies of one job. Only
/// the main thread calls MPI (MPI_THREAD_FUNNELED). Collectives use MPI's default error handler,
/// so a failed one ends every rank rather than leaving the others waiting.
public enum Distributed {
    /// The job as this process sees it.
    public struct World: Sendable {
        public let rank: Int
        public let size: Int
        /// Why MPI could not start, when `mpirun` launched this process.
        public let failure: String?
    }

    public enum Reduction: String, Sendable, CaseIterable {
        case sum, max, min

        var code: Int32 {
            switch self {
            case .sum: Int32(MM_MPI_SUM)
            case .max: Int32(MM_MPI_MAX)
            case .min: Int32(MM_MPI_MIN)
            }
        }
    }

    /// Whether this build can run data-parallel.
    public static var available: Bool { mm_mpi_available() != 0 }

    /// True when `mpirun` (Open MPI sets OMPI_COMM_WORLD_SIZE) or another PMI launcher started
    /// this process.
    public static var launched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMI_SIZE"] != nil
    }

    /// MPI is started on first use, and only when a launcher started this process.
    public static let world: World = {
        guard launched else { return World(rank: 0, size: 1, failure: nil) }
        guard available else {
            return World(
                rank: 0, size: 1,
                failure:
                    "started by mpirun, but this mashup was built without Open MPI; install libopenmpi-dev (make deps) and rebuild"
            )
        }
        let code = mm_mpi_init()
        guard code == 0 else { return World(rank: 0, size: 1, failure: "MPI_Init_thread failed with code \(code)") }
        return World(rank: Int(mm_mpi_rank()), size: Int(mm_mpi_size()), failure: nil)
    }()

    public static var rank: Int { world.rank }
    public static var size: Int { world.size }

    /// Starts the job's MPI side (when launched by mpirun); throws why it cannot.
    public static func start() throws {
        if let failure = world.failure { throw DistributedError(failure) }
    }

    /// Reduces `values` in place over every rank.
    public static func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ reduction: Reduction = .sum) throws {
        guard size > 1, let base = values.baseAddress else { return }
        try check(mm_mpi_allreduce_float(base, values.count, reduction.code), "allreduce")
    }

    public static func allreduce(_ values: inout [Double], _ reduction: Reduction = .sum) throws {
        guard size > 1, !values.isEmpty else { return }
        try values.withUnsafeMutableBufferPointer { p in
            try check(mm_mpi_allreduce_double(p.baseAddress!, p.count, reduction.code), "allreduce")
        }
    }

    /// Rank `root`'s bytes on every rank (any length: the length goes first).
    public static func broadcast(_ bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
        guard size > 1 else { return bytes }
        guard (0..<size).contains(root) else {
            throw DistributedError("broadcast: root must be a rank 0 ... \(size - 1), got \(root)")
        }
        var count = UInt64(bytes.count)
        try withUnsafeMutableBytes(of: &count) { p in
            try check(mm_mpi_broadcast(p.baseAddress!, 8, Int32(root)), "broadcast")
        }
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        if count > 0 {
            try out.withUnsafeMutableBytes { p in
                try check(mm_mpi_broadcast(p.baseAddress!, p.count, Int32(root)), "broadcast")
            }
        }
        return out
    }

    /// Rank `root`'s floats into `values` on every rank (the same count everywhere).
    public static func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int = 0) throws {
        guard size > 1, let base = values.baseAddress else { return }
        guard (0..<size).contains(root) else {
            throw DistributedError("broadcast: root must be a rank 0 ... \(size - 1), got \(root)")
        }
        try check(mm_mpi_broadcast(base, values.count * 4, Int32(root)), "broadcast")
    }

    /// Every rank's bytes (any lengths), in rank order, on every rank.
    public static func allgather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        guard size > 1 else { return [bytes] }
        var lengths = [UInt64](repeating: 0, count: size)
        var mine = UInt64(bytes.count)
        try withUnsafeBytes(of: &mine) { m in
            try lengths.withUnsafeMutableBytes { out in
                try check(mm_mpi_allgather(m.baseAddress!, 8, out.baseAddress!), "allgather")
            }
        }
        let longest = Int(lengths.max() ?? 0)
        guard longest > 0 else { return lengths.map { _ in [] } }
        guard longest <= Int(Int32.max) else {
            throw DistributedError("allgather: \(longest) bytes from one rank is more than one message takes")
        }
        var padded = bytes + [UInt8](repeating: 0, count: longest - bytes.count)
        var all = [UInt8](repeating: 0, count: longest * size)
        try padded.withUnsafeMutableBytes { m in
            try all.withUnsafeMutableBytes { out in
                try check(mm_mpi_allgather(m.baseAddress!, Int32(longest), out.baseAddress!), "allgather")
            }
        }
        return (0..<size).map { r in Array(all[(r * longest)..<(r * longest + Int(lengths[r]))]) }
    }

    /// This job's way of sharing out work (`WorkShare`): this rank's part, an all-true vote and
    /// an in-place all-gather of every rank's items.
    public static var workShare: WorkShare {
        guard size > 1 else { return .alone }
        return WorkShare(
            part: rank, parts: size,
            everyone: { flag in
                var vote = [flag ? 1.0 : 0.0]
                try allreduce(&vote, .min)
                return vote[0] == 1
            },
            exchange: { base, itemBytes, counts in
                guard itemBytes <= Int(Int32.max), counts.reduce(0, +) <= Int(Int32.max) else {
                    throw DistributedError(
                        "gather: \(counts.reduce(0, +)) items of \(itemBytes) bytes are more than one message takes")
                }
                let displacements = counts.indices.map { Int32(counts[..<$0].reduce(0, +)) }
                try check(
                    mm_mpi_allgatherv_items(base, Int32(itemBytes), counts.map { Int32($0) }, displacements),
                    "gather")
            })
    }

    public static func barrier() throws {
        guard size > 1 else { return }
        try check(mm_mpi_barrier(), "barrier")
    }

    /// Ends every rank of the job with `code` (after this rank has reported why).
    public static func abort(code: Int32) -> Never {
        if size > 1 { mm_mpi_abort(code) }
        exit(code)
    }

    /// Ends MPI cleanly; call once, when the job's work is done.
    public static func finish() {
        if world.size > 1 || launched { _ = mm_mpi_finalize() }
    }

    private static func check(_ code: Int32, _ what: String) throws {
        guard code == 0 else { throw DistributedError("\(what) failed with MPI error \(code)") }
    }
}

public struct DistributedError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Distributed {
    /// Data-parallel training's gradient step (DDP's all-reduce): each rank holds the gradient
    /// of the mean loss over its `examples`; afterwards every rank holds the gradient of the
    /// mean loss over the whole global batch, sum_r (n_r / N) g_r, so a job of any size takes
    /// the step one process would take on the global batch. One all-reduce over the flat
    /// gradient block (`FlatParameters`), and one for the counts.
    /// With `overlap` set up for `flat` and a backward pass begun, this waits for the buckets
    /// that backward started instead.
    public static func averageGradients(_ flat: FlatParameters, examples: Int) throws {
        guard size > 1 else { return }
        if let buckets = overlapped[ObjectIdentifier(flat)], buckets.pending {
            return try buckets.finish(examples: examples)
        }
        var total = [Double(examples)]
        try allreduce(&total)
        guard total[0] > 0 else { throw DistributedError("average_gradients: no rank had any examples") }
        flat.gather()
        flat.gradients.scaleInPlace(Float(Double(examples) / total[0]))
        try allreduce(flat.gradients.buffer)
    }

    /// Each flat block's overlapped all-reduce (`overlap`); main thread only, as MPI here.
    nonisolated(unsafe) private static var overlapped: [ObjectIdentifier: GradientBuckets] = [:]

    /// Makes `module`'s backward all-reduce `flat`'s gradients in buckets of about `bucketBytes`
    /// as its layers finish them (`GradientBuckets`); nil in a job of one, where there is
    /// nothing to send. The caller starts each backward with `beginBackward(examples:)`.
    public static func overlap(_ module: any Module, _ flat: FlatParameters, bucketBytes: Int) throws
        -> GradientBuckets?
    {
        guard size > 1 else { return nil }
        let buckets = try GradientBuckets(flat, bucketBytes: bucketBytes)
        module.workspace.gradientObserver = buckets
        overlapped[ObjectIdentifier(flat)] = buckets
        return buckets
    }

    /// Makes every BatchNorm2d of `module` normalise in training with the statistics of the whole
    /// global batch, every rank's share (SyncBatchNorm), or (`on` false) with its own share again,
    /// the default. Two all-reduces of C + 1 numbers per layer forward, one of 2C backward; in a
    /// job of one they are no-ops and the numbers are those of the plain layer. Exact to one
    /// process on the global batch when every rank has the same number of examples (as PyTorch's
    /// SyncBatchNorm, each rank's input gradient follows its own loss's scale). Returns how many
    /// layers it set.
    @discardableResult
    public static func synchronizeBatchNorm(_ module: any Module, _ on: Bool = true) -> Int {
        var count = 0
        func visit(_ m: any Module) {
            if let bn = m as? BatchNorm2d {
                bn.replicaSum = on ? { try allreduce(&$0) } : nil
                count += 1
            }
            for child in m.children { visit(child.module) }
        }
        visit(module)
        return count
    }
}
