extension DSP {
    /// np.abs(librosa.stft(y, n_fft, hop_length, window="hann", center=True,
    /// pad_mode="constant"))**power: S[k, t] = |X_t[k]|^power for the 1 + n_fft / 2 bins
    /// k = 0 ... n_fft / 2 (bin k is k * rate / n_fft Hz), framed as `STFT` describes.
    public static func powerSpectrogram(_ y: [Float], nFFT: Int = 2048, hop: Int = 512, power: Float = 2) throws
        -> Spectrogram
    {
        guard power.isFinite, power > 0 else {
            throw DSPError("power", "expected an exponent > 0 (2 for power, 1 for magnitude), got \(power)")
        }
        let stft = try STFT<Float>(nFFT: nFFT, hop: hop)
        try stft.checkSamples(y)
        let frames = stft.frameCount(samples: y.count)
        let bins = stft.bins
        var out = [Float](repeating: 0, count: bins * frames)
        y.withUnsafeBufferPointer { y in
            out.withUnsafeMutableBufferPointer { s in
                stft.forEachFrame(y, power: power, scratch: STFT<Float>.Scratch(nFFT: nFFT)) { t, spectrum in
                    for k in 0..<bins { s[k * frames + t] = spectrum[k] }
                }
            }
        }
        return Spectrogram(values: out, bins: bins, frames: frames)
    }
}
