import Foundation
import Synchronization

/// How batches are drawn. `mm.data.loader` sets them as `batch`, `shuffle`, `drop_last`,
/// `workers`, `prefetch`, `fresh_fraction` and `examples_per_epoch`.
public struct LoaderOptions: Sendable, Equatable {
    public var batchSize = 16
    public var shuffle = true
    /// Leave out a last, smaller batch.
    public var dropLast = false
    /// Background threads preparing batches.
    public var workers = 2
    /// Ready batches held at most (the memory bound: prefetch x batch x 128 x 1292 x 4 bytes).
    public var prefetch = 4
    /// Share of each epoch's cached examples replaced by freshly built ones (same anchor song).
    public var freshFraction = 0.0
    /// Examples per epoch when there is no cache (all built fresh).
    public var examplesPerEpoch = 0
    public var seed: UInt64 = Engine.defaultSeed
    /// Data-parallel training: this process builds shard `shard` of `shards` equal parts of
    /// every global batch (`batchSize` examples), so the ranks of a job train on disjoint
    /// examples and together on exactly the batches one process would see.
    public var shard = 0
    public var shards = 1

    public init() {}
}

/// Batches of N x 1 x bins x frames for training, from a `SpectrogramCache`, from
/// `FreshExamples` built on the fly, or a mix (fresh mashups each epoch are the stronger
/// recipe). Epoch e's order, its fresh examples and every augmentation draw come from streams
/// of `options.seed` indexed by epoch and position, so a batch's content does not depend on
/// which worker built it or when. Workers build whole batches; at most `prefetch` are built or
/// waiting at any time.
public struct BatchLoader: Sendable {
    public let cache: SpectrogramCache?
    public let fresh: FreshExamples?
    public let options: LoaderOptions
    public let spectrogramAugmentation: SpectrogramPipeline?

    public init(
        cache: SpectrogramCache? = nil, fresh: FreshExamples? = nil, options: LoaderOptions = LoaderOptions(),
        spectrogramAugmentation: SpectrogramPipeline? = nil
    ) throws {
        guard cache != nil || fresh != nil else {
            throw DataError("loader", "expected a cache, fresh examples, or both")
        }
        guard options.batchSize >= 1 else {
            throw DataError("batch_size", "expected at least 1, got \(options.batchSize)")
        }
        guard (1...64).contains(options.workers) else {
            throw DataError("workers", "expected 1 to 64, got \(options.workers)")
        }
        guard options.prefetch >= 1 else { throw DataError("prefetch", "expected at least 1, got \(options.prefetch)") }
        guard options.shards >= 1, (0..<options.shards).contains(options.shard) else {
            throw DataError(
                "shard",
                "expected shard 0 ... shards - 1 of at least 1 shard, got \(options.shard) of \(options.shards)")
        }
        guard options.batchSize >= options.shards else {
            throw DataError(
                "batch_size",
                "a batch of \(options.batchSize) cannot be split over \(options.shards) processes; expected at least \(options.shards)"
            )
        }
        try checkRange("fresh_fraction", options.freshFraction...options.freshFraction, within: 0...1)
        if options.freshFraction > 0, fresh == nil {
            throw DataError("fresh_fraction", "fresh examples need a mashup builder")
        }
        if cache == nil, options.examplesPerEpoch < 1 {
            throw DataError(
                "examples_per_epoch",
                "without a cache, expected at least 1 example per epoch, got \(options.examplesPerEpoch)")
        }
        if let cache, let fresh, (cache.bins, cache.frames) != (fresh.input.bins, fresh.input.frames) {
            throw DataError(
                "loader",
                "the cache holds \(cache.bins) x \(cache.frames) spectrograms, fresh examples are \(fresh.input.bins) x \(fresh.input.frames)"
            )
        }
        (self.cache, self.fresh, self.options) = (cache, fresh, options)
        self.spectrogramAugmentation = spectrogramAugmentation
        let last = count % options.batchSize
        if options.shards > 1, !options.dropLast, last > 0, last < options.shards {
            throw DataError(
                "drop_last",
                "the epoch's last batch of \(last) examples cannot be split over \(options.shards) processes; set drop_last or change the epoch's size"
            )
        }
    }

    /// Examples per epoch.
    public var count: Int { cache?.count ?? options.examplesPerEpoch }

    /// This process's part of a global batch: positions [n s / S, n (s + 1) / S).
    func shardRange(_ global: ArraySlice<Item>) -> Range<Int> {
        let (n, s, shards) = (global.count, options.shard, options.shards)
        return (global.startIndex + n * s / shards)..<(global.startIndex + n * (s + 1) / shards)
    }

    public var batchesPerEpoch: Int {
        options.dropLast ? count / options.batchSize : (count + options.batchSize - 1) / options.batchSize
    }

    enum Item: Equatable, Sendable {
        case cached(Int)
        case fresh(index: Int, anchor: Int?)
    }

    /// Epoch e's examples in order.
    func plan(epoch: Int) -> [Item] {
        var r = Random(seed: options.seed).stream(UInt64(epoch))
        var order = Array(0..<count)
        if options.shuffle { r.shuffle(&order) }
        // Fresh example indices never meet the cache's (0 ..< count): epoch e uses (e + 1) << 32 + position.
        let freshBase = (epoch + 1) << 32
        guard let cache else { return order.map { .fresh(index: freshBase + $0, anchor: nil) } }
        var isFresh = [Bool](repeating: false, count: count)
        var positions = Array(0..<count)
        r.shuffle(&positions)
        for p in positions.prefix(Int((options.freshFraction * Double(count)).rounded())) { isFresh[p] = true }
        return order.enumerated().map { p, i in
            isFresh[p] ? .fresh(index: freshBase + p, anchor: cache.anchors[i]) : .cached(i)
        }
    }

    /// Batch b of epoch e, built on the calling thread.
    public func batch(epoch: Int, _ b: Int, worker: Int = 0) throws -> Batch {
        try batch(plan(epoch: epoch), epoch: epoch, b, worker: worker)
    }

    func batch(_ plan: [Item], epoch: Int, _ b: Int, worker: Int) throws -> Batch {
        let global = plan[(b * options.batchSize)..<min(plan.count, (b + 1) * options.batchSize)]
        let items = global[shardRange(global)]
        let stream = Random(seed: options.seed ^ 0x5EED_0F_A06).stream(UInt64(epoch))
        var spectrograms: [Spectrogram] = []
        var labels: [Int] = []
        for (p, item) in zip(items.indices, items) {
            var s: Spectrogram
            switch item {
            case .cached(let i):
                s = cache!.spectrogram(i)
                labels.append(cache!.labels[i])
            case .fresh(let index, let anchor):
                let (spectrogram, label) = try fresh!.spectrogram(index, anchor: anchor, worker: worker)
                (s, _) = (spectrogram, labels.append(label))
            }
            if let spectrogramAugmentation {
                var r = stream.stream(UInt64(p))
                s = try spectrogramAugmentation.apply(s, random: &r, worker: worker)
            }
            spectrograms.append(s)
        }
        return try Batch.stack(spectrograms, labels: labels)
    }

    /// The batches of epoch e, prepared by `options.workers` background threads.
    public func epoch(_ e: Int) -> EpochBatches { EpochBatches(self, epoch: e) }
}

/// One epoch's batches in order, as background threads finish them. Stopping early (dropping
/// the sequence) lets the workers finish their current batch and exit.
public final class EpochBatches: Sequence, IteratorProtocol {
    private let shared: Shared
    private var position = 0
    private let total: Int

    /// What the consumer and the workers share: the ready batches and the claim counter.
    private final class Shared: Sendable {
        let ready = Mutex<[Int: Result<Batch, any Error>]>([:])
        let claimed = Mutex(0)
        let stopped = Mutex(false)
        /// Slots for batches being built or waiting: the bound on memory.
        let slots: DispatchSemaphore
        /// Signalled whenever a batch is put into `ready`.
        let arrived = DispatchSemaphore(value: 0)

        init(prefetch: Int) { slots = DispatchSemaphore(value: prefetch) }
    }

    init(_ loader: BatchLoader, epoch: Int) {
        total = loader.batchesPerEpoch
        shared = Shared(prefetch: loader.options.prefetch)
        let plan = loader.plan(epoch: epoch)
        let (shared, total) = (self.shared, self.total)
        let items = plan
        for worker in 0..<Swift.min(loader.options.workers, Swift.max(1, total)) {
            Thread.detachNewThread {
                while true {
                    shared.slots.wait()
                    let b = shared.claimed.withLock { c -> Int in
                        defer { c += 1 }
                        return c
                    }
                    if b >= total || shared.stopped.withLock({ $0 }) {
                        shared.slots.signal()
                        return
                    }
                    let result = Result { try loader.batch(items, epoch: epoch, b, worker: worker) }
                    shared.ready.withLock { $0[b] = result }
                    shared.arrived.signal()
                }
            }
        }
    }

    deinit {
        shared.stopped.withLock { $0 = true }
        // Release every waiting worker so it sees `stopped` and exits.
        for _ in 0..<64 { shared.slots.signal() }
    }

    /// The next batch; throws what building it threw.
    public func nextBatch() throws -> Batch? {
        guard position < total else { return nil }
        while true {
            if let result = shared.ready.withLock({ $0.removeValue(forKey: position) }) {
                position += 1
                shared.slots.signal()
                return try result.get()
            }
            shared.arrived.wait()
        }
    }

    /// For `for batch in loader.epoch(e)`; a failed batch ends the sequence (use `nextBatch`
    /// to see the error).
    public func next() -> Batch? { try? nextBatch() }
}
