import CSndFile
import Foundation

/// What a file holds, read from its header without decoding.
public struct AudioInfo: Sendable, Equatable {
    public var frames: Int
    public var channels: Int
    public var rate: Int
    /// Container and encoding in python-soundfile's spelling, e.g. "WAV PCM_16", "FLAC PCM_24".
    public var format: String
    public var duration: Double
}

/// The encodings `AudioFile.write` produces. WAV is little-endian; FLAC is 24-bit.
public enum AudioFileFormat: String, Sendable, CaseIterable {
    case wavPCM16 = "wav"
    case wavFloat = "wav_float"
    case flac

    var sndfileFormat: Int32 {
        switch self {
        case .wavPCM16: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavFloat: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
        }
    }

    /// The format a file name asks for: `.wav` is 16-bit PCM, `.flac` is FLAC.
    static func forPath(_ path: String) throws -> AudioFileFormat {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "wav", "wave": return .wavPCM16
        case "flac": return .flac
        case let ext:
            throw AudioError(
                path, "cannot tell the format from the extension '\(ext)': expected .wav or .flac, or pass a format")
        }
    }
}

/// Audio files through libsndfile: every format it decodes (WAV 8/16/24/32-bit and float, FLAC,
/// Ogg Vorbis, AIFF, ...) reads as Float32 scaled to [-1, 1), as python-soundfile reads them.
public enum AudioFile {
    /// The header of `path`; decodes no samples.
    public static func info(_ path: String) throws -> AudioInfo {
        let file = try SoundFile(reading: path)
        return AudioInfo(
            frames: file.frames, channels: file.channels, rate: file.rate, format: file.formatName,
            duration: Double(file.frames) / Double(file.rate))
    }

    /// Decodes `duration` seconds of `path` starting `offset` seconds in (the whole file by
    /// default), seeking rather than decoding what lies before. As librosa.load does, the start
    /// frame is int(offset * rate) and the length int(duration * rate), cut at the file's end.
    public static func read(_ path: String, offset: Double = 0, duration: Double? = nil) throws -> Audio {
        guard offset.isFinite, offset >= 0 else {
            throw AudioError("offset", "expected seconds >= 0, got \(offset)")
        }
        if let duration, !(duration.isFinite && duration > 0) {
            throw AudioError("duration", "expected seconds > 0, got \(duration)")
        }
        let file = try SoundFile(reading: path)
        let start = Int(offset * Double(file.rate))
        guard start < file.frames else {
            throw AudioError(
                path, "offset \(offset) s is past the end of the audio (\(Double(file.frames) / Double(file.rate)) s)")
        }
        var count = file.frames - start
        if let duration { count = min(count, Int(duration * Double(file.rate))) }
        guard count > 0 else { throw AudioError(path, "duration \(duration ?? 0) s is shorter than one frame") }
        if start > 0 { try file.seek(to: start) }
        let samples = try file.read(frames: count)
        // A float file can hold NaN or infinity, which would turn every spectrogram and loss
        // computed from it into NaN; integer formats cannot.
        if file.storesFloats, let bad = firstNonFinite(samples) {
            throw AudioError(
                path,
                "sample \(samples[bad]) at frame \(start + bad / file.channels), channel \(bad % file.channels + 1): "
                    + "expected finite samples (the file is damaged)")
        }
        return Audio(samples: samples, channels: file.channels, rate: file.rate)
    }

    /// librosa.load(path, sr=rate, mono=mono, offset=offset, duration=duration): decode, then
    /// the mean of the channels, then resampling (soxr HQ by default) when `rate` is not nil.
    public static func load(
        _ path: String, rate: Int? = 22050, mono: Bool = true, offset: Double = 0, duration: Double? = nil,
        quality: ResampleQuality = .high
    ) throws -> Audio {
        var audio = try read(path, offset: offset, duration: duration)
        if mono { audio = audio.mono() }
        if let rate { audio = try audio.resampled(to: rate, quality: quality) }
        return audio
    }

    /// Writes `audio` to `path` as `format`, or as the extension says when nil. The file appears
    /// whole or not at all: it is written beside `path` under a temporary name, then renamed.
    /// Samples beyond [-1, 1) clip in integer formats rather than wrap; 16-bit PCM stores
    /// floor(x * 32768), as python-soundfile's writes do (same libsndfile).
    public static func write(_ audio: Audio, to path: String, format: AudioFileFormat? = nil) throws {
        let format = try format ?? AudioFileFormat.forPath(path)
        let audio = try Audio(checking: audio.samples, channels: audio.channels, rate: audio.rate)
        guard audio.frames > 0 else { throw AudioError(path, "nothing to write: the audio has no frames") }
        if let bad = audio.samples.firstIndex(where: { !$0.isFinite }) {
            throw AudioError(path, "cannot write a non-finite sample (\(audio.samples[bad]) at index \(bad))")
        }
        try writeAtomically(to: path, durable: false) { temp in
            let file = try SoundFile(
                writing: temp, target: path, format: format, channels: audio.channels, rate: audio.rate)
            try file.write(audio.samples)
            try file.close()
        }
    }
}

/// One open libsndfile handle. Used by one thread at a time inside `AudioFile`; closed in deinit
/// unless `close()` already did (and reported any error).
private final class SoundFile {
    private var handle: OpaquePointer?
    private let path: String
    let frames: Int
    let channels: Int
    let rate: Int
    private let format: Int32

    init(reading path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AudioError(path, "no such file")
        }
        guard !isDirectory.boolValue else { throw AudioError(path, "is a directory, expected an audio file") }
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioError(
                path, "not a readable audio file (libsndfile: \(String(cString: sf_strerror(nil))))")
        }
        self.handle = handle
        frames = Int(info.frames)
        channels = Int(info.channels)
        rate = Int(info.samplerate)
        format = info.format
        guard channels >= 1, rate >= 1 else {
            throw AudioError(path, "header declares \(channels) channels at \(rate) Hz, expected at least 1 and 1 Hz")
        }
        guard frames > 0 else { throw AudioError(path, "holds no audio frames") }
        // libsndfile opens a cut-off WAV/AIFF quietly, shrinking `frames` to what is there; its
        // log keeps the evidence, a data chunk whose declared size the file cannot hold.
        if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("data") && $0.contains("should be") }) {
            throw AudioError(path, "truncated: the header's data chunk does not fit in the file (\(line))")
        }
    }

    /// libsndfile's account of parsing the header.
    private var log: String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        sf_command(handle, Int32(SFC_GET_LOG_INFO), &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    init(writing temp: String, target path: String, format: AudioFileFormat, channels: Int, rate: Int) throws {
        self.path = path
        var info = SF_INFO()
        info.samplerate = Int32(clamping: rate)
        info.channels = Int32(clamping: channels)
        info.format = format.sndfileFormat
        guard sf_format_check(&info) == Int32(SF_TRUE) else {
            throw AudioError(path, "\(format) cannot hold \(channels) channels at \(rate) Hz")
        }
        guard let handle = sf_open(temp, Int32(SFM_WRITE), &info) else {
            throw AudioError(path, "cannot create the file (libsndfile: \(String(cString: sf_strerror(nil))))")
        }
        self.handle = handle
        frames = 0
        self.channels = channels
        self.rate = rate
        self.format = info.format
        // Without clipping, libsndfile wraps out-of-range floats around in integer formats.
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
    }

    deinit { if let handle { sf_close(handle) } }

    func seek(to frame: Int) throws {
        guard sf_seek(handle, sf_count_t(frame), SEEK_SET) == frame else {
            throw AudioError(
                path, "cannot seek to frame \(frame) (libsndfile: \(String(cString: sf_strerror(handle))))")
        }
    }

    /// Decodes `count` frames; fewer means the data ends before the header says it does.
    func read(frames count: Int) throws -> [Float] {
        var got = 0
        let samples = [Float](unsafeUninitializedCapacity: count * channels) { buffer, initialized in
            got =
                isPCM16
                ? readPCM16(into: buffer.baseAddress!, frames: count)
                : Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(count)))
            initialized = max(0, got) * channels
        }
        guard got == count else {
            throw AudioError(
                path,
                "truncated or corrupt: expected \(count) frames, decoded \(max(0, got)) (libsndfile: \(String(cString: sf_strerror(handle))))"
            )
        }
        return samples
    }

    private var isPCM16: Bool { Int(format) & SF_FORMAT_SUBMASK == SF_FORMAT_PCM_16 }

    /// Whether samples are stored as floating point, and so can be NaN or infinite.
    var storesFloats: Bool {
        let minor = Int(format) & SF_FORMAT_SUBMASK
        return minor == SF_FORMAT_FLOAT || minor == SF_FORMAT_DOUBLE
    }

    /// 16-bit PCM read as integers and scaled here: n / 32768, exactly the floats libsndfile's
    /// own conversion gives, in a loop that vectorises (three times faster than sf_readf_float).
    private func readPCM16(into out: UnsafeMutablePointer<Float>, frames count: Int) -> Int {
        let chunk = 1 << 14  // frames per read, so the integers stay in cache
        let pcm = UnsafeMutablePointer<Int16>.allocate(capacity: chunk * channels)
        defer { pcm.deallocate() }
        var done = 0
        while done < count {
            let want = min(chunk, count - done)
            let got = Int(sf_readf_short(handle, pcm, sf_count_t(want)))
            guard got > 0 else { break }
            let dst = out + done * channels
            for i in 0..<(got * channels) { dst[i] = Float(pcm[i]) * (1.0 / 32768) }
            done += got
            if got < want { break }
        }
        return done
    }

    func write(_ samples: [Float]) throws {
        let count = samples.count / channels
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t(count)) }
        guard written == count else {
            throw AudioError(
                path, "wrote \(written) of \(count) frames (libsndfile: \(String(cString: sf_strerror(handle))))")
        }
    }

    func close() throws {
        let status = sf_close(handle)
        handle = nil
        guard status == 0 else {
            throw AudioError(path, "cannot finish writing: \(String(cString: sf_error_number(status)))")
        }
    }

    /// The container and encoding, named as python-soundfile names them.
    var formatName: String {
        let major = Int(format) & SF_FORMAT_TYPEMASK
        let minor = Int(format) & SF_FORMAT_SUBMASK
        return "\(Self.name(of: major, names: Self.majors)) \(Self.name(of: minor, names: Self.subtypes))"
    }

    private static func name(of code: Int, names: [(Int, String)]) -> String {
        names.first { $0.0 == code }?.1 ?? String(format: "0x%X", code)
    }

    private static let majors: [(Int, String)] = [
        (SF_FORMAT_WAV, "WAV"), (SF_FORMAT_WAVEX, "WAVEX"), (SF_FORMAT_AIFF, "AIFF"),
        (SF_FORMAT_AU, "AU"), (SF_FORMAT_RAW, "RAW"), (SF_FORMAT_W64, "W64"),
        (SF_FORMAT_FLAC, "FLAC"), (SF_FORMAT_CAF, "CAF"), (SF_FORMAT_OGG, "OGG"),
        (SF_FORMAT_RF64, "RF64"), (SF_FORMAT_MPEG, "MP3"),
    ]

    private static let subtypes: [(Int, String)] = [
        (SF_FORMAT_PCM_S8, "PCM_S8"), (SF_FORMAT_PCM_U8, "PCM_U8"),
        (SF_FORMAT_PCM_16, "PCM_16"), (SF_FORMAT_PCM_24, "PCM_24"),
        (SF_FORMAT_PCM_32, "PCM_32"), (SF_FORMAT_FLOAT, "FLOAT"),
        (SF_FORMAT_DOUBLE, "DOUBLE"), (SF_FORMAT_ULAW, "ULAW"), (SF_FORMAT_ALAW, "ALAW"),
        (SF_FORMAT_VORBIS, "VORBIS"), (SF_FORMAT_OPUS, "OPUS"),
        (SF_FORMAT_MPEG_LAYER_III, "MPEG_LAYER_III"),
    ]
}

/// The index of the first NaN or infinite value, or nil; x - x is 0 for every finite x, so one
/// vector pass finds whether there is any before the scalar search for where.
func firstNonFinite(_ x: [Float]) -> Int? {
    let poisoned = x.withUnsafeBufferPointer { reduceInLanes($0, identity: 0) { $0 + ($1 - $1) }.sum() }
    guard poisoned != 0 else { return nil }  // NaN != 0 too
    return x.firstIndex { !$0.isFinite }
}
