import CLua
import Native

/// An audio buffer as Lua holds it: one immutable `Audio` value (copy-on-write samples), so
/// every method returns a new buffer and a buffer handed to another stage never changes.
final class AudioBuffer: LuaObject {
    let audio: Audio

    init(_ audio: Audio) { self.audio = audio }

    static let luaTypeName = "mashup.audio"

    var luaDescription: String {
        "audio: \(audio.channels) ch, \(audio.rate) Hz, \(String(format: "%.2f", audio.duration)) s"
    }

    var nativeBytes: Int { audio.samples.count * MemoryLayout<Float>.size }

    /// `buf.rate`, `buf.channels`, `buf.frames`, `buf.duration`.
    static let properties: Properties = [
        "rate": { $0.audio.rate },
        "channels": { $0.audio.channels },
        "frames": { $0.audio.frames },
        "duration": { $0.audio.duration },
    ]

    /// The samples as NumPy would lay them out: (frames) for mono, (frames, channels) otherwise.
    var arrayShape: [Int] { audio.channels == 1 ? [audio.frames] : [audio.frames, audio.channels] }

    static let methods: [Binding] = [
        // buf:mono() -> the mean of the channels; the same buffer when already mono.
        Binding("mono") { lua in
            let audio = try receiver(lua).audio
            return audio.channels == 1 ? lua.result(argument: 1) : try lua.result(AudioBuffer(audio.mono()))
        },
        // buf:resample(rate [, quality]) -> soxr resampling ("high" = librosa's soxr_hq);
        // the same buffer when the rate already matches.
        Binding("resample") { lua in
            let audio = try receiver(lua).audio
            let rate = try sampleRate(lua, 2)
            let quality = try lua.isNoneOrNil(3) ? .high : lua.choice(3, of: ResampleQuality.self, noun: "quality")
            if rate == audio.rate { return lua.result(argument: 1) }
            return try lua.result(AudioBuffer(try audio.resampled(to: rate, quality: quality)))
        },
        // buf:slice(t0 [, t1]) -> the frames from t0 to t1 seconds (t1 defaults to the end).
        Binding("slice") { lua in
            let audio = try receiver(lua).audio
            let start = try lua.number(2)
            let end = try lua.number(3, default: audio.duration)
            return try lua.result(AudioBuffer(try audio.slice(from: start, to: end)))
        },
        // buf:save(path [, format]): "wav" (16-bit PCM), "wav_float" or "flac"; by default the
        // extension decides. Written atomically.
        Binding("save") { lua in
            let audio = try receiver(lua).audio
            let path = try lua.string(2)
            let format = try lua.isNoneOrNil(3) ? nil : lua.choice(3, of: AudioFileFormat.self, noun: "format")
            try AudioFile.write(audio, to: path, format: format)
            return 0
        },
        // buf:peak() -> max |x|.
        Binding("peak") { lua in try lua.result(receiver(lua).audio.peak) },
        // buf:rms() -> sqrt(mean x^2) over all samples.
        Binding("rms") { lua in try lua.result(receiver(lua).audio.rms) },
        // buf:gain(db) -> every sample scaled by 10^(db/20).
        Binding("gain") { lua in
            let audio = try receiver(lua).audio
            return try lua.result(AudioBuffer(try audio.gained(decibels: try lua.number(2))))
        },
        // buf:add(other [, gain]) -> buf + gain * other (a linear factor, default 1), keeping
        // buf's length.
        Binding("add") { lua in
            let audio = try receiver(lua).audio
            let other = try lua.object(2, as: AudioBuffer.self).audio
            return try lua.result(AudioBuffer(try audio.mixed(with: other, gain: try lua.number(3, default: 1))))
        },
        // buf:to_tensor() -> the samples as a (frames) or (frames, channels) tensor.
        Binding("to_tensor") { lua in
            let buffer = try receiver(lua)
            return try lua.result(TensorObject(try Tensor(shape: buffer.arrayShape, values: buffer.audio.samples)))
        },
    ]

    static let metamethods = [length { $0.audio.frames }]

    /// A sample rate in Hz at `index`.
    static func sampleRate(_ lua: Lua, _ index: Int32) throws -> Int {
        let rate = try lua.integer(index)
        guard rate >= 1 else { throw LuaError.argument(index, "positive sample rate in Hz expected, got \(rate)") }
        return rate
    }
}

/// `mm.audio`: reading audio files and making buffers.
enum LuaAudio: LuaModule {
    static let name: String? = "audio"
    static var types: [any LuaObject.Type] { [AudioBuffer.self] }

    static let functions: [Binding] = [
        // mm.audio.load(path [, {offset =, duration =}]) -> the file's samples as they are
        // stored (all channels, the file's rate), `duration` seconds from `offset` seconds.
        Binding("load") { lua in
            let path = try lua.string(1)
            let options = try lua.options(2, only: ["offset", "duration"])
            let offset = try options.number("offset", default: 0)
            let duration = try options.number("duration")
            let audio = try options.naming(["offset", "duration"]) {
                try AudioFile.read(path, offset: offset, duration: duration)
            }
            return try lua.result(AudioBuffer(audio))
        },
        // mm.audio.info(path) -> {frames =, channels =, rate =, duration =, format =} from
        // the header, decoding nothing.
        Binding("info") { lua in
            let info = try AudioFile.info(try lua.string(1))
            return try lua.result(
                LuaRecord([
                    "frames": info.frames, "channels": info.channels, "rate": info.rate, "duration": info.duration,
                    "format": info.format,
                ]))
        },
        // mm.audio.new(samples, rate) -> a buffer from a tensor or a Lua table: (frames) is mono,
        // (frames, channels) interleaved by frame.
        Binding("new") { lua in
            let tensor =
                lua.type(1) == LUA_TTABLE
                ? try TensorObject.fromTable(lua, 1) : try lua.object(1, as: TensorObject.self).tensor
            guard tensor.rank == 1 || tensor.rank == 2, tensor.count > 0 else {
                throw LuaError.argument(
                    1, "samples of shape (frames) or (frames, channels) expected, got \(tensor.shape)")
            }
            let rate = try AudioBuffer.sampleRate(lua, 2)
            let channels = tensor.rank == 2 ? tensor.shape[1] : 1
            return try lua.result(AudioBuffer(try Audio(checking: tensor.array, channels: channels, rate: rate)))
        },
    ]
}
