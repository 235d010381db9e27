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
    static let properties: Properties = [
        "path": { $0.cache.path },
        "bins": { $0.cache.bins },
        "frames": { $0.cache.frames },
    ]

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
            let label = cache.labels[i - 1]
            return try lua.result(TensorObject(x), label + 1, Genre(rawValue: label)?.name ?? "?")
        },
        // c:labels() -> every entry's 1-based label.
        Binding("labels") { lua in try lua.result(receiver(lua).cache.labels.map { $0 + 1 }) },
    ]

    static let metamethods = [length { $0.cache.count }]

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
}

extension LuaData {
    /// mm.data.cache{builder = b | dataset =, songs =, <recipe>, per_song = 5, folder =,
    /// augment =, seed =, progress = true} -> the cache, built (in parallel, with a progress
    /// bar unless mm.quiet) only when no cache of this exact recipe is in `folder`. Under
    /// mpirun a collective: each rank builds its share and every rank gets the whole cache.
    static let cache = Binding("cache") { lua in
        let o = try lua.table(
            1,
            only: BuilderObject.builderFields.union([
                "builder", "dataset", "bank", "songs", "per_song", "folder", "augment", "progress",
            ]))
        let folder = try o.required("folder", o.string, "the cache folder expected, got nil")
        let perSong = try o.integer("per_song", default: 5)
        let showProgress = try o.boolean("progress") ?? true
        let builder = try CacheObject.builder(o)
        let examples = FreshExamples(
            builder: builder.builder, input: builder.input,
            augmentation: try o.audioPipeline("augment"))
        var bar: ProgressBar?
        let cache = try o.naming([], renamed: ["mashups_per_song": "per_song"]) {
            try SpectrogramCache.prepare(
                folder: folder, examples: examples, perSong: perSong, share: Distributed.workShare
            ) {
                done, total in
                if bar == nil {
                    let style = ProgressStyle.detect(quiet: !showProgress || lua.quiet)
                    bar = ProgressBar(total: total, label: "spectrogram cache", style: style)
                }
                bar?.update(done)
                if done == total { bar?.finish() }
            }
        }
        return try lua.result(CacheObject(cache, examples: examples))
    }
}
