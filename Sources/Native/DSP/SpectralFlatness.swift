import Foundation

extension DSP {
    /// librosa.feature.spectral_flatness(y, n_fft=2048, hop_length=512, amin=1e-10, power=2):
    /// with P = max(amin, |stft(y)|^power), flatness[t] = exp(mean_k log P[k,t]) / mean_k P[k,t],
    /// the ratio of the geometric to the arithmetic mean (1 for white noise and for silence).
    public static func spectralFlatness(
        _ y: [Float], nFFT: Int = 2048, hop: Int = 512, amin: Float = 1e-10, power: Float = 2
    ) throws -> [Float] {
        guard amin.isFinite, amin > 0 else { throw DSPError("amin", "expected a value > 0, got \(amin)") }
        guard power.isFinite, power > 0 else { throw DSPError("power", "expected an exponent > 0, got \(power)") }
        let stft = try STFT<Double>(nFFT: nFFT, hop: hop)
        try stft.checkSamples(y)
        var out = [Float](repeating: 0, count: stft.frameCount(samples: y.count))
        y.withUnsafeBufferPointer { x in
            stft.forEachFrame(x, power: Double(power), scratch: STFT<Double>.Scratch(nFFT: nFFT)) { t, spectrum in
                // sum_k log P_k as the logarithm of a product kept as significand and exponent:
                // one multiply per bin instead of a logarithm (a sixth of the time), renormalised
                // every 512 factors in [1, 2), so nothing overflows; error about 1e-13.
                var significand = 1.0
                var exponent = 0
                var sum = 0.0
                for k in 0..<stft.bins {
                    let p = max(Double(amin), spectrum[k])
                    significand *= p.significand
                    exponent += Int(p.exponent)
                    sum += p
                    if k & 511 == 511 {
                        exponent += Int(significand.exponent)
                        significand = significand.significand
                    }
                }
                let logSum = log(significand) + Double(exponent) * M_LN2
                let count = Double(stft.bins)
                out[t] = Float(exp(logSum / count) / (sum / count))
            }
        }
        return out
    }
}
