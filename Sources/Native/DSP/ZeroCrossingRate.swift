extension DSP {
    /// librosa.feature.zero_crossing_rate(y, frame_length=2048, hop_length=512, center=True):
    /// the signal is edge-padded by frame_length/2 at each end (np.pad mode "edge") when
    /// centred; values with |x| <= threshold count as zero, and zero as positive (zero_pos);
    /// zcr[t] = #{ i in 1 ..< frame_length : signbit(x[i]) != signbit(x[i-1]) } / frame_length,
    /// the frame's first sample never counting (librosa's pad=False).
    public static func zeroCrossingRate(
        _ y: [Float], frameLength: Int = 2048, hop: Int = 512, center: Bool = true, threshold: Float = 1e-10
    ) throws -> [Float] {
        let frames = try checkFraming(frameLength: frameLength, hop: hop, samples: y.count, center: center)
        guard threshold.isFinite, threshold >= 0 else { throw DSPError("threshold", "expected >= 0, got \(threshold)") }
        let pad = center ? frameLength / 2 : 0
        let n = y.count
        // negative[j] for the padded signal; crossings[j] counts changes of sign in 1 ... j.
        let padded = n + 2 * pad
        var crossings = [Int](repeating: 0, count: padded)
        y.withUnsafeBufferPointer { x in
            func negative(_ j: Int) -> Bool {
                let v = x[min(max(j - pad, 0), n - 1)]
                return abs(v) > threshold && v.sign == .minus
            }
            var previous = negative(0)
            for j in 1..<max(padded, 1) {
                let current = negative(j)
                crossings[j] = crossings[j - 1] + (current != previous ? 1 : 0)
                previous = current
            }
        }
        return (0..<frames).map { t in
            let start = t * hop
            return Float(crossings[start + frameLength - 1] - crossings[start]) / Float(frameLength)
        }
    }
}
