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
/// The search runs on a 4x decimated copy first, then refines ±4 lags at full resolution.
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

    // A 4x decimated copy (means of 4 samples) for the coarse search.
    var coarse = [Float](repeating: 0, count: padded.count / 4)
    for j in 0..<coarse.count {
        let sum: Float = padded[4 * j] + padded[4 * j + 1] + padded[4 * j + 2] + padded[4 * j + 3]
        coarse[j] = sum / 4
    }
    padded.withUnsafeBufferPointer { p in
        coarse.withUnsafeBufferPointer { q in
            var previous = pad  // where the last frame was read from (in padded coordinates)
            for k in 0..<frames {
                let nominal = pad + Int((Double(k * hop) * rate).rounded())
                var start = nominal
                if k > 0 {
                    let target = previous + hop  // the natural continuation of the last frame
                    start =
                        nominal + bestLag(p, q, target: target, around: nominal, tolerance: tolerance, length: frame)
                }
                let o = k * hop
                for i in 0..<frame { out[o + i] += window[i] * p[start + i] }
                previous = start
            }
        }
    }
    return Array(out[0..<outCount])
}

/// The δ in [-tolerance, tolerance] maximising Σ p[target+i]·p[around+δ+i] over i < length:
/// searched on the decimated copy q (every 4th lag), then refined ±4 lags at full rate.
private func bestLag(
    _ p: UnsafeBufferPointer<Float>, _ q: UnsafeBufferPointer<Float>, target: Int, around: Int, tolerance: Int,
    length: Int
) -> Int {
    let base = p.baseAddress!
    let decimated = q.baseAddress!
    var best = 0
    var bestValue = -Float.infinity
    for lag in -(tolerance / 4)...(tolerance / 4) {
        let c = dot(decimated + target / 4, decimated + (around / 4 + lag), length / 4)
        if c > bestValue { (best, bestValue) = (4 * lag, c) }
    }
    let coarse = best
    bestValue = -Float.infinity
    for lag in max(-tolerance, coarse - 4)...min(tolerance, coarse + 4) {
        let c = dot(base + target, base + around + lag, length)
        if c > bestValue { (best, bestValue) = (lag, c) }
    }
    return best
}

/// Σ a[i]·b[i] for i < count, accumulated in eight SIMD lanes.
@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var i = 0
    while i + 8 <= count {
        lanes +=
            UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var sum = lanes.sum()
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
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
