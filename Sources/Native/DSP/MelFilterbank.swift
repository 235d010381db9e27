import Foundation

/// Triangular mel filters over the bins of an nFFT-point real FFT, identical to
/// librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm="slaney") (librosa 0.11):
///
///   f_k    = k * sr / n_fft,                          k = 0 ..< n_fft/2 + 1  (np.fft.rfftfreq)
///   c_i    = mel_to_hz(linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))[i]
///   W[m,k] = max(0, min((f_k - c_m) / (c_{m+1} - c_m), (c_{m+2} - f_k) / (c_{m+2} - c_{m+1})))
///   W[m,k] *= 2 / (c_{m+2} - c_m)                      (slaney norm: each filter has unit area)
///
/// The Slaney mel scale is linear below 1 kHz (mel = 3 f / 200) and logarithmic above
/// (mel = 15 + 27 ln(f / 1000) / ln 6.4); the HTK scale is mel = 2595 log10(1 + f / 700).
/// Everything is computed in double, as librosa does, and rounded to float once.
public struct MelFilterbank: Sendable, Equatable {
    public let bands: Int
    public let bins: Int
    public let weights: [Float]  // [bands * bins], row-major
    /// The bins where each filter is non-zero: filter m covers bins first[m] ..< first[m] + count[m].
    let first: [Int]
    let count: [Int]

    public init(rate: Int, nFFT: Int, bands: Int, fmin: Double = 0, fmax: Double? = nil, htk: Bool = false, slaneyNorm: Bool = true) throws {
        guard rate >= 1 else { throw DSPError("rate", "expected a positive sample rate in Hz, got \(rate)") }
        guard nFFT >= 2 else { throw DSPError("n_fft", "expected at least 2 points, got \(nFFT)") }
        guard bands >= 1 else { throw DSPError("n_mels", "expected at least 1 band, got \(bands)") }
        let nyquist = Double(rate) / 2
        let fmax = fmax ?? nyquist
        guard fmin.isFinite, fmin >= 0 else { throw DSPError("fmin", "expected a frequency >= 0 Hz, got \(fmin)") }
        guard fmax.isFinite, fmax <= nyquist else {
            throw DSPError("fmax", "expected at most the Nyquist frequency rate/2 = \(nyquist) Hz, got \(fmax)")
        }
        guard fmin < fmax else { throw DSPError("fmin", "expected below fmax (\(fmax) Hz), got \(fmin)") }

        let bins = nFFT / 2 + 1
        self.bands = bands
        self.bins = bins
        // np.fft.rfftfreq(n_fft, d=1/sr): k * (1 / (n * d)).
        let spacing = 1.0 / (Double(nFFT) * (1.0 / Double(rate)))
        let fftFrequencies = (0..<bins).map { Double($0) * spacing }
        let centres = MelFilterbank.melFrequencies(count: bands + 2, fmin: fmin, fmax: fmax, htk: htk)

        var weights = [Float](repeating: 0, count: bands * bins)
        var first = [Int](repeating: 0, count: bands)
        var count = [Int](repeating: 0, count: bands)
        for m in 0..<bands {
            let lowerWidth = centres[m + 1] - centres[m]
            let upperWidth = centres[m + 2] - centres[m + 1]
            let area = slaneyNorm ? 2.0 / (centres[m + 2] - centres[m]) : 1.0
            var lo = bins
            var hi = 0
            for k in 0..<bins {
                let rising = (fftFrequencies[k] - centres[m]) / lowerWidth
                let falling = (centres[m + 2] - fftFrequencies[k]) / upperWidth
                // Rounded to float before the area scaling too, as librosa's float32 array is.
                let w = Float(Double(Float(max(0, min(rising, falling)))) * area)
                weights[m * bins + k] = w
                if w != 0 {
                    lo = min(lo, k)
                    hi = max(hi, k + 1)
                }
            }
            first[m] = hi > lo ? lo : 0
            count[m] = max(0, hi - lo)
        }
        self.weights = weights
        self.first = first
        self.count = count
    }

    /// n mel-spaced frequencies from fmin to fmax (librosa.mel_frequencies): np.linspace in mel,
    /// whose last point is exactly the end, mapped back to Hz.
    static func melFrequencies(count n: Int, fmin: Double, fmax: Double, htk: Bool) -> [Double] {
        let low = hzToMel(fmin, htk: htk)
        let high = hzToMel(fmax, htk: htk)
        let step = n > 1 ? (high - low) / Double(n - 1) : 0
        return (0..<n).map { melToHz($0 == n - 1 && n > 1 ? high : low + Double($0) * step, htk: htk) }
    }

    // The Slaney scale's constants: 200/3 Hz per mel below 1 kHz, log steps of ln(6.4)/27 above.
    private static let linearHzPerMel = 200.0 / 3
    private static let breakHz = 1000.0
    private static let breakMel = breakHz / linearHzPerMel
    private static let logStep = log(6.4) / 27

    static func hzToMel(_ f: Double, htk: Bool) -> Double {
        if htk { return 2595 * log10(1 + f / 700) }
        return f >= breakHz ? breakMel + log(f / breakHz) / logStep : f / linearHzPerMel
    }

    static func melToHz(_ mel: Double, htk: Bool) -> Double {
        if htk { return 700 * (pow(10, mel / 2595) - 1) }
        return mel >= breakMel ? breakHz * exp(logStep * (mel - breakMel)) : linearHzPerMel * mel
    }
}
