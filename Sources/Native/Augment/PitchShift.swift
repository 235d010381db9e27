import Foundation

/// Time stretch by a rate drawn from `rate` (WSOLA, `timeStretch`): 1.1 plays 10% faster and
/// shortens the buffer, at the same pitch.
public struct TimeStretch: Augmentation {
    public var rate: ClosedRange<Double>

    public init(rate: ClosedRange<Double> = 0.8...1.25) throws {
        try checkRange("rate", rate, within: 0.1...10)
        self.rate = rate
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let r = random.uniform(rate.lowerBound, rate.upperBound)
        return audio.mapChannels { timeStretch($0, rate: r, sampleRate: audio.rate) }
    }
}

/// Pitch shift by a number of semitones drawn from `semitones`, keeping the length: stretched
/// in time by s = 2^(semitones/12) (longer for a rise), then resampled by 1/s (soxr), which
/// plays it s times faster and so raises every frequency by s.
public struct PitchShift: Augmentation {
    public var semitones: ClosedRange<Double>

    public init(semitones: ClosedRange<Double> = -2...2) throws {
        try checkRange("semitones", semitones, within: -24...24)
        self.semitones = semitones
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let s = pow(2, random.uniform(semitones.lowerBound, semitones.upperBound) / 12)
        // The stretched buffer, read as if recorded at rate·s, resampled to rate.
        let source = Int((Double(audio.rate) * s).rounded())
        return try audio.mapChannels { x in
            let stretched = timeStretch(x, rate: 1 / s, sampleRate: audio.rate)
            let back = try Audio(samples: stretched, channels: 1, rate: source).resampled(to: audio.rate).samples
            return back.count >= x.count
                ? Array(back.prefix(x.count)) : back + [Float](repeating: 0, count: x.count - back.count)
        }
    }
}
