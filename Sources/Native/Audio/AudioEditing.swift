import Foundation

// The buffer operations a script composes into augmentations: cut, measure, scale and mix.
// Each returns a new value (or a number); none changes `self`.

extension Audio {
    /// The frames from `start` to `end` seconds: frames int(start * rate) ..< int(end * rate),
    /// the end cut at the buffer's end (as `AudioFile.read` cuts offset and duration).
    public func slice(from start: Double, to end: Double) throws -> Audio {
        guard start.isFinite, start >= 0 else { throw AudioError("start", "expected seconds >= 0, got \(start)") }
        guard end.isFinite, end > start else {
            throw AudioError("end", "expected seconds > start (\(start)), got \(end)")
        }
        let first = Int(start * Double(rate))
        let last = min(frames, Int(end * Double(rate)))
        guard first < last else {
            throw AudioError(
                "start", "\(start) s to \(end) s holds no frame of \(String(format: "%.3f", duration)) s of audio")
        }
        return Audio(samples: Array(samples[(first * channels)..<(last * channels)]), channels: channels, rate: rate)
    }

    /// max |x| over every sample of every channel; 0 for no samples.
    public var peak: Float {
        samples.reduce(0) { Swift.max($0, abs($1)) }
    }

    /// sqrt(mean x^2) over every sample of every channel, summed in double; 0 for no samples.
    public var rms: Double {
        guard !samples.isEmpty else { return 0 }
        let squares = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (squares / Double(samples.count)).squareRoot()
    }

    /// Every sample times 10^(decibels / 20).
    public func gained(decibels: Double) throws -> Audio {
        guard decibels.isFinite else { throw AudioError("gain", "expected a finite number of dB, got \(decibels)") }
        let factor = Float(pow(10, decibels / 20))
        let louder = samples.map { $0 * factor }
        guard louder.withUnsafeBufferPointer(allFinite) else {
            throw AudioError(
                "gain", "\(decibels) dB takes the peak \(peak) beyond the largest float; expected a smaller gain")
        }
        return Audio(samples: louder, channels: channels, rate: rate)
    }

    /// self + gain * other, frame by frame, keeping self's length: `other` starts with self's
    /// first frame, and its frames past self's end are dropped (a shorter one adds silence).
    /// Both need the same rate and channel count.
    public func mixed(with other: Audio, gain: Double = 1) throws -> Audio {
        guard other.rate == rate else {
            throw AudioError("other", "expected audio at \(rate) Hz, got \(other.rate) Hz (resample it first)")
        }
        guard other.channels == channels else {
            throw AudioError(
                "other", "expected \(channels) channels, got \(other.channels) (mono() or match them first)")
        }
        guard gain.isFinite else { throw AudioError("gain", "expected a finite factor, got \(gain)") }
        var out = samples
        let g = Float(gain)
        let n = min(out.count, other.samples.count)
        out.withUnsafeMutableBufferPointer { y in
            other.samples.withUnsafeBufferPointer { x in
                for i in 0..<n { y[i] += g * x[i] }
            }
        }
        guard out.withUnsafeBufferPointer(allFinite) else {
            throw AudioError("gain", "\(gain) takes the sum beyond the largest float; expected a smaller factor")
        }
        return Audio(samples: out, channels: channels, rate: rate)
    }
}
