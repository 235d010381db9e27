/// A random change to a training example: an audio buffer, a spectrogram or a batch.
///
/// `random` is the example's own generator (a stream of the loader's seed), so what is drawn
/// depends only on the seed and the example, never on the thread. `worker` is the index of the
/// loader thread calling, in 0..<workers: an implementation that keeps per-thread state (the
/// Lua host keeps one Lua state per worker for augmentations written in Lua) indexes it with
/// `worker`, and no two calls with the same `worker` run at once.
public protocol Augmentation<Value>: Sendable {
    associatedtype Value
    func apply(_ value: Value, random: inout Random, worker: Int) throws -> Value
}

/// Augmentations applied in order, each with its probability. One uniform draw per step is
/// taken whether or not the step runs, so adding a step never changes another step's draws.
public struct Pipeline<Value>: Augmentation {
    public struct Step: Sendable {
        public var augmentation: any Augmentation<Value>
        public var probability: Double
    }

    public private(set) var steps: [Step] = []

    public init() {}

    public init(_ steps: [(any Augmentation<Value>, probability: Double)]) throws {
        for (augmentation, probability) in steps { try append(augmentation, probability: probability) }
    }

    public mutating func append(_ augmentation: any Augmentation<Value>, probability: Double = 1) throws {
        guard probability.isFinite, (0...1).contains(probability) else {
            throw DataError("probability", "expected a probability in [0, 1], got \(probability)")
        }
        steps.append(Step(augmentation: augmentation, probability: probability))
    }

    public func apply(_ value: Value, random: inout Random, worker: Int) throws -> Value {
        var value = value
        for step in steps {
            if random.uniform() < step.probability {
                value = try step.augmentation.apply(value, random: &random, worker: worker)
            }
        }
        return value
    }
}

public typealias AudioPipeline = Pipeline<Audio>
public typealias SpectrogramPipeline = Pipeline<Spectrogram>

extension Audio {
    /// Each channel as its own signal through `body`, interleaved again; `body` may change the
    /// length, as long as it returns the same length for every channel.
    func mapChannels(_ body: ([Float]) throws -> [Float]) rethrows -> Audio {
        if channels == 1 { return Audio(samples: try body(samples), channels: 1, rate: rate) }
        let n = frames
        let outputs = try (0..<channels).map { c in try body((0..<n).map { samples[$0 * channels + c] }) }
        let m = outputs[0].count
        var out = [Float](repeating: 0, count: m * channels)
        for (c, y) in outputs.enumerated() {
            for f in 0..<min(m, y.count) { out[f * channels + c] = y[f] }
        }
        return Audio(samples: out, channels: channels, rate: rate)
    }
}

/// Throws unless `range` lies within `allowed` with finite ends.
func checkRange(_ name: String, _ range: ClosedRange<Double>, within allowed: ClosedRange<Double>) throws {
    guard range.lowerBound.isFinite, range.upperBound.isFinite, allowed.contains(range.lowerBound),
        allowed.contains(range.upperBound)
    else {
        throw DataError(
            name,
            "expected a range within \(allowed.lowerBound)...\(allowed.upperBound), got \(range.lowerBound)...\(range.upperBound)"
        )
    }
}
