import Foundation

/// Gain by a number of decibels drawn from `decibels`.
public struct Gain: Augmentation {
    public var decibels: ClosedRange<Double>

    public init(decibels: ClosedRange<Double> = -12...12) throws {
        try checkRange("gain", decibels, within: -120...60)
        self.decibels = decibels
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let g = Float(pow(10, random.uniform(decibels.lowerBound, decibels.upperBound) / 20))
        return Audio(samples: audio.samples.map { $0 * g }, channels: audio.channels, rate: audio.rate)
    }
}

/// Loudness normalisation: the whole buffer scaled to an RMS level (dBFS) drawn from `decibels`.
/// Silence stays silent.
public struct LoudnessNormalization: Augmentation {
    public var decibels: ClosedRange<Double>

    public init(decibels: ClosedRange<Double> = -20...(-20)) throws {
        try checkRange("level", decibels, within: -120...20)
        self.decibels = decibels
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let target = pow(10, random.uniform(decibels.lowerBound, decibels.upperBound) / 20)
        let rms = meanSquare(audio.samples).squareRoot()
        guard rms > 0 else { return audio }
        let g = Float(target / rms)
        return Audio(samples: audio.samples.map { $0 * g }, channels: audio.channels, rate: audio.rate)
    }
}

/// Every sample negated.
public struct PolarityInversion: Augmentation {
    public init() {}

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        Audio(samples: audio.samples.map { -$0 }, channels: audio.channels, rate: audio.rate)
    }
}

/// The frames in reverse order.
public struct Reverse: Augmentation {
    public init() {}

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        audio.mapChannels { Array($0.reversed()) }
    }
}

/// A shift in time by up to `maxSeconds` either way: rolled around (what leaves one end enters
/// the other) or, with `rollover` false, filled with silence.
public struct TimeShift: Augmentation {
    public var maxSeconds: Double
    public var rollover: Bool

    public init(maxSeconds: Double = 2, rollover: Bool = true) throws {
        try checkRange("max_seconds", maxSeconds...maxSeconds, within: 0...600)
        self.maxSeconds = maxSeconds
        self.rollover = rollover
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let limit = Int(maxSeconds * Double(audio.rate))
        let shift = random.int(in: -limit...limit)
        return audio.mapChannels { x in Self.shifted(x, by: shift, rollover: rollover) }
    }

    /// y[i] = x[i - shift].
    static func shifted(_ x: [Float], by shift: Int, rollover: Bool) -> [Float] {
        let n = x.count
        guard n > 0 else { return x }
        return (0..<n).map { i in
            let j = i - shift
            if rollover { return x[((j % n) + n) % n] }
            return (0..<n).contains(j) ? x[j] : 0
        }
    }
}
