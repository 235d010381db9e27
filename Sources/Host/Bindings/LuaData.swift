import CLua
import Native

/// `mm.data`: the data pipeline. `synth` writes the synthetic Messy Mashup set in the Kaggle
/// layout; `kaggle` reads one (LuaDataSet.swift); `bank`, `builder`, `cache`, `loader` and
/// `test_set` turn it into batches (one file each); `mixup` and `cutmix` mix batches.
enum LuaData: LuaModule {
    static let name: String? = "data"
    static var types: [any LuaObject.Type] {
        [
            DataSetObject.self, SongsObject.self, StemBankObject.self, BuilderObject.self, CacheObject.self,
            LoaderObject.self, EpochObject.self, TestSetObject.self,
        ]
    }

    static let functions: [Binding] = [
        kaggle, bank, builder, cache, loader, testSet,
        Binding("mixup") { try mix($0, .mixup) },
        Binding("cutmix") { try mix($0, .cutmix) },
        // mm.data.synth{out=, scale=, songs_per_genre=, test_songs_per_genre=, test_from_train = false,
        //               seconds=, mashups=, noise_clips=, seed=, progress = true}
        Binding("synth") { lua in
            let o = try lua.options(
                1,
                only: [
                    "out", "scale", "seed", "songs_per_genre", "test_songs_per_genre", "test_from_train",
                    "seconds", "mashups", "noise_clips", "progress",
                ])
            let out = try o.required("out", o.string, "the folder to write into expected")
            let scaleName = try o.string("scale") ?? "small"
            guard let scale = SynthScale(rawValue: scaleName) else {
                throw o.invalid("scale", "'tiny', 'small' or 'full' expected, got '\(scaleName)'")
            }
            var config = SynthConfig(scale: scale, seed: Engine.defaultSeed)
            if let seed = try o.integer("seed") { config.seed = UInt64(bitPattern: Int64(seed)) }
            if let n = try o.integer("songs_per_genre") { config.songsPerGenre = n }
            if let n = try o.integer("test_songs_per_genre") { config.testSongsPerGenre = n }
            config.testFromTrain = try o.boolean("test_from_train") ?? false
            if let s = try o.number("seconds") { config.seconds = s }
            if let n = try o.integer("mashups") { config.mashups = n }
            if let n = try o.integer("noise_clips") { config.noiseClips = n }
            // A bar per stage unless the script runs quiet or asks for none.
            let quiet = try o.boolean("progress") == false || lua.quiet
            let bars = SynthProgressBars(config, style: .detect(quiet: quiet))
            defer { bars.close() }
            let summary: SynthSummary
            do {
                summary = try Synth.generate(config, into: out, share: Distributed.workShare, progress: bars.show)
            } catch let error as SynthError {
                let field = error.subject.reduce(into: "") { name, c in
                    if c.isUppercase { name += "_" + c.lowercased() } else { name.append(c) }
                }
                if ["songs_per_genre", "test_songs_per_genre", "seconds", "mashups", "noise_clips"].contains(
                    field)
                {
                    throw o.invalid(field, error.reason)
                }
                throw LuaError.message(error.description)
            }
            return try lua.result(
                LuaRecord([
                    "root": summary.root, "labels": summary.labelsPath, "songs": summary.songs.count,
                    "test_songs": summary.testSongs.count, "noise_clips": summary.noiseClips.count,
                    "mashups": summary.mashups.count, "seconds": summary.elapsed,
                ]))
        },
    ]
}
