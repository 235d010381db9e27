import Foundation

/// Changes the speed of `x` by `rate` without changing its pitch: the result lasts about
/// n / rate samples (rate 2 is twice as fast). WSOLA, waveform-similarity overlap-add
/// (Verhelst & Roelands 1993):
///
///   frames of N samples (46 ms) are written every Hs = N/2 samples under a periodic Hann
///   window, whose 50%-overlapped copies sum to exactly 1; frame k is read near k·Ha, Ha =
///   rate·Hs, shifted by the δ in [-Δ, Δ] (Δ = N/4) whose segment best matches, by cross-
///   correlation, the natural continuation of the previous frame (the samples that followed it
///   in the input). So every overlap joins two stretches of waveform that were alike, and
///   periodic sounds keep their period, hence their pitch.
///
/// The search runs on every 4th sample and lag first, then refines ±3 lags at full resolution.
public func timeStretch(_ x: [Float], rate: Double, sampleRate: Int) -> [Float] {
    precondition(rate > 0 && rate.isFinite, "timeStretch rate must be a positive number")
    let n = x.count
    let frame = max(16, Int(0.046 * Double(sampleRate)) & ~1)
    let hop = frame / 2
    let tolerance = frame / 4
    let outCount = Int((Double(n) / rate).rounded())
    guard n > frame, outCount > 0, rate != 1 else { return rate == 1 ? x : resampleLength(x, outCount) }

    let frames = outCount / hop + 2
    // Input padded with silence so every read, up to the last frame's search, is in bounds.
    let pad = tolerance + frame
    let reach = pad + Int((Double(frames * hop) * rate).rounded()) + tolerance + 2 * frame
    var padded = [Float](repeating: 0, count: max(reach, pad + n))
    padded.replaceSubrange(pad..<(pad + n), with: x)
    let window = (0..<frame).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(frame))) }
    var out = [Float](repeating: 0, count: (frames + 1) * hop + frame)

    padded.withUnsafeBufferPointer { p in
        var previous = pad  // where the last frame was read from (in padded coordinates)
        for k in 0..<frames {
            let nominal = pad + Int((Double(k * hop) * rate).rounded())
            var start = nominal
            if k > 0 {
                let target = previous + hop  // the natural continuation of the last frame
                start = nominal + bestLag(p, target: target, around: nominal, tolerance: tolerance, length: frame)
            }
            let o = k * hop
            for i in 0..<frame { out[o + i] += window[i] * p[start + i] }
            previous = start
        }
    }
    return Array(out[0..<outCount])
}

/// The δ in [-tolerance, tolerance] maximising Σ p[target+i]·p[around+δ+i] over i < length.
private func bestLag(_ p: UnsafeBufferPointer<Float>, target: Int, around: Int, tolerance: Int, length: Int) -> Int {
    func correlation(_ lag: Int, step: Int) -> Float {
        var sum: Float = 0
        var i = 0
        while i < length {
            sum += p[target + i] * p[around + lag + i]
            i += step
        }
        return sum
    }
    var best = 0
    var bestValue = -Float.infinity
    for lag in stride(from: -tolerance, through: tolerance, by: 4) {
        let c = correlation(lag, step: 4)
        if c > bestValue { (best, bestValue) = (lag, c) }
    }
    let coarse = best
    bestValue = -Float.infinity
    for lag in max(-tolerance, coarse - 3)...min(tolerance, coarse + 3) {
        let c = correlation(lag, step: 1)
        if c > bestValue { (best, bestValue) = (lag, c) }
    }
    return best
}

/// Too short to stretch by frames: `x` read at `count` evenly spaced points (linear interpolation).
private func resampleLength(_ x: [Float], _ count: Int) -> [Float] {
    guard x.count > 1, count > 1 else { return [Float](repeating: x.first ?? 0, count: max(0, count)) }
    let scale = Double(x.count - 1) / Double(count - 1)
    return (0..<count).map { i in
        let t = Double(i) * scale
        let j = min(Int(t), x.count - 2)
        let f = Float(t - Double(j))
        return x[j] + f * (x[j + 1] - x[j])
    }
}
