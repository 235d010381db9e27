/// What the network sees of a clip: the clip padded with zeros or cut to `seconds`, then its
/// representation, as a (bands, frames) image:
/// - `decibels` (the seed's): the mel spectrogram, power_to_db(ref=max, top_db) and min-max
///   scaling to [0, 1]. At the seed's settings, 30 s at 22.05 kHz is 661,500 samples, so
///   128 x 1292.
/// - `musicnn`: the pretrained musicnn networks' input (`MusicnnFrontEnd`: 16 kHz, 96 bands,
///   n_fft 512, hop 256, log10(1 + 10000 x)), mel-first like the other; 30 s is 96 x 1876.
public struct ModelInputOptions: Sendable, Equatable {
    public enum Representation: String, Sendable, CaseIterable {
        case decibels, musicnn
    }

    public var seconds = 30.0
    public var mel = MelOptions()
    public var topDB: Float = 80
    public var representation = Representation.decibels

    public init() {}

    /// musicnn's input at `seconds`: its mel settings, which it fixes.
    public static func musicnn(seconds: Double) -> ModelInputOptions {
        var options = ModelInputOptions()
        (options.seconds, options.mel, options.representation) = (seconds, MusicnnFrontEnd.melOptions, .musicnn)
        return options
    }
}

public struct ModelInput: Sendable {
    public let options: ModelInputOptions
    let mel: MelSpectrogram

    public init(_ options: ModelInputOptions = ModelInputOptions()) throws {
        guard options.seconds.isFinite, options.seconds > 0, options.seconds <= 600 else {
            throw DataError("seconds", "expected an input length of 0 to 600 seconds, got \(options.seconds)")
        }
        try DecibelOptions(ref: .max, topDB: options.topDB).validate()
        if options.representation == .musicnn, options.mel != MusicnnFrontEnd.melOptions {
            let m = MusicnnFrontEnd.melOptions
            throw DataError(
                "representation",
                "musicnn's input fixes its mel settings (\(m.rate) Hz, \(m.bands) bands, n_fft \(m.nFFT), hop \(m.hop), "
                    + "fmin 0, fmax 8000); got \(options.mel.rate) Hz, \(options.mel.bands) bands, n_fft \(options.mel.nFFT), "
                    + "hop \(options.mel.hop)")
        }
        mel = try MelSpectrogram(options.mel)
        self.options = options
    }

    public var rate: Int { options.mel.rate }
    /// Samples in the fixed-length clip.
    public var samples: Int { Int((options.seconds * Double(rate)).rounded()) }
    public var bins: Int { options.mel.bands }
    public var frames: Int { 1 + samples / options.mel.hop }

    /// `x` cut to `samples`, or zero-padded at the end (librosa.util.fix_length).
    public func fit(_ x: [Float]) -> [Float] {
        if x.count >= samples { return Array(x.prefix(samples)) }
        return x + [Float](repeating: 0, count: samples - x.count)
    }

    /// The image [bins, frames] of a mono clip at `rate`, fitted first: the scaled log-mel
    /// spectrogram, or musicnn's representation transposed to mel-first.
    public func spectrogram(_ audio: Audio) throws -> Spectrogram {
        guard audio.channels == 1, audio.rate == rate else {
            throw DataError(
                "audio", "expected mono audio at \(rate) Hz, got \(audio.channels) channels at \(audio.rate) Hz")
        }
        if options.representation == .musicnn {
            let (timeFirst, frames) = try MusicnnFrontEnd.logMel(fit(audio.samples))
            var image = Spectrogram(zeros: bins, frames: frames)
            for t in 0..<frames {
                for b in 0..<bins { image.values[b * frames + t] = timeFirst[t * bins + b] }
            }
            return image
        }
        return mel.logMel(
            fit(audio.samples), decibels: DecibelOptions(ref: .max, topDB: options.topDB),
            scratch: STFT<Float>.Scratch(nFFT: options.mel.nFFT))
    }
}
