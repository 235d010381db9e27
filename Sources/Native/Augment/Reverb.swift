import Foundation

/// A room: the signal convolved with a generated impulse response, Gaussian noise under an
/// exponential decay that falls 60 dB in a reverberation time drawn from `rt60` (seconds),
/// h[n] = w[n] 10^(-3 n / (rt60 rate)), scaled to unit energy; the wet signal is added to the
/// dry one at a ratio drawn from `wet`, and the result keeps the dry signal's length.
///
/// The convolution runs through FFTs (`convolve`): 30 s with a 1 s response is 2^20-point
/// transforms instead of 1.5e10 multiply-adds.
public struct Reverb: Augmentation {
    public var rt60: ClosedRange<Double>
    public var wet: ClosedRange<Double>

    public init(rt60: ClosedRange<Double> = 0.2...1.2, wet: ClosedRange<Double> = 0.1...0.5) throws {
        try checkRange("rt60", rt60, within: 0.01...10)
        try checkRange("wet", wet, within: 0...10)
        (self.rt60, self.wet) = (rt60, wet)
    }

    static func impulseResponse(rt60: Double, rate: Int, _ r: inout Random) -> [Float] {
        let count = max(1, Int(rt60 * Double(rate)))
        let decay = -3 / (rt60 * Double(rate))  // log10 amplitude per sample: -60 dB at rt60
        var h = (0..<count).map { n in Float(r.normal() * pow(10, decay * Double(n))) }
        let energy = meanSquare(h) * Double(count)
        if energy > 0 { scale(&h, Float(1 / energy.squareRoot())) }
        return h
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let time = random.uniform(rt60.lowerBound, rt60.upperBound)
        let ratio = Float(random.uniform(wet.lowerBound, wet.upperBound))
        var r = random.stream(0)
        let h = Self.impulseResponse(rt60: time, rate: audio.rate, &r)
        return audio.mapChannels { x in
            let tail = convolve(x, h)
            return (0..<x.count).map { x[$0] + ratio * tail[$0] }
        }
    }
}
