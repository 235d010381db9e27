extension DSP {
    /// librosa.feature.spectral_centroid(y, sr, n_fft=2048, hop_length=512, center=True):
    /// centroid[t] = sum_k f_k S[k,t] / sum_k S[k,t] with S = |stft(y)| and f_k = k sr / n_fft;
    /// a silent frame (sum below the smallest normal float) gives 0. The magnitudes come from the
    /// mel step's lane FFT (single precision, as librosa's own float32 STFT), the sums in double.
    public static func spectralCentroid(_ y: [Float], rate: Int = 22050, nFFT: Int = 2048, hop: Int = 512) throws
        -> [Float]
    {
        guard rate >= 1 else { throw DSPError("rate", "expected a positive sample rate in Hz, got \(rate)") }
        let stft = try STFT<Float>(nFFT: nFFT, hop: hop)
        try stft.checkSamples(y)
        let spacing = 1.0 / (Double(nFFT) * (1.0 / Double(rate)))  // np.fft.rfftfreq's step
        var out = [Float](repeating: 0, count: stft.frameCount(samples: y.count))
        y.withUnsafeBufferPointer { x in
            _ = stft.forEachBlock(x, power: 1, scratch: STFT<Float>.Scratch(nFFT: nFFT), used: stft.bins) {
                t0, frames, block, width in
                for j in 0..<frames {
                    var weighted = 0.0
                    var total = 0.0
                    for k in 0..<stft.bins {
                        let magnitude = Double(block[k * width + j])
                        weighted += Double(k) * spacing * magnitude
                        total += magnitude
                    }
                    out[t0 + j] = Float(total < Double(Float.leastNormalMagnitude) ? weighted : weighted / total)
                }
            }
        }
        return out
    }
}
