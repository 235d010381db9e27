import CLua
import CLuaBridge
import Native

/// The batch loader as Lua holds it (`mm.data.loader{...}`): batches of N x 1 x bins x frames
/// from a cache, from a builder on the fly, or a mix, prepared by background threads.
final class LoaderObject: LuaObject, Sendable {
    let loader: BatchLoader

    init(_ loader: BatchLoader) { self.loader = loader }

    static let luaTypeName = "mashup.loader"

    var luaDescription: String {
        let source =
            loader.cache == nil ? "fresh mashups" : loader.options.freshFraction > 0 ? "cache + fresh mashups" : "cache"
        return
            "loader: \(loader.batchesPerEpoch) batches of \(loader.options.batchSize) from \(source), \(loader.options.workers) workers"
    }

    /// `l.examples` (per epoch), `l.batch` (the batch size).
    static let properties: Properties = [
        "examples": { $0.loader.count },
        "batch": { $0.loader.options.batchSize },
    ]

    static let methods: [Binding] = [
        // l:epoch(e) -> an iterator over epoch e's batches: `for x, y, labels in l:epoch(e)`,
        // x a tensor (N, 1, bins, frames), y the 1-based labels (a table), or the (N, C) soft
        // targets when a batch was mixed, labels always the labels. Epoch e's order and draws
        // depend only on the seed and e; breaking out early stops the workers.
        Binding("epoch") { lua in
            let loader = try receiver(lua).loader
            let epoch = try lua.integer(2)
            try lua.push(EpochObject(loader.epoch(epoch)))
            next.push(lua.L, upvalues: 1)
            return 1
        }
    ]

    /// The iterator of `epoch`: its batches object is upvalue 2.
    static let next = Binding("next") { lua in
        guard let epoch = EpochObject.peek(lua.L, Binding.upvalue(1)) else {
            throw LuaError.message("the epoch has been released")
        }
        guard let batch = try epoch.batches.nextBatch() else { return lua.resultNil() }
        let labels = batch.labels.map { $0 + 1 }
        let y: any LuaValue = batch.targets.map(TensorObject.init) ?? labels
        return try lua.result(TensorObject(batch.x), y, labels)
    }

    /// `#l`: batches per epoch.
    static let metamethods = [length { $0.loader.batchesPerEpoch }]
}

/// A full collection of a state, run as `collectgarbage` under lua_pcall (finalizers are
/// bindings too). Loops over batches do not need it: each pushed tensor counts its native bytes
/// towards the collector's pace (`LuaObject.nativeBytes`); measured over 600 batches of 10.6 MB,
/// the peak memory is the same with or without a collection per batch, 5% faster without.
extension Lua {
    func collectGarbage() {
        guard (try? reserve(3)) != nil else { return }
        guard pushGlobal("collectgarbage") == LUA_TFUNCTION else { return clua_pop(L, 1) }
        if clua_pcall(L, 0, 0, 0) != LUA_OK { clua_pop(L, 1) }
    }
}

/// One epoch in progress; when Lua collects it (the loop ended or was left), the workers stop.
final class EpochObject: LuaObject {
    let batches: EpochBatches

    init(_ batches: EpochBatches) { self.batches = batches }

    static let luaTypeName = "mashup.epoch"
    var luaDescription: String { "epoch batches" }
}

extension LuaData {
    /// mm.data.loader{source = cache or builder, batch = 16, shuffle = true, drop_last = false,
    /// workers = 2, prefetch = 4, fresh_fraction = 0, examples_per_epoch = (#builder with a
    /// builder), augment = audio pipeline (fresh examples), spec_augment = spectrogram
    /// pipeline, seed =, shard = true} -> a loader. Under mpirun each rank's loader yields its
    /// shard of every global batch of `batch` examples (shard = false: whole batches).
    static let loader = Binding("loader") { lua in
        let o = try lua.table(
            1,
            only: [
                "source", "batch", "shuffle", "drop_last", "workers", "prefetch", "fresh_fraction",
                "examples_per_epoch", "augment", "spec_augment", "seed", "shard",
            ])
        var options = LoaderOptions()
        options.batchSize = try o.integer("batch", default: options.batchSize)
        options.shuffle = try o.boolean("shuffle") ?? options.shuffle
        options.dropLast = try o.boolean("drop_last") ?? options.dropLast
        options.workers = try o.integer("workers", default: options.workers)
        options.prefetch = try o.integer("prefetch", default: options.prefetch)
        options.freshFraction = try o.number("fresh_fraction", default: options.freshFraction)
        options.seed = try o.seed(default: Engine.withRandom { $0.next() })
        // In a job of several processes each builds its shard of every global batch (unless
        // shard = false: then every rank gets whole batches, as for an evaluation all run alike).
        if try o.boolean("shard") ?? true { (options.shard, options.shards) = (Distributed.rank, Distributed.size) }
        let augment = try o.audioPipeline("augment")
        let spectrogramAugment = try o.spectrogramPipeline("spec_augment")
        var cache: SpectrogramCache?
        let fresh: FreshExamples
        if let c = try o.peek("source", as: CacheObject.self) {
            cache = c.cache
            fresh = FreshExamples(
                builder: c.examples.builder, input: c.examples.input,
                augmentation: augment ?? c.examples.augmentation)
        } else if let b = try o.peek("source", as: BuilderObject.self) {
            fresh = FreshExamples(builder: b.builder, input: b.input, augmentation: augment)
            options.examplesPerEpoch = b.builder.pool.count
        } else {
            throw o.invalid(
                "source",
                "a cache (mm.data.cache) or a builder (mm.data.builder) expected, got \(o.typeName(of: "source"))")
        }
        options.examplesPerEpoch = try o.integer("examples_per_epoch", default: options.examplesPerEpoch)
        let fields: Set = ["workers", "prefetch", "fresh_fraction", "examples_per_epoch", "drop_last"]
        let loader = try o.naming(fields, renamed: ["batch_size": "batch"]) {
            try BatchLoader(cache: cache, fresh: fresh, options: options, spectrogramAugmentation: spectrogramAugment)
        }
        return try lua.result(LoaderObject(loader))
    }
}
