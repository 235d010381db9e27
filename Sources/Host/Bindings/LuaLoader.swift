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
    func property(_ name: String, lua: Lua) throws -> Bool {
        switch name {
        case "examples": lua.push(loader.count)
        case "batch": lua.push(loader.options.batchSize)
        default: return false
        }
        return true
    }

    static func receiver(_ lua: Lua) throws -> LoaderObject { try lua.object(1, as: LoaderObject.self) }

    static let methods: [Binding] = [
        // l:epoch(e) -> an iterator over epoch e's batches: `for x, y, labels in l:epoch(e)`,
        // x a tensor (N, 1, bins, frames), y the 1-based labels (a table), or the (N, C) soft
        // targets when a batch was mixed, labels always the labels. Epoch e's order and draws
        // depend only on the seed and e; breaking out early stops the workers.
        Binding("epoch") { lua in
            let loader = try receiver(lua).loader
            let epoch = try lua.integer(2)
            lua.push(EpochObject(loader.epoch(epoch)))
            next.push(lua.L, upvalues: 1)
            return 1
        }
    ]

    /// The iterator of `epoch`: its batches object is upvalue 2.
    static let next = Binding("next") { try nextBatch($0) }

    static func nextBatch(_ lua: Lua) throws -> Int32 {
        guard let epoch = EpochObject.peek(lua.L, Binding.upvalue(1)) else {
            throw LuaError.message("the epoch has been released")
        }
        guard let batch = try epoch.batches.nextBatch() else {
            lua.pushNil()
            return 1
        }
        lua.push(TensorObject(batch.x))
        let labels = batch.labels.map { $0 + 1 }
        if let targets = batch.targets {
            lua.push(TensorObject(targets))
        } else {
            try lua.push(integers: labels)
        }
        try lua.push(integers: labels)
        return 3
    }

    static let metamethods: [Binding] = [
        // #l: batches per epoch.
        Binding("__len") { lua in lua.result(try receiver(lua).loader.batchesPerEpoch) }
    ]
}

/// A full collection of a state, run as `collectgarbage` under lua_pcall (finalizers are
/// bindings too). Loops over batches do not need it: each pushed tensor counts its native bytes
/// towards the collector's pace (`LuaObject.nativeBytes`); measured over 600 batches of 10.6 MB,
/// the peak memory is the same with or without a collection per batch, 5% faster without.
extension Lua {
    func collectGarbage() {
        guard (try? reserve(3)) != nil else { return }
        lua_rawgeti(L, clua_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push("collectgarbage")
        let found = lua_rawget(L, -2) == LUA_TFUNCTION
        clua_remove(L, -2)
        guard found else { return clua_pop(L, 1) }
        if clua_pcall(L, 0, 0, 0) != LUA_OK { clua_pop(L, 1) }
    }
}

/// One epoch in progress; when Lua collects it (the loop ended or was left), the workers stop.
final class EpochObject: LuaObject {
    let batches: EpochBatches

    init(_ batches: EpochBatches) { self.batches = batches }

    static let luaTypeName = "mashup.epoch"
    var luaDescription: String { "epoch batches" }
    static let methods: [Binding] = []
}

extension LuaData {
    /// mm.data.loader{source = cache or builder, batch = 16, shuffle = true, drop_last = false,
    /// workers = 2, prefetch = 4, fresh_fraction = 0, examples_per_epoch = (#builder with a
    /// builder), augment = audio pipeline (fresh examples), spec_augment = spectrogram
    /// pipeline, seed =, shard = true} -> a loader. Under mpirun each rank's loader yields its
    /// shard of every global batch of `batch` examples (shard = false: whole batches).
    static func loader(_ lua: Lua) throws -> Int32 {
        guard lua.type(1) == LUA_TTABLE else { throw LuaError.type(1, expected: "table") }
        let o = try lua.options(1)
        try o.only([
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
        let augment = try CacheObject.audioPipeline(o, "augment")
        let spectrogramAugment = try AugmentationObject.spectrogramOption(o, "spec_augment").map { s in
            try (s as? SpectrogramPipeline) ?? SpectrogramPipeline([(s, probability: 1)])
        }
        var cache: SpectrogramCache?
        let fresh: FreshExamples
        try lua.reserve(2)
        lua.push("source")
        lua_rawget(lua.L, 1)
        if let c = CacheObject.peek(lua.L, -1) {
            cache = c.cache
            fresh = FreshExamples(
                builder: c.examples.builder, input: c.examples.input,
                augmentation: augment ?? c.examples.augmentation)
        } else if let b = BuilderObject.peek(lua.L, -1) {
            fresh = FreshExamples(builder: b.builder, input: b.input, augmentation: augment)
            options.examplesPerEpoch = b.builder.pool.count
        } else {
            throw o.invalid(
                "source", "a cache (mm.data.cache) or a builder (mm.data.builder) expected, got \(lua.typeName(-1))"
            )
        }
        clua_pop(lua.L, 1)
        options.examplesPerEpoch = try o.integer("examples_per_epoch", default: options.examplesPerEpoch)
        let loader = try o.naming(["batch", "workers", "prefetch", "fresh_fraction", "examples_per_epoch", "drop_last"])
        {
            do {
                return try BatchLoader(
                    cache: cache, fresh: fresh, options: options, spectrogramAugmentation: spectrogramAugment)
            } catch let error as DataError where error.subject == "batch_size" {
                throw DataError("batch", error.reason)
            }
        }
        return lua.result(LoaderObject(loader))
    }
}
