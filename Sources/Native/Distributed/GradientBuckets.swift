import CMPI

/// The gradient all-reduce overlapped with the backward pass, as PyTorch's DDP does it: the flat
/// gradient block is cut into buckets of about `bucketBytes`, last parameters first (the order
/// backward finishes them), and each bucket's all-reduce starts as soon as the layers that own
/// it have reported their gradients final (`Workspace.gradientObserver`), while the layers
/// below are still working. `Distributed.averageGradients` then waits for the buckets in flight.
///
/// Buckets start in one fixed order (a bucket never before the one ahead of it), so every rank
/// issues the same collectives in the same order whatever its timing. Non-blocking collectives
/// move on inside MPI calls, so each report also lets the buckets in flight progress; no thread
/// of its own competes with the compute threads. Each bucket is scaled by n_r / N before it is
/// sent, as the one-message path scales the whole block, so both give the same numbers.
public final class GradientBuckets: GradientObserver, @unchecked Sendable {
    // @unchecked: used from the thread that runs backward (MPI_THREAD_FUNNELED: the main one).

    public let flat: FlatParameters
    /// Flat-block ranges, in the order they are sent.
    public let buckets: [Range<Int>]
    /// For each parameter (by its start in the flat block): its bucket.
    private let bucketOfParameter: [Int: Int]
    private let parametersInBucket: [Int]
    private var waiting: [Int]
    private var reported = Set<Int>()
    private var next = 0
    private var inFlight: [UnsafeMutableRawPointer?] = []
    private var examples = 0
    private var scale: Float = 1
    private var failure: String?
    /// Whether a backward pass has begun and its buckets are not yet all reduced.
    public private(set) var pending = false

    /// Buckets of about `bucketBytes` (at least one parameter each) over `flat`'s gradients.
    public init(_ flat: FlatParameters, bucketBytes: Int) throws {
        guard bucketBytes > 0 else { throw DistributedError("bucket size must be > 0 bytes, got \(bucketBytes)") }
        self.flat = flat
        var buckets: [Range<Int>] = []
        var bucketOf: [Int: Int] = [:]
        var counts: [Int] = []
        var upper = flat.count
        var members = 0
        for (i, range) in flat.ranges.enumerated().reversed() {
            bucketOf[range.lowerBound] = buckets.count
            members += 1
            // a bucket ends at a parameter's start once it holds bucketBytes, or at the first
            let lower = i == 0 ? 0 : range.lowerBound
            if (upper - lower) * 4 >= bucketBytes || i == 0 {
                buckets.append(lower..<upper)
                counts.append(members)
                (upper, members) = (lower, 0)
            }
        }
        self.buckets = buckets
        bucketOfParameter = bucketOf
        parametersInBucket = counts
        waiting = counts
    }

    /// Called before backward with this rank's examples in the global batch: learns the global
    /// count (one small all-reduce) and arms the buckets. A second backward before the
    /// gradients were averaged is refused: overlap sends each gradient once, so gradient
    /// accumulation over several backward passes needs the one-message `average_gradients`.
    public func beginBackward(examples: Int) throws {
        guard !pending else {
            throw DistributedError(
                "backward called twice without average_gradients between; with overlapped all-reduce (mm.dist.overlap) each backward is followed by average_gradients"
            )
        }
        guard examples >= 0 else { throw DistributedError("a count of examples >= 0 expected, got \(examples)") }
        var total = [Double(examples)]
        try Distributed.allreduce(&total)
        guard total[0] > 0 else { throw DistributedError("average_gradients: no rank had any examples") }
        flat.gather()
        (self.examples, scale) = (examples, Float(Double(examples) / total[0]))
        (waiting, reported, next, failure, pending) = (parametersInBucket, [], 0, nil, true)
    }

    public func gradientsReady(_ gradients: [Tensor]) throws {
        guard pending else { return }
        for g in gradients {
            let offset = g.data - flat.gradients.data
            guard let bucket = bucketOfParameter[offset] else { continue }  // not the optimiser's
            guard reported.insert(offset).inserted else {
                failure =
                    "a parameter's gradient was reported twice in one backward (a layer used twice); overlapped all-reduce needs each parameter once, use average_gradients without mm.dist.overlap"
                continue
            }
            waiting[bucket] -= 1
        }
        while next < buckets.count, waiting[next] == 0 { try send(next) }
        try progress()
    }

    /// After backward: sends what is left (parameters backward never reached) and waits for
    /// every bucket. `examples` must be what `beginBackward` was told.
    public func finish(examples: Int) throws {
        guard pending else { throw DistributedError("average_gradients: no backward pass since the last one") }
        defer { pending = false }
        guard examples == self.examples else {
            throw DistributedError(
                "average_gradients was told \(examples) examples, but backward saw a batch of \(self.examples)")
        }
        while next < buckets.count { try send(next) }
        for request in inFlight { try check(mm_mpi_wait(request)) }
        inFlight.removeAll()
        if let failure { throw DistributedError(failure) }
    }

    private func send(_ bucket: Int) throws {
        let range = buckets[bucket]
        let base = flat.gradients.data + range.lowerBound
        if scale != 1 { for i in 0..<range.count { base[i] *= scale } }
        var request: UnsafeMutableRawPointer?
        try check(mm_mpi_iallreduce_float(base, Int32(range.count), Int32(MM_MPI_SUM), &request))
        inFlight.append(request)
        next += 1
    }

    private func progress() throws {
        for request in inFlight {
            var done: Int32 = 0
            try check(mm_mpi_test(request, &done))
        }
    }

    private func check(_ code: Int32) throws {
        guard code == 0 else { throw DistributedError("overlapped all-reduce failed with MPI error \(code)") }
    }
}
