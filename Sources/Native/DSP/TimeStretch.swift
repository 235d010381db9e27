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
/// The search runs coarse to fine: every lag of an 8x decimated copy, then ±4 lags of a 2x
/// decimated copy, then ±2 lags at full resolution (a third of the work of a 4x-then-full search,
/// which made tempo alignment most of a training mashup's cost).
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

    // Decimated copies (means of 2 and of 8 samples) for the coarser searches.
    let half = decimated(padded, by: 2)
    let eighth = decimated(half, by: 4)
    padded.withUnsafeBufferPointer { p in
        half.withUnsafeBufferPointer { p2 in
            eighth.withUnsafeBufferPointer { p8 in
                var previous = pad  // where the last frame was read from (in padded coordinates)
                for k in 0..<frames {
                    let nominal = pad + Int((Double(k * hop) * rate).rounded())
                    var start = nominal
                    if k > 0 {
                        let target = previous + hop  // the natural continuation of the last frame
                        start =
                            nominal
                            + bestLag(
                                (p, p2, p8), target: target, around: nominal, tolerance: tolerance, length: frame)
                    }
                    let o = k * hop
                    for i in 0..<frame { out[o + i] += window[i] * p[start + i] }
                    previous = start
                }
            }
        }
    }
    return Array(out[0..<outCount])
}

/// Means of `factor` consecutive samples.
private func decimated(_ x: [Float], by factor: Int) -> [Float] {
    let count = x.count / factor
    let scale = 1 / Float(factor)
    return x.withUnsafeBufferPointer { input in
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for j in 0..<count {
                var sum: Float = 0
                for i in 0..<factor { sum += input[j * factor + i] }
                out[j] = sum * scale
            }
            initialized = count
        }
    }
}

/// The δ in [-tolerance, tolerance] maximising Σ p[target+i]·p[around+δ+i] over i < length:
/// every lag of the 8x decimated copy, then ±4 lags of the 2x copy around the best, then ±2
/// lags at full rate (each step's grid leaves the next less than its search radius to cover).
private func bestLag(
    _ copies: (full: UnsafeBufferPointer<Float>, half: UnsafeBufferPointer<Float>, eighth: UnsafeBufferPointer<Float>),
    target: Int, around: Int, tolerance: Int, length: Int
) -> Int {
    /// The best lag, in samples, among `lags` steps of `factor` samples, on the copy decimated by `factor`.
    func search(_ q: UnsafeBufferPointer<Float>, factor: Int, lags: ClosedRange<Int>) -> Int {
        let base = q.baseAddress!
        var best = lags.lowerBound
        var bestValue = -Float.infinity
        for lag in lags {
            let c = dot(base + target / factor, base + (around / factor + lag), length / factor)
            if c > bestValue { (best, bestValue) = (lag, c) }
        }
        return best * factor
    }
    let coarse = search(copies.eighth, factor: 8, lags: -(tolerance / 8)...(tolerance / 8))
    let middle = search(
        copies.half, factor: 2, lags: max(-tolerance / 2, coarse / 2 - 4)...min(tolerance / 2, coarse / 2 + 4))
    return search(copies.full, factor: 1, lags: max(-tolerance, middle - 2)...min(tolerance, middle + 2))
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
