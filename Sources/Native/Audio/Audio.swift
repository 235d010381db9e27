/// Audio samples as Float32, interleaved by frame.
///
/// A plain value: `samples[f * channels + c]` is channel c of frame f. Conversions return new
/// values, so a buffer handed to another stage is never changed behind its back.
public struct Audio: Sendable, Equatable {
    public var samples: [Float]  // [frames * channels], interleaved
    public var channels: Int
    public var rate: Int

    public init(samples: [Float], channels: Int, rate: Int) {
        self.samples = samples
        self.channels = channels
        self.rate = rate
    }

    /// The same as `init(samples:channels:rate:)`, but rejects what is not audio: a channel
    /// count or rate below 1, a sample count that is not a whole number of frames, or a NaN or
    /// infinite sample.
    public init(checking samples: [Float], channels: Int, rate: Int) throws {
        guard channels >= 1 else { throw AudioError("channels", "expected at least 1, got \(channels)") }
        guard rate >= 1 else { throw AudioError("rate", "expected a positive sample rate in Hz, got \(rate)") }
        guard samples.count % channels == 0 else {
            throw AudioError(
                "samples", "expected a multiple of \(channels) channels, got \(samples.count) samples")
        }
        guard samples.withUnsafeBufferPointer(allFinite) else {
            let bad = samples.firstIndex { !$0.isFinite }!
            throw AudioError(
                "samples",
                "sample \(bad + 1) is \(samples[bad].isNaN ? "NaN" : "\(samples[bad])"); expected finite samples")
        }
        self.init(samples: samples, channels: channels, rate: rate)
    }

    public var frames: Int { channels > 0 ? samples.count / channels : 0 }

    /// Length in seconds.
    public var duration: Double { rate > 0 ? Double(frames) / Double(rate) : 0 }

    /// The mean of the channels, frame by frame (librosa.to_mono); `self` when already mono.
    public func mono() -> Audio {
        guard channels > 1 else { return self }
        let c = channels
        let n = frames
        let divisor = Float(c)
        let out = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            samples.withUnsafeBufferPointer { x in
                if c == 2 {
                    // The common case, as a loop the compiler vectorises.
                    for f in 0..<n { buffer[f] = (x[2 * f] + x[2 * f + 1]) / 2 }
                } else {
                    for f in 0..<n {
                        var sum: Float = 0
                        for k in 0..<c { sum += x[f * c + k] }
                        buffer[f] = sum / divisor  // divided, not scaled by 1/c: numpy's mean, bit for bit
                    }
                }
            }
            initialized = n
        }
        return Audio(samples: out, channels: 1, rate: rate)
    }
}
