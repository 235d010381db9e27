import CLua
import Native

/// The spectrogram cache as Lua holds it (`mm.data.cache{...}`): float16 spectrograms on disk,
/// memory-mapped, keyed by the data set, the recipe, the augmentations and the seed; and the
/// examples it was built from, so that a loader can mix fresh mashups in.
final class CacheObject: LuaObject, Sendable {
    let cache: SpectrogramCache
    let examples: FreshExamples

    init(_ cache: SpectrogramCache, examples: FreshExamples) { (self.cache, self.examples) = (cache, examples) }

    static let luaTypeName = "mashup.cache"

    var luaDescription: String {
        "spectrogram cache: \(cache.count) x \(cache.bins) x \(cache.frames) float16, \(cache.path)"
    }

    /// `c.path`, `c.bins`, `c.frames`.
    func property(_ name: String, lua: Lua) throws -> Bool {
        switch name {
        case "path": lua.push(cache.path)
        case "bins": lua.push(cache.bins)
        case "frames": lua.push(cache.frames)
        default: return false
        }
        return true
    }

    static func receiver(_ lua: Lua) throws -> CacheObject { try lua.object(1, as: CacheObject.self) }

    static let methods: [Binding] = [
        // c:get(i) -> entry i as a (1, bins, frames) tensor, its label (1-based), its genre.
        Binding("get") { lua in
            let cache = try receiver(lua).cache
            let i = try lua.integer(2)
            guard (1...cache.count).contains(i) else {
                throw LuaError.argument(2, "entry 1 ... \(cache.count) expected, got \(i)")
            }
            let x = Tensor(shape: [1, cache.bins, cache.frames])
            cache.copy(i - 1, into: x.data)
            lua.push(TensorObject(x))
            lua.push(cache.labels[i - 1] + 1)
            lua.push(Genre(rawValue: cache.labels[i - 1])?.name ?? "?")
            return 3
        },
        // c:labels() -> every entry's 1-based label.
        Binding("labels") { lua in
            try lua.push(integers: try receiver(lua).cache.labels.map { $0 + 1 })
            return 1
        },
    ]

    static let metamethods: [Binding] = [
        Binding("__len") { lua in lua.result(try receiver(lua).cache.count) }
    ]

    /// The builder of a cache or loader options table: `builder = b`, or one made from
    /// `dataset =` (or `bank =`), `songs =` and the recipe fields of the same table.
    static func builder(_ o: LuaOptions) throws -> BuilderObject {
        if let builder = try o.object("builder", as: BuilderObject.self) { return builder }
        let key = o.has("bank") ? "bank" : "dataset"
        guard o.has(key), let index = o.index else {
            throw o.invalid("builder", "a builder, or a dataset (with songs and the recipe), expected, got nil")
        }
        try o.lua.reserve(2)
        o.lua.push(key)
        lua_rawget(o.lua.L, index)
        defer { clua_pop(o.lua.L, 1) }
        guard let bank = try StemBankObject.resolve(o.lua, -1) else {
            throw o.invalid(key, "a \(StemBankObject.expected) expected, got \(o.lua.typeName(-1))")
        }
        return try BuilderObject.make(bank: bank, songs: try o.object("songs", as: SongsObject.self), options: o)
    }

    /// An audio augmentation option as the pipeline `FreshExamples` takes.
    static func audioPipeline(_ o: LuaOptions, _ key: String) throws -> AudioPipeline? {
        guard let augmentation = try AugmentationObject.audioOption(o, key) else { return nil }
        if let pipeline = augmentation as? AudioPipeline { return pipeline }
        return try AudioPipeline([(augmentation, probability: 1)])
    }
}

extension LuaData {
    /// mm.data.cache{builder = b | dataset =, songs =, <recipe>, per_song = 5, folder =,
    /// augment =, seed =, progress = true} -> the cache, built (in parallel, with a progress
    /// bar unless mm.quiet) only when no cache of this exact recipe is in `folder`. Under
    /// mpirun a collective: each rank builds its share and every rank gets the whole cache.
    static func cache(_ lua: Lua) throws -> Int32 {
        guard lua.type(1) == LUA_TTABLE else { throw LuaError.type(1, expected: "table") }
        let o = try lua.options(1)
        try o.only(
            BuilderObject.builderFields.union([
                "builder", "dataset", "bank", "songs", "per_song", "folder", "augment", "progress",
            ]))
        guard let folder = try o.string("folder") else {
            throw o.invalid("folder", "the cache folder expected, got nil")
        }
        let perSong = try o.integer("per_song", default: 5)
        let showProgress = try o.boolean("progress") ?? true
        let builder = try CacheObject.builder(o)
        let examples = FreshExamples(
            builder: builder.builder, input: builder.input,
            augmentation: try CacheObject.audioPipeline(o, "augment"))
        var bar: ProgressBar?
        let cache = try o.naming(["per_song"]) {
            do {
                return try SpectrogramCache.prepare(
                    folder: folder, examples: examples, perSong: perSong, share: Distributed.workShare
                ) {
                    done, total in
                    if bar == nil {
                        bar = ProgressBar(
                            total: total, label: "spectrogram cache",
                            style: .detect(quiet: !showProgress || isQuiet(lua)))
                    }
                    bar?.update(done)
                    if done == total { bar?.finish() }
                }
            } catch let error as DataError where error.subject == "mashups_per_song" {
                throw DataError("per_song", error.reason)
            }
        }
        return lua.result(CacheObject(cache, examples: examples))
    }

    /// `mm.quiet`, read raw from the loaded module.
    static func isQuiet(_ lua: Lua) -> Bool {
        let L = lua.L
        guard (try? lua.reserve(3)) != nil else { return false }
        lua.push(LUA_LOADED_TABLE)
        lua_rawget(L, clua_registryindex())
        lua.push("mashup")
        defer { clua_pop(L, 2) }
        guard lua_rawget(L, -2) == LUA_TTABLE else { return false }
        lua.push("quiet")
        lua_rawget(L, -2)
        defer { clua_pop(L, 1) }
        return lua.boolean(-1)
    }
}
