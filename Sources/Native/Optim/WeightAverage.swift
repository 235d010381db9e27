/// An exponential moving average of a network's weights (Polyak averaging, as timm's ModelEma
/// and TensorFlow's ExponentialMovingAverage keep it): after each optimiser step
///
///     d = min(decay, (1 + t) / (10 + t))        t = updates so far
///     shadow = d * shadow + (1 - d) * live       for every parameter and running statistic
///
/// The warm-up term keeps the first averages from being mostly the random initialisation. The
/// average of the last few hundred steps generalises better than the last step's weights and
/// moves smoothly from epoch to epoch, so validating it picks a checkpoint by the model rather
/// than by where the last batches happened to push it. `swap` exchanges the live and averaged
/// values in place, so evaluation, prediction and saving use the average with no copy of the
/// network; BatchNorm's counters are not averaged.
public final class WeightAverage {
    public let decay: Double
    public private(set) var updates: Int = 0
    /// True while the network holds the average (between two `swap`s).
    public private(set) var swapped = false
    /// Each float state entry of the network (live, in the network) and its average.
    let entries: [(name: String, live: Tensor, shadow: Tensor)]

    public init(_ module: any Module, decay: Double) throws {
        guard decay.isFinite, decay > 0, decay < 1 else {
            throw NNError("decay: expected a number in (0, 1), like 0.999, got \(decay)")
        }
        self.decay = decay
        entries = module.stateDict().compactMap { name, entry in
            guard case .tensor(let t) = entry else { return nil }
            return (name, t, t.copy())
        }
    }

    /// The decay the next update uses.
    public var currentDecay: Double { min(decay, Double(1 + updates) / Double(10 + updates)) }

    /// Moves the average towards the network's current weights (call after each step).
    public func update() throws {
        guard !swapped else { throw NNError("update: the network holds the average; swap it back first") }
        let d = Float(currentDecay)
        for (_, live, shadow) in entries {
            let (x, s) = (live.data, shadow.data)
            for i in 0..<live.count { s[i] = d * s[i] + (1 - d) * x[i] }
        }
        updates += 1
    }

    /// Exchanges the network's weights and the average.
    public func swap() {
        for (_, live, shadow) in entries {
            let (x, s) = (live.data, shadow.data)
            for i in 0..<live.count { (x[i], s[i]) = (s[i], x[i]) }
        }
        swapped.toggle()
    }

    /// Runs `body` with the live weights in the network, and the average back afterwards if it
    /// was there.
    public func withLiveWeights<T>(_ body: () throws -> T) rethrows -> T {
        let was = swapped
        if was { swap() }
        defer { if was { swap() } }
        return try body()
    }

    /// The averages under their state-dict names, for a training state (never while swapped:
    /// then the network holds them).
    public func stateTensors() -> [(name: String, value: SafeTensorValue)] {
        entries.map { name, live, shadow in (name, .f32(swapped ? live : shadow)) }
    }

    /// Restores averages saved by `stateTensors` and the update count; checks every name and
    /// shape before changing anything.
    public func restore(_ tensors: [String: SafeTensorValue], updates: Int) throws {
        guard updates >= 0 else { throw NNError("ema: expected a non-negative update count, got \(updates)") }
        var values: [UnsafeMutablePointer<Float>] = []
        for (name, _, shadow) in entries {
            guard case .f32(let t)? = tensors[name], t.shape == shadow.shape else {
                throw NNError("ema: the average of \(name) (shape \(shadow.shape)) is missing or misshaped")
            }
            values.append(t.data)
        }
        guard tensors.count == entries.count else {
            throw NNError("ema: expected \(entries.count) averaged tensors, got \(tensors.count)")
        }
        if swapped { swap() }
        for ((_, _, shadow), v) in zip(entries, values) { shadow.data.update(from: v, count: shadow.count) }
        self.updates = updates
    }
}
