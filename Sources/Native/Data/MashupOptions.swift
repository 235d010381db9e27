/// How noise clips are scaled into a mashup.
public enum NoiseLevelMode: String, Sendable, CaseIterable {
    /// Each clip's peak at `noiseIntensity` times the music's peak (the seed recipe).
    case peak
    /// The clips together at a signal-to-noise ratio drawn from `snr` (power ratio, dB).
    case snr
}

/// How the finished mix is levelled.
public enum MixNormalization: String, Sendable, CaseIterable {
    /// Peak at `peakLevel`.
    case peak
    /// RMS at `rmsLevel` dBFS.
    case rms
    case none
}

/// Every knob of the mashup recipe. The defaults are the seed recipe; each field maps to a
/// Lua option of the same name in snake_case (`stem_volume`, `noise_clips`, ...).
public struct MashupOptions: Sendable, Equatable {
    /// Probability that all four stems come from one song (otherwise a different song per
    /// stem, as far as the genre has songs).
    public var sameSong = 0.0
    /// Time-stretch every stem to the tempo of the song giving the drums (each song's tempo is
    /// estimated once; a song at about half or double the tempo is stretched to its own
    /// half- or double-time, never by more than √2).
    public var tempoAlign = false
    public var stemVolume: ClosedRange<Double> = 0.4...1.0
    /// Probability that a stem passes through a random equaliser (`Equalizer`: low shelf, a
    /// peaking band, high shelf) with gains drawn from `stemEQGain` dB: each song of a
    /// collection was recorded and mixed its own way.
    public var stemEQ = 0.0
    public var stemEQGain: ClosedRange<Double> = -6...6
    /// Probability that a stem is left out; the stems in `keepStems` never are.
    public var stemDropout = 0.0
    public var keepStems: Set<Stem> = [.other]
    /// The length of the music before padding, in seconds, uniform in this range (the test
    /// mashups' lengths).
    public var cropSeconds: ClosedRange<Double> = 15.84...30.0
    public var noiseClips: ClosedRange<Int> = 1...3
    public var noiseMode = NoiseLevelMode.peak
    /// Peak of each clip relative to the music's peak (`noiseMode` peak).
    public var noiseIntensity: ClosedRange<Double> = 0.05...0.35
    /// Signal-to-noise ratio in dB (`noiseMode` snr).
    public var snr: ClosedRange<Double> = 0...15
    public var normalization = MixNormalization.peak
    public var peakLevel = 0.98
    public var rmsLevel = -20.0

    public init() {}

    /// Throws naming the first option outside what the builder accepts.
    public func validate() throws {
        try checkRange("same_song", sameSong...sameSong, within: 0...1)
        try checkRange("stem_dropout", stemDropout...stemDropout, within: 0...1)
        try checkRange("stem_volume", stemVolume, within: 0...10)
        try checkRange("stem_eq", stemEQ...stemEQ, within: 0...1)
        try checkRange("stem_eq_gain", stemEQGain, within: -30...30)
        try checkRange("crop_seconds", cropSeconds, within: 0.1...600)
        try checkRange("noise_intensity", noiseIntensity, within: 0...100)
        try checkRange("snr", snr, within: -60...120)
        try checkRange("peak_level", peakLevel...peakLevel, within: 0.001...100)
        try checkRange("rms_level", rmsLevel...rmsLevel, within: -120...20)
        guard noiseClips.lowerBound >= 0, noiseClips.upperBound <= 16 else {
            throw DataError(
                "noise_clips", "expected a range within 0...16, got \(noiseClips.lowerBound)...\(noiseClips.upperBound)"
            )
        }
    }
}
