/// What the network sees of a clip: the clip padded with zeros or cut to `seconds`, its mel
/// spectrogram, power_to_db(ref=max, top_db) and min-max scaling to [0, 1]. At the seed's
/// settings, 30 s at 22.05 kHz is 661,500 samples, so 128 x 1292.
public struct ModelInputOptions: Sendable, Equatable {
    public var seconds = 30.0
    public var mel = MelOptions()
    public var topDB: Float = 80

    public init() {}
}

public struct ModelInput: Sendable {
    public let options: ModelInputOptions
    let mel: MelSpectrogram

    public init(_ options: ModelInputOptions = ModelInputOptions()) throws {
        guard options.seconds.isFinite, options.seconds > 0, options.seconds <= 600 else {
            throw DataError("seconds", "expected an input length of 0 to 600 seconds, got \(options.seconds)")
        }
        try DecibelOptions(ref: .max, topDB: options.topDB).validate()
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

    /// The scaled log-mel image [bins, frames] of a mono clip at `rate`, fitted first.
    public func spectrogram(_ audio: Audio) throws -> Spectrogram {
        guard audio.channels == 1, audio.rate == rate else {
            throw DataError(
                "audio", "expected mono audio at \(rate) Hz, got \(audio.channels) channels at \(audio.rate) Hz")
        }
        return mel.logMel(
            fit(audio.samples), decibels: DecibelOptions(ref: .max, topDB: options.topDB),
            scratch: STFT<Float>.Scratch(nFFT: options.mel.nFFT))
    }
}
