import CLua
import Native

/// Training mashups on demand (`mm.data.builder`): the native `MashupBuilder` over a stem bank
/// and a set of songs, with the recipe's every knob as a snake_case option, and the model input
/// (fixed length, log-mel, min-max) that turns an example into the network's 128 x T image.
final class BuilderObject: LuaObject, Sendable {
    let builder: MashupBuilder
    let input: ModelInput
    let bank: StemBankObject

    init(_ builder: MashupBuilder, input: ModelInput, bank: StemBankObject) {
        (self.builder, self.input, self.bank) = (builder, input, bank)
    }

    static let luaTypeName = "mashup.builder"

    var luaDescription: String {
        let o = builder.options
        return
            "mashup builder: \(builder.pool.count) songs, crop \(o.cropSeconds) s, \(o.noiseClips) noise clips (\(o.noiseMode.rawValue)), "
            + "input \(input.bins) x \(input.frames), seed \(builder.seed)"
    }

    /// `b.seed`, `b.bins`, `b.frames`, `b.rate`, `b.seconds` (the input length).
    static let properties: Properties = [
        "seed": { Int(Int64(bitPattern: $0.builder.seed)) },
        "bins": { $0.input.bins },
        "frames": { $0.input.frames },
        "rate": { $0.input.rate },
        "seconds": { $0.input.options.seconds },
    ]

    /// The recipe fields of an options table, as `MashupOptions` names them in snake_case.
    static let recipeFields: Set<String> = [
        "same_song", "tempo_align", "stem_volume", "stem_eq", "stem_eq_gain", "stem_dropout", "keep_stems",
        "crop_seconds", "noise_clips",
        "noise_mode", "noise_intensity", "snr", "normalization", "peak_level", "rms_level",
    ]

    static func recipe(_ o: LuaOptions) throws -> MashupOptions {
        var recipe = MashupOptions()
        recipe.sameSong = try o.number("same_song", default: recipe.sameSong)
        recipe.tempoAlign = try o.boolean("tempo_align") ?? recipe.tempoAlign
        recipe.stemVolume = try o.range("stem_volume", default: recipe.stemVolume)
        recipe.stemEQ = try o.number("stem_eq", default: recipe.stemEQ)
        recipe.stemEQGain = try o.range("stem_eq_gain", default: recipe.stemEQGain)
        recipe.stemDropout = try o.number("stem_dropout", default: recipe.stemDropout)
        if let names = try o.strings("keep_stems") {
            recipe.keepStems = Set(
                try names.map { name in
                    guard let stem = Stem(rawValue: name) else {
                        throw o.invalid(
                            "keep_stems", "stem names 'drums', 'vocals', 'bass' or 'other' expected, got '\(name)'")
                    }
                    return stem
                })
        }
        recipe.cropSeconds = try o.range("crop_seconds", default: recipe.cropSeconds)
        recipe.noiseClips = try o.integerRange("noise_clips") ?? recipe.noiseClips
        recipe.noiseMode = try o.choice("noise_mode", default: recipe.noiseMode)
        recipe.noiseIntensity = try o.range("noise_intensity", default: recipe.noiseIntensity)
        recipe.snr = try o.range("snr", default: recipe.snr)
        recipe.normalization = try o.choice("normalization", default: recipe.normalization)
        recipe.peakLevel = try o.number("peak_level", default: recipe.peakLevel)
        recipe.rmsLevel = try o.number("rms_level", default: recipe.rmsLevel)
        try o.naming(recipeFields) { try recipe.validate() }
        return recipe
    }

    /// The model input fields (`inputOptions`).
    static let inputFields: Set<String> = [
        "seconds", "n_mels", "n_fft", "hop", "fmin", "fmax", "top_db", "representation",
    ]
    /// Every field a builder's options table may hold: the recipe, the model input, `seed`,
    /// and `rate`, which must be the bank's.
    static let builderFields = recipeFields.union(inputFields).union(["seed", "rate"])

    /// The model input fields: `seconds` (30), `n_mels`, `n_fft`, `hop`, `fmin`, `fmax`, `top_db`,
    /// and `representation`: "decibels" (the seed's scaled log-mel) or "musicnn" (the pretrained
    /// networks' input, whose mel settings are fixed, at 16 kHz).
    static func inputOptions(_ o: LuaOptions, rate: Int) throws -> ModelInput {
        var options = ModelInputOptions()
        options.seconds = try o.number("seconds", default: options.seconds)
        if try o.choice("representation", default: ModelInputOptions.Representation.decibels) == .musicnn {
            let musicnn = ModelInputOptions.musicnn(seconds: options.seconds)
            for field in ["n_mels", "n_fft", "hop", "fmin", "fmax", "top_db"] where o.type(of: field) != LUA_TNIL {
                throw o.invalid(field, "nothing: musicnn's input fixes its mel settings (leave \(field) out)")
            }
            guard rate == musicnn.mel.rate else {
                throw o.invalid(
                    "representation",
                    "audio at \(musicnn.mel.rate) Hz for musicnn's input (make the stem bank with {rate = \(musicnn.mel.rate)}), got \(rate) Hz"
                )
            }
            return try ModelInput(musicnn)
        }
        options.mel.rate = rate
        options.mel.bands = try o.integer("n_mels", default: options.mel.bands)
        options.mel.nFFT = try o.integer("n_fft", default: options.mel.nFFT)
        options.mel.hop = try o.integer("hop", default: options.mel.hop)
        options.mel.fmin = try o.number("fmin", default: options.mel.fmin)
        options.mel.fmax = try o.number("fmax") ?? options.mel.fmax
        options.topDB = Float(try o.number("top_db", default: Double(options.topDB)))
        return try o.naming(LuaDSP.melFields.union(["seconds", "top_db"])) { try ModelInput(options) }
    }

    /// A builder from a bank (or data set), a songs object or nil (every song), and the recipe,
    /// input and `seed` fields of `o` (the seed defaults to a draw of the process generator,
    /// so `mm.seed(n)` fixes it).
    static func make(bank: StemBankObject, songs: SongsObject?, options o: LuaOptions) throws -> BuilderObject {
        if let songs, songs.dataSet.dataSet.root != bank.dataSet.dataSet.root {
            throw LuaError.message(
                "songs: the songs belong to \(songs.dataSet.dataSet.root), the bank to \(bank.dataSet.dataSet.root)")
        }
        if let rate = try o.integer("rate"), rate != bank.bank.options.rate {
            throw o.invalid(
                "rate",
                "the stem bank holds audio at \(bank.bank.options.rate) Hz (make it with mm.data.bank(ds, {rate = \(rate)})), got \(rate)"
            )
        }
        let recipe = try recipe(o)
        let seed = try o.seed(default: Engine.withRandom { $0.next() })
        let input = try inputOptions(o, rate: bank.bank.options.rate)
        let builder = try o.naming(recipeFields.union(["songs"])) {
            try MashupBuilder(bank: bank.bank, songs: songs?.indices, options: recipe, seed: seed)
        }
        return BuilderObject(builder, input: input, bank: bank)
    }

    /// The example number at `index`: Lua's 1-based i is the native example i - 1.
    static func exampleIndex(_ lua: Lua, _ index: Int32) throws -> Int {
        let i = try lua.integer(index)
        guard i >= 1 else { throw LuaError.argument(index, "example index >= 1 expected, got \(i)") }
        return i - 1
    }

    /// What was drawn for an example: `{stems = {drums = {song =, name =, volume =, dropped =},
    /// ...}, noise = {{clip =, level =, category =}, ...}, seconds =, noise_mode =}`.
    func draws(_ example: MashupExample) -> LuaRecord {
        let songs = bank.dataSet.dataSet.songs
        let clips = bank.dataSet.dataSet.noiseClips
        let stems: [(String, any LuaValue)] = Stem.allCases.enumerated().map { k, stem in
            let song = example.songs[k]
            return (
                stem.rawValue,
                LuaRecord([
                    "volume": example.volumes[k], "dropped": song == nil, "song": song.map { $0 + 1 },
                    "name": song.map { songs[$0].name },
                ])
            )
        }
        let noise = example.noise.map { noise in
            LuaRecord(["clip": noise.clip + 1, "level": noise.level, "category": clips[noise.clip].category])
        }
        return LuaRecord([
            "stems": LuaRecord(stems), "noise": noise, "seconds": example.seconds,
            "noise_mode": builder.options.noiseMode.rawValue,
        ])
    }

    static let methods: [Binding] = [
        // b:example(i) -> buf (mono, the bank's rate, the drawn length), genre, label (1-based),
        // draws. Example i is the same on every call, thread and run for the builder's seed.
        Binding("example") { lua in
            let b = try receiver(lua)
            let example = try b.builder.example(try exampleIndex(lua, 2))
            return try lua.result(AudioBuffer(example.audio), example.genre.name, example.label + 1, b.draws(example))
        },
        // b:logmel(i) -> the model input of example i (bins x frames, 128 x 1292 for 30 s),
        // genre, label.
        Binding("logmel") { lua in
            let b = try receiver(lua)
            let example = try b.builder.example(try exampleIndex(lua, 2))
            let input = SpectrogramObject(try b.input.spectrogram(example.audio), values: .scaled)
            return try lua.result(input, example.genre.name, example.label + 1)
        },
        // b:input(buf) -> any mono buffer at the bank's rate as the model sees it (fitted to
        // the input length, log-mel, min-max).
        Binding("input") { lua in
            let b = try receiver(lua)
            let audio = try lua.object(2, as: AudioBuffer.self).audio
            return try lua.result(SpectrogramObject(try b.input.spectrogram(audio), values: .scaled))
        },
    ]

    /// `#b`: the songs the builder draws anchors from.
    static let metamethods = [length { $0.builder.pool.count }]
}

extension LuaData {
    /// mm.data.builder(ds_or_bank [, songs [, {recipe..., seconds =, n_mels =, ..., seed =}]])
    /// -> a mashup builder over `songs` (a split's side; every song when nil).
    static let builder = Binding("builder") { lua in
        guard let bank = try StemBankObject.resolve(lua, 1) else {
            throw LuaError.type(1, expected: StemBankObject.expected)
        }
        let songs = try lua.optionalObject(2, as: SongsObject.self)
        let options = try lua.options(3, only: BuilderObject.builderFields)
        return try lua.result(try BuilderObject.make(bank: bank, songs: songs, options: options))
    }
}
