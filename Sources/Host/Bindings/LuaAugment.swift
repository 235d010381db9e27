import CLua
import Native

/// An augmentation as Lua holds it: a native one (`mm.augment.gain{db = {-6, 6}}`), one
/// written in Lua (`mm.augment.lua(fn)`) or a pipeline of them, for audio buffers or for
/// spectrograms. Immutable, so worker states may share it. `aug(x [, rng])` or
/// `aug:apply(x [, rng])` applies it once, drawing from `rng` (an `mm.augment.rng`, or the
/// `rng` a Lua augmentation receives) or else from the process generator that `mm.seed` sets.
final class AugmentationObject: LuaObject, Sendable {
    enum Stage: Sendable {
        case audio(any Augmentation<Audio>)
        case spectrogram(any Augmentation<Spectrogram>)
    }

    let stage: Stage
    /// What `print` shows: "gain", "lua augment.telephone", "pipeline (audio): ...".
    let name: String
    /// For a Lua augmentation, its function, so a pipeline of the other kind can take it too.
    let luaFunction: LuaWorkerFunction?
    /// The same for the same augmentation in any process (its constructor and options, its
    /// steps, its Lua function's code): what a copied upvalue contributes to a cache key.
    let identity: String

    init(_ stage: Stage, name: String, identity: String, luaFunction: LuaWorkerFunction? = nil) {
        (self.stage, self.name, self.identity, self.luaFunction) = (stage, name, identity, luaFunction)
    }

    static let luaTypeName = "mashup.augmentation"

    var kind: String {
        if case .audio = stage { return "audio" }
        return "spectrogram"
    }

    var luaDescription: String { "augmentation: \(name)" }

    var audio: (any Augmentation<Audio>)? {
        if case .audio(let a) = stage { return a }
        if let luaFunction { return LuaAugmentation<Audio>(function: luaFunction) }
        return nil
    }

    var spectrogram: (any Augmentation<Spectrogram>)? {
        if case .spectrogram(let a) = stage { return a }
        if let luaFunction { return LuaAugmentation<Spectrogram>(function: luaFunction) }
        return nil
    }

    /// `aug.kind`: "audio" or "spectrogram"; `aug.name`.
    static let properties: Properties = [
        "kind": { $0.kind },
        "name": { $0.name },
    ]

    /// aug(x [, rng]) -> the augmented copy of x.
    static func apply(_ lua: Lua) throws -> Int32 {
        let object = try receiver(lua)
        let given = try lua.optionalObject(3, as: RandomObject.self)
        var random = given?.random ?? Random(seed: Engine.withRandom { $0.next() })
        defer { given?.random = random }
        switch object.stage {
        case .audio(let augmentation):
            let audio = try lua.object(2, as: AudioBuffer.self).audio
            return try lua.result(AudioBuffer(try augmentation.apply(audio, random: &random, worker: 0)))
        case .spectrogram(let augmentation):
            let s = try lua.object(2, as: SpectrogramObject.self)
            let augmented = try augmentation.apply(s.spectrogram, random: &random, worker: 0)
            return try lua.result(SpectrogramObject(augmented, values: s.values))
        }
    }

    static let methods: [Binding] = [Binding("apply") { try apply($0) }]
    static let metamethods: [Binding] = [Binding("__call") { try apply($0) }]

    /// The audio augmentation, else the error `fail` words from "an audio augmentation expected,
    /// got a spectrogram one" for where it was met (a pipeline's step, a loader's option).
    func audio(or fail: (String) -> LuaError) throws -> any Augmentation<Audio> {
        guard let audio else { throw fail("an audio augmentation expected, got a \(kind) one") }
        return audio
    }

    func spectrogram(or fail: (String) -> LuaError) throws -> any Augmentation<Spectrogram> {
        guard let spectrogram else { throw fail("a spectrogram augmentation expected, got an \(kind) one") }
        return spectrogram
    }
}

extension LuaOptions {
    /// The augmentation in field `key` (a pipeline, one augmentation or a Lua function) as the
    /// audio pipeline a loader or cache takes, nil when absent; a spectrogram one is an error.
    func audioPipeline(_ key: String) throws -> AudioPipeline? {
        guard let a = try object(key, as: AugmentationObject.self)?.audio(or: { invalid(key, $0) }) else { return nil }
        return try (a as? AudioPipeline) ?? AudioPipeline([(a, probability: 1)])
    }

    func spectrogramPipeline(_ key: String) throws -> SpectrogramPipeline? {
        guard let s = try object(key, as: AugmentationObject.self)?.spectrogram(or: { invalid(key, $0) }) else {
            return nil
        }
        return try (s as? SpectrogramPipeline) ?? SpectrogramPipeline([(s, probability: 1)])
    }
}

/// `mm.augment`: native augmentations with their draws as options (a number, or a range
/// `{low, high}` drawn uniformly), Lua augmentations, pipelines, and generators.
enum LuaAugment: LuaModule {
    static let name: String? = "augment"
    static var types: [any LuaObject.Type] { [AugmentationObject.self, RandomObject.self] }

    /// Reads the options table (argument 1), which may hold only the fields in `accepts`, into
    /// a stage; a native error about one of them is raised as an error of that field, and one
    /// about a name in `renamed` as an error of the Lua field it maps to (`frequency` is
    /// `cutoff` for a low-pass).
    static func construct(
        _ lua: Lua, _ name: String, accepts: Set<String>, renamed: [String: String] = [:],
        _ make: (LuaOptions) throws -> AugmentationObject.Stage
    ) throws -> Int32 {
        let o = try lua.options(1, only: accepts)
        do {
            // Options are plain values; their copy's text identifies the augmentation.
            var capture = try LuaValueCapture(lua)
            let options = (try? capture.capture(1, at: "options"))?.canonical ?? "{}"
            return try lua.result(AugmentationObject(try make(o), name: name, identity: "\(name)\(options)"))
        } catch let error as DataError {
            let field = renamed[error.subject] ?? (accepts.contains(error.subject) ? error.subject : nil)
            throw field.map { o.invalid($0, error.reason) } ?? error
        }
    }

    /// A biquad augmentation; `frequencyField` is "cutoff" or "center", and is required.
    static func biquad(_ lua: Lua, _ kind: BiquadFilter.Kind, _ frequencyField: String) throws -> Int32 {
        let fields: Set = [frequencyField, "q", "gain"]
        return try construct(lua, kind.rawValue, accepts: fields, renamed: ["frequency": frequencyField]) { o in
            let frequency = try o.required(
                frequencyField, o.range, "a frequency in Hz (or a range {low, high}) expected, got nil")
            let q = try o.number("q", default: 0.5.squareRoot())
            return .audio(try BiquadFilter(kind, frequency: frequency, q: q, gain: try o.range("gain", default: 0...0)))
        }
    }

    static let functions: [Binding] = [
        // gain{db = {-12, 12}}: every sample scaled by 10^(db/20).
        Binding("gain") { lua in
            try construct(lua, "gain", accepts: ["db"], renamed: ["gain": "db"]) { o in
                .audio(try Gain(decibels: try o.range("db", default: -12...12)))
            }
        },
        // polarity{}: every sample negated.
        Binding("polarity") { lua in try construct(lua, "polarity", accepts: []) { _ in .audio(PolarityInversion()) } },
        // shift{max_seconds = 2, rollover = true}: a time shift, wrapped around or filled with silence.
        Binding("shift") { lua in
            try construct(lua, "shift", accepts: ["max_seconds", "rollover"]) { o in
                .audio(
                    try TimeShift(
                        maxSeconds: o.number("max_seconds", default: 2), rollover: o.boolean("rollover") ?? true))
            }
        },
        // reverse{}: the frames in reverse order.
        Binding("reverse") { lua in try construct(lua, "reverse", accepts: []) { _ in .audio(Reverse()) } },
        // lowpass{cutoff = Hz or {low, high} (log-uniform), q = 0.707}, highpass{cutoff =},
        // bandpass{center =, q =}, peaking{center =, gain = dB or {low, high}, q =}: RBJ biquads.
        Binding("lowpass") { lua in try biquad(lua, .lowpass, "cutoff") },
        Binding("highpass") { lua in try biquad(lua, .highpass, "cutoff") },
        Binding("bandpass") { lua in try biquad(lua, .bandpass, "center") },
        Binding("peaking") { lua in try biquad(lua, .peaking, "center") },
        // lowshelf{cutoff =, gain = dB}, highshelf{cutoff =, gain = dB}: RBJ shelves of slope 1.
        Binding("lowshelf") { lua in try biquad(lua, .lowshelf, "cutoff") },
        Binding("highshelf") { lua in try biquad(lua, .highshelf, "cutoff") },
        // eq{gain = {-6, 6}}: a random three-band equaliser (low shelf 60-400 Hz, peaking band
        // 200 Hz-5 kHz, high shelf 2-8 kHz), each band's gain drawn from `gain` dB.
        Binding("eq") { lua in
            try construct(lua, "eq", accepts: ["gain"]) { o in
                .audio(try Equalizer(gain: o.range("gain", default: -6...6)))
            }
        },
        // pitch_shift{semitones = {-2, 2}}: same length, every frequency scaled by 2^(s/12).
        Binding("pitch_shift") { lua in
            try construct(lua, "pitch_shift", accepts: ["semitones"]) { o in
                .audio(try PitchShift(semitones: o.range("semitones", default: -2...2)))
            }
        },
        // time_stretch{rate = {0.8, 1.25}}: faster (> 1) or slower at the same pitch.
        Binding("time_stretch") { lua in
            try construct(lua, "time_stretch", accepts: ["rate"]) { o in
                .audio(try TimeStretch(rate: o.range("rate", default: 0.8...1.25)))
            }
        },
        // reverb{rt60 = {0.2, 1.2}, wet = {0.1, 0.5}}: convolution with a generated room.
        Binding("reverb") { lua in
            try construct(lua, "reverb", accepts: ["rt60", "wet"]) { o in
                .audio(try Reverb(rt60: o.range("rt60", default: 0.2...1.2), wet: o.range("wet", default: 0.1...0.5)))
            }
        },
        // clip{threshold = {0.3, 0.9}}: hard clipping at a fraction of the peak.
        Binding("clip") { lua in
            try construct(lua, "clip", accepts: ["threshold"]) { o in
                .audio(try Clipping(threshold: o.range("threshold", default: 0.3...0.9)))
            }
        },
        // tanh{drive = {0, 20}}: soft saturation, drive in dB, the peak kept.
        Binding("tanh") { lua in
            try construct(lua, "tanh", accepts: ["drive"]) { o in
                .audio(try TanhDistortion(drive: o.range("drive", default: 0...20)))
            }
        },
        // noise{color = "white"|"pink"|"brown", snr = {10, 30}}: generated noise at an SNR in dB.
        Binding("noise") { lua in
            try construct(lua, "noise", accepts: ["color", "snr"]) { o in
                let colour = try o.choice("color", default: ColouredNoise.Colour.white)
                return .audio(try ColouredNoise(colour, snr: try o.range("snr", default: 10...30)))
            }
        },
        // background{folder =, snr = {3, 30}, rate = 22050}: a clip from the folder's audio
        // files (decoded once, now), looped from a random offset, at an SNR in dB.
        Binding("background") { lua in
            try construct(lua, "background", accepts: ["folder", "rate", "snr"], renamed: ["clips": "folder"]) { o in
                let folder = try o.required("folder", o.string, "a folder of audio files expected, got nil")
                do {
                    return .audio(
                        try BackgroundNoise(
                            folder: folder, rate: try o.integer("rate", default: 22_050),
                            snr: try o.range("snr", default: 3...30)))
                } catch let error as DataError where error.subject == folder {
                    throw o.invalid("folder", "\(folder): \(error.reason)")
                }
            }
        },
        // loudness{level = -20}: the buffer scaled to an RMS level in dBFS (or a range).
        Binding("loudness") { lua in
            try construct(lua, "loudness", accepts: ["level"]) { o in
                .audio(try LoudnessNormalization(decibels: o.range("level", default: -20...(-20))))
            }
        },
        // spec_mask{axis = "time"|"freq", width = {0, 20}, count = 1, value = 0}: SpecAugment.
        Binding("spec_mask") { lua in
            try construct(lua, "spec_mask", accepts: ["axis", "width", "count", "value"]) { o in
                let axis: SpectrogramMask.Axis =
                    try o.choice("axis", ["time", "freq"], default: "time") == "time" ? .time : .frequency
                let width = try o.integerRange("width") ?? 0...20
                return .spectrogram(
                    try SpectrogramMask(
                        axis, width: width, count: try o.integer("count", default: 1),
                        value: Float(try o.number("value", default: 0))))
            }
        },
        // lua(fn or "module.name" [, {kind = "audio"|"spectrogram"}]): an augmentation written in
        // Lua, run in Lua states of its own (see LuaAugmentation for the rule it follows).
        Binding("lua") { lua in
            let kind = try lua.options(2, only: ["kind"]).choice("kind", ["audio", "spectrogram"], default: "audio")
            return try lua.result(try luaStep(lua, 1, at: "bad argument #1 to 'lua'", kind: kind))
        },
        // pipeline{step, ..., kind = "audio"|"spectrogram"}: steps applied in order, each an
        // augmentation, a Lua function, a module name, or {that, p = probability}.
        Binding("pipeline") { try pipeline($0) },
        // rng(seed) -> a generator to pass to augmentations (`aug(buf, rng)`) for fixed draws.
        Binding("rng") { lua in try lua.result(RandomObject(Random(seed: UInt64(bitPattern: Int64(lua.integer(1)))))) },
    ]

    /// A Lua augmentation object from the function or module name at `index`.
    static func luaStep(_ lua: Lua, _ index: Int32, at place: String, kind: String) throws -> AugmentationObject {
        let function = try LuaWorkerFunction(lua, index, at: functionName(lua, index) ?? place)
        let stage: AugmentationObject.Stage =
            kind == "audio"
            ? .audio(LuaAugmentation<Audio>(function: function))
            : .spectrogram(LuaAugmentation<Spectrogram>(function: function))
        return AugmentationObject(
            stage, name: "lua \(function.name)", identity: function.identity, luaFunction: function)
    }

    /// "function at script.lua:12" for a Lua function at `index`.
    static func functionName(_ lua: Lua, _ index: Int32) -> String? {
        guard lua.type(index) == LUA_TFUNCTION else { return nil }
        var info = lua_Debug()
        lua_pushvalue(lua.L, index)
        guard lua_getinfo(lua.L, ">S", &info) != 0, let source = info.source else { return nil }
        var file = String(cString: source)
        if file.hasPrefix("@") || file.hasPrefix("=") { file.removeFirst() }
        return "function at \(file):\(info.linedefined)"
    }

    static func pipeline(_ lua: Lua) throws -> Int32 {
        guard lua.type(1) == LUA_TTABLE else { throw LuaError.type(1, expected: "table") }
        let o = try lua.options(1)
        let L = lua.L
        // The kind: as given, else that of the first native step, else audio.
        var kind = try o.string("kind")
        if let given = kind, !["audio", "spectrogram"].contains(given) {
            throw o.invalid("kind", "'audio' or 'spectrogram' expected, got '\(given)'")
        }
        try lua.reserve(2)
        let steps = try lua.entries(1, of: 1, item: "step") { i -> (object: AugmentationObject, probability: Double) in
            var probability = 1.0
            if lua.type(-1) == LUA_TTABLE {
                let step = try lua.options(-1)
                if step.has("p") {
                    guard let p = try? step.number("p"), p.isFinite, (0...1).contains(p) else {
                        throw step.invalid("p", "a probability in [0, 1] expected")
                    }
                    probability = p
                }
                lua_rawgeti(L, -1, 1)
                clua_replace(L, -2)
            }
            if let object = AugmentationObject.peek(L, -1) {
                if kind == nil, object.luaFunction == nil { kind = object.kind }
                return (object, probability)
            }
            guard lua.type(-1) == LUA_TFUNCTION || lua.type(-1) == LUA_TSTRING else {
                throw LuaError.argument(
                    -1, "an augmentation, a function, a module name or {step, p =} expected, got \(lua.typeName(-1))")
            }
            do {
                return (try luaStep(lua, -1, at: "step \(i)", kind: "audio"), probability)
            } catch LuaError.message(let message) {
                // `{require "m"}` holds require's second result too: the file it loaded.
                let path = lua.type(-1) == LUA_TSTRING ? try lua.string(-1) : ""
                let hint =
                    path.hasSuffix(".lua") && i > 1
                    ? " ('\(path)' is the second value require returns: write {require 'm', p = 1} or (require 'm'))"
                    : ""
                throw LuaError.argument(-1, "\(message)\(hint)")
            }
        }
        let isAudio = (kind ?? "audio") == "audio"
        var names: [String] = []
        var audio = AudioPipeline()
        var spectrogram = SpectrogramPipeline()
        for (i, step) in steps.enumerated() {
            names.append(step.probability < 1 ? "\(step.object.name) (p \(step.probability))" : step.object.name)
            let fail: (String) -> LuaError = { .argument(1, "step \(i + 1): \($0)") }
            if isAudio {
                try audio.append(try step.object.audio(or: fail), probability: step.probability)
            } else {
                try spectrogram.append(try step.object.spectrogram(or: fail), probability: step.probability)
            }
        }
        let name =
            "pipeline (\(isAudio ? "audio" : "spectrogram")): "
            + (names.isEmpty ? "empty" : names.joined(separator: ", "))
        let identity =
            "pipeline[" + steps.map { "\($0.object.identity) p=\($0.probability)" }.joined(separator: ", ") + "]"
        return try lua.result(
            AugmentationObject(isAudio ? .audio(audio) : .spectrogram(spectrogram), name: name, identity: identity))
    }
}
