/// Everything a run needs to continue as if it had never stopped, in one safetensors file:
/// the model's state dict (`model.<name>`), the optimiser's moments (`optimizer.state.<i>.<buffer>`),
/// and in the metadata the optimiser's and scheduler's scalars, the epoch, the best metric and
/// the engine's random generator. Scalars are written in Swift's shortest round-trip decimal
/// form, so a restored run reproduces the original bit for bit.
public struct TrainingState: Equatable, Sendable {
    public var epoch: Int
    public var bestMetric: Double?
    /// The caller's own values (data-loader position, script settings).
    public var extra: [String: String]

    public init(epoch: Int = 0, bestMetric: Double? = nil, extra: [String: String] = [:]) {
        (self.epoch, self.bestMetric, self.extra) = (epoch, bestMetric, extra)
    }

    public func save(
        to path: String, model: any Module, optimizer: any Optimizer, scheduler: (any ScheduleState)? = nil,
        average: WeightAverage? = nil
    ) throws {
        var metadata = ["format": "mashup-training-state-1", "epoch": String(epoch)]
        if let bestMetric { metadata["best_metric"] = String(bestMetric) }
        for (k, v) in optimizer.stateScalars { metadata["optimizer.\(k)"] = String(v) }
        for (k, v) in scheduler?.stateScalars ?? [:] { metadata["scheduler.\(k)"] = String(v) }
        let rng = Engine.randomState.state
        metadata["rng"] = [rng.0, rng.1, rng.2, rng.3].map { String($0, radix: 16) }.joined(separator: " ")
        for (k, v) in extra { metadata["extra.\(k)"] = v }
        if let average { metadata["ema.updates"] = String(average.updates) }
        // The file holds the live weights as the model's even while the network holds the
        // average (the tensors are views: write them before swapping back).
        func write() throws {
            let tensors =
                model.stateTensors().map { ("model." + $0.name, $0.value) }
                + optimizer.stateTensors().map { ("optimizer." + $0.name, $0.value) }
                + (average?.stateTensors() ?? []).map { ("ema." + $0.name, $0.value) }
            try SafeTensors.write(path, tensors, metadata: metadata)
        }
        if let average { try average.withLiveWeights(write) } else { try write() }
    }

    /// Restores model, optimiser, scheduler and the engine generator from `path`; returns the
    /// epoch, best metric and extras saved with them.
    public static func load(
        from path: String, model: any Module, optimizer: any Optimizer, scheduler: (any ScheduleState)? = nil,
        average: WeightAverage? = nil
    ) throws -> TrainingState {
        let file = try SafeTensors.read(path)
        let meta = file.metadata
        func fail(_ why: String) -> NNError { NNError("'\(path)' is not a usable training state: \(why)") }
        guard meta["format"] == "mashup-training-state-1" else { throw fail("format tag missing or unknown") }
        func scalars(_ prefix: String) -> [String: Double] {
            Dictionary(
                uniqueKeysWithValues: meta.compactMap { k, v in
                    k.hasPrefix(prefix) ? Double(v).map { (String(k.dropFirst(prefix.count)), $0) } : nil
                })
        }
        func tensors(_ prefix: String) -> [String: SafeTensorValue] {
            Dictionary(
                uniqueKeysWithValues: file.tensors.compactMap { k, v in
                    k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil
                })
        }
        let words = (meta["rng"] ?? "").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, words.contains(where: { $0 != 0 }) else { throw fail("random generator state missing") }
        guard let epoch = meta["epoch"].flatMap({ Int($0) }) else { throw fail("epoch missing") }
        var averageUpdates = 0
        if average != nil {
            guard let n = meta["ema.updates"].flatMap({ Int($0) }) else {
                throw fail("it holds no weight average (the run was saved without one)")
            }
            averageUpdates = n
        }
        let nonFinite = nonFiniteTensorNames(file.tensors)
        guard nonFinite.isEmpty else { throw fail("NaN or infinite values in \(nonFinite.joined(separator: ", "))") }
        // All or nothing: each part checks its own values before changing, but a later part
        // can still refuse after an earlier one took its values, so a failure puts back what
        // the objects held.
        let before = Undo(model: model, optimizer: optimizer, scheduler: scheduler, average: average)
        do {
            if let average { try average.restore(tensors("ema."), updates: averageUpdates) }
            try model.loadState(tensors("model."))
            try optimizer.restore(tensors: tensors("optimizer."), scalars: scalars("optimizer."))
            try scheduler?.restore(scalars: scalars("scheduler."))
        } catch let e as NNError {
            try before.putBack()
            throw fail(e.message)
        }
        Engine.randomState = Random(state: (words[0], words[1], words[2], words[3]))
        let extra = Dictionary(
            uniqueKeysWithValues: meta.compactMap { k, v in
                k.hasPrefix("extra.") ? (String(k.dropFirst(6)), v) : nil
            })
        return TrainingState(epoch: epoch, bestMetric: meta["best_metric"].flatMap { Double($0) }, extra: extra)
    }
}

/// A copy of everything `TrainingState.load` changes, to put back when it fails halfway.
private struct Undo {
    let model: any Module
    let optimizer: any Optimizer
    let scheduler: (any ScheduleState)?
    let average: WeightAverage?
    let modelState: [String: SafeTensorValue]
    let optimizerState: (tensors: [String: SafeTensorValue], scalars: [String: Double])
    let schedulerScalars: [String: Double]
    let averageState: (tensors: [String: SafeTensorValue], updates: Int, swapped: Bool)?

    init(model: any Module, optimizer: any Optimizer, scheduler: (any ScheduleState)?, average: WeightAverage?) {
        (self.model, self.optimizer, self.scheduler, self.average) = (model, optimizer, scheduler, average)
        func copies(_ entries: [(name: String, value: SafeTensorValue)]) -> [String: SafeTensorValue] {
            Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.value.copy()) })
        }
        modelState =
            average.map { a in a.withLiveWeights { copies(model.stateTensors()) } } ?? copies(model.stateTensors())
        optimizerState = (copies(optimizer.stateTensors()), optimizer.stateScalars)
        schedulerScalars = scheduler?.stateScalars ?? [:]
        averageState = average.map { (copies($0.stateTensors()), $0.updates, $0.swapped) }
    }

    /// Restores the copies; they came from the objects themselves, so every check passes (the
    /// model's are assigned unchecked: a diverged model's NaN weights come back as they were).
    func putBack() throws {
        if let average, let averageState {
            try average.restore(averageState.tensors, updates: averageState.updates)
        }
        try model.assignState(modelState)
        try optimizer.restore(tensors: optimizerState.tensors, scalars: optimizerState.scalars)
        try scheduler?.restore(scalars: schedulerScalars)
        if let average, averageState?.swapped == true { average.swap() }
    }
}
