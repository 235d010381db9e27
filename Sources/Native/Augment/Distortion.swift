import Foundation

/// Hard clipping at a fraction of the buffer's peak drawn from `threshold`.
public struct Clipping: Augmentation {
    public var threshold: ClosedRange<Double>

    public init(threshold: ClosedRange<Double> = 0.3...0.9) throws {
        try checkRange("threshold", threshold, within: 1e-4...1)
        self.threshold = threshold
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let limit = Float(random.uniform(threshold.lowerBound, threshold.upperBound)) * peak(audio.samples)
        return Audio(
            samples: audio.samples.map { min(limit, max(-limit, $0)) }, channels: audio.channels, rate: audio.rate)
    }
}

/// Soft saturation y = p tanh(g x / p) / tanh(g), g = 10^(drive/20), p the peak: a gain of g
/// into a tanh curve, scaled so the peak stays where it was.
public struct TanhDistortion: Augmentation {
    public var drive: ClosedRange<Double>

    public init(drive: ClosedRange<Double> = 0...20) throws {
        try checkRange("drive", drive, within: -40...60)
        self.drive = drive
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let g = Float(pow(10, random.uniform(drive.lowerBound, drive.upperBound) / 20))
        let p = peak(audio.samples)
        guard p > 0 else { return audio }
        let k = p / tanh(g)
        return Audio(samples: audio.samples.map { k * tanh(g * $0 / p) }, channels: audio.channels, rate: audio.rate)
    }
}
