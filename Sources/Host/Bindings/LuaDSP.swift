import CLua
import Native

/// `mm.dsp`: spectrograms and features of mono audio buffers, as librosa 0.11 computes them.
enum LuaDSP: LuaModule {
    static let name: String? = "dsp"
    static var types: [any LuaObject.Type] { [SpectrogramObject.self] }

    /// The options `melspec` and `logmel` read; the defaults are the seed recipe's.
    static let melFields: Set<String> = ["n_mels", "n_fft", "hop", "fmin", "fmax", "power", "htk", "rate"]
    /// The fields a mel options table may hold (the rate is the buffer's).
    static let melOptionNames = melFields.subtracting(["rate"])

    static let functions: [Binding] = [
        // mm.dsp.stft(buf [, {n_fft = 2048, hop = 512, power = 2}]) -> |STFT|^power,
        // (1 + n_fft/2) bins x frames.
        Binding("stft") { lua in
            let samples = try monoAudio(lua, 1).samples
            let options = try lua.options(2, only: ["n_fft", "hop", "power"])
            let nFFT = try options.integer("n_fft", default: 2048)
            let hop = try options.integer("hop", default: 512)
            let power = Float(try options.number("power", default: 2))
            let s = try options.naming(["n_fft", "hop", "power"]) {
                try DSP.powerSpectrogram(samples, nFFT: nFFT, hop: hop, power: power)
            }
            return try lua.result(SpectrogramObject(s, values: power == 1 ? .magnitude : .power))
        },
        // mm.dsp.melspec(buf [, {n_mels = 128, n_fft = 2048, hop = 512, fmin = 20, fmax = 8000,
        // power = 2, htk = false}]) -> the mel power spectrogram (Slaney scale and norm).
        Binding("melspec") { lua in try lua.result(SpectrogramObject(melSpectrogram(lua), values: .power)) },
        // mm.dsp.logmel(buf [, mel options]) -> melspec, then power_to_db with ref "max" and
        // top_db 80, then minmax: the model's input, in [0, 1].
        Binding("logmel") { lua in
            try lua.result(SpectrogramObject(melSpectrogram(lua, logScaled: true), values: .scaled))
        },
        // mm.dsp.musicnn(buf [, {hop = 187}]) -> (patches, 1, 187, 96): musicnn's input, the
        // clip (mono, resampled to 16 kHz when it is not) as log10(10000 mel + 1) in 3 s patches
        // every `hop` frames (no overlap by default); nil for a clip shorter than 3 s.
        Binding("musicnn") { lua in
            let o = try lua.options(2, only: ["hop"])
            var audio = try monoAudio(lua, 1)
            if audio.rate != MusicnnFrontEnd.rate { audio = try audio.resampled(to: MusicnnFrontEnd.rate) }
            let hop = try o.integer("hop", default: MusicnnFrontEnd.patchFrames)
            let patches = try o.naming(["hop"]) {
                try MusicnnFrontEnd.patches(try MusicnnFrontEnd.logMel(audio.samples), hop: hop)
            }
            guard patches.count > 0 else { return lua.resultNil() }
            let t = try Tensor(
                shape: [patches.count, 1, MusicnnFrontEnd.patchFrames, MusicnnFrontEnd.bands], values: patches.values)
            return try lua.result(TensorObject(t))
        },
        // mm.dsp.power_to_db(spec [, {ref = 1 or "max", amin = 1e-10, top_db = 80 or false}]),
        // librosa.power_to_db with its defaults.
        Binding("power_to_db") { lua in
            let s = try lua.object(1, as: SpectrogramObject.self).spectrogram
            let o = try lua.options(2, only: ["ref", "amin", "top_db"])
            let options = try decibelOptions(o)
            let db = try o.naming(["ref", "amin", "top_db"]) { try s.powerToDB(options) }
            return try lua.result(SpectrogramObject(db, values: .decibels))
        },
        // mm.dsp.minmax(spec) -> (s - min) / (max - min), all zeros for a constant spectrogram.
        Binding("minmax") { lua in
            let s = try lua.object(1, as: SpectrogramObject.self).spectrogram
            return try lua.result(SpectrogramObject(s.minMaxScaled(), values: .scaled))
        },
        // mm.dsp.features(buf [, {n_mfcc = 20}]) -> {rms =, zcr =, centroid =, flatness =,
        // mfcc = {n_mfcc means}, frames = {rms =, zcr =, centroid =, flatness = (1-D tensors),
        // mfcc = spectrogram n_mfcc x frames}}: the means over frames of librosa's features
        // with their defaults (n_fft / frame length 2048, hop 512), and the per-frame values.
        Binding("features") { lua in
            let audio = try monoAudio(lua, 1)
            let options = try lua.options(2, only: ["n_mfcc"])
            let coefficients = try options.integer("n_mfcc", default: 20)
            var mel = MelOptions.librosa
            mel.rate = audio.rate
            let tracks: [(String, [Float])] = [
                ("rms", try DSP.rms(audio.samples)),
                ("zcr", try DSP.zeroCrossingRate(audio.samples)),
                ("centroid", try DSP.spectralCentroid(audio.samples, rate: audio.rate)),
                ("flatness", try DSP.spectralFlatness(audio.samples)),
            ]
            let mfcc = try options.naming(["n_mfcc"]) {
                try DSP.mfcc(audio.samples, coefficients: coefficients, mel: mel)
            }
            var frames: [(String, any LuaValue)] = try tracks.map { name, values in
                (name, TensorObject(try Tensor(shape: [values.count], values: values)))
            }
            frames.append(("mfcc", SpectrogramObject(mfcc, values: .coefficients)))
            var features: [(String, any LuaValue)] = tracks.map { name, values in (name, mean(values[...])) }
            features.append(("mfcc", (0..<mfcc.bins).map { mean(mfcc.row($0)) }))
            features.append(("frames", LuaRecord(frames)))
            return try lua.result(LuaRecord(features))
        },
    ]

    /// The mono audio buffer at `index`.
    private static func monoAudio(_ lua: Lua, _ index: Int32) throws -> Audio {
        let audio = try lua.object(index, as: AudioBuffer.self).audio
        guard audio.channels == 1 else {
            throw LuaError.argument(index, "mono audio expected, got \(audio.channels) channels (call :mono() first)")
        }
        return audio
    }

    /// melspec's work: arguments (buf, options) read, the transform built and run.
    /// The power mel spectrogram of argument 1 with the options of argument 2, or with
    /// `logScaled` the model's input (power_to_db with ref "max" and top_db 80, then min-max).
    private static func melSpectrogram(_ lua: Lua, logScaled: Bool = false) throws -> Spectrogram {
        let audio = try monoAudio(lua, 1)
        let options = try lua.options(2, only: melOptionNames)
        var mel = MelOptions()
        mel.rate = audio.rate
        mel.bands = try options.integer("n_mels", default: mel.bands)
        mel.nFFT = try options.integer("n_fft", default: mel.nFFT)
        mel.hop = try options.integer("hop", default: mel.hop)
        mel.fmin = try options.number("fmin", default: mel.fmin)
        mel.fmax = try options.number("fmax") ?? mel.fmax
        mel.power = Float(try options.number("power", default: Double(mel.power)))
        mel.htk = try options.boolean("htk") ?? mel.htk
        return try options.naming(melFields) {
            let transform = try MelSpectrogram.shared(mel)
            return logScaled ? try transform.logMel(audio.samples) : try transform(audio.samples)
        }
    }

    private static func decibelOptions(_ options: LuaOptions) throws -> DecibelOptions {
        var db = DecibelOptions()
        switch options.type(of: "ref") {
        case LUA_TNIL: break
        case LUA_TSTRING:
            _ = try options.choice("ref", ["max"], default: "max")
            db.ref = .max
        case LUA_TNUMBER: db.ref = .value(Float(try options.number("ref")!))
        default: throw options.invalid("ref", "'max' or a number expected, got \(options.typeName(of: "ref"))")
        }
        db.amin = Float(try options.number("amin", default: Double(db.amin)))
        switch options.type(of: "top_db") {
        case LUA_TNIL: break
        case LUA_TBOOLEAN where try options.boolean("top_db") == false: db.topDB = nil
        case LUA_TNUMBER: db.topDB = Float(try options.number("top_db")!)
        default: throw options.invalid("top_db", "a number or false expected, got \(options.typeName(of: "top_db"))")
        }
        return db
    }

    /// The mean in double precision; 0 for none.
    private static func mean(_ values: ArraySlice<Float>) -> Double {
        values.isEmpty ? 0 : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    }
}
