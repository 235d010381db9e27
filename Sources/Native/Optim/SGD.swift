// ----------------------------------------------------------------------------
// SGD with momentum, as torch.optim.SGD, for gradient g:
//   d = g + weight_decay * p
//   b = d on the first step, else momentum * b + (1 - dampening) * d
//   d = d + momentum * b  (Nesterov)   or   d = b  (classical),  when momentum != 0
//   p = p - lr * d

func sgd_update(
    _ p: UnsafeMutablePointer<Float>, _ buf: UnsafeMutablePointer<Float>?, _ g: UnsafePointer<Float>,
    _ range: Range<Int>,
    lr: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool, firstStep: Bool
) {
    for i in range {
        var d = g[i] + weightDecay * p[i]
        if let buf {
            buf[i] = firstStep ? d : momentum * buf[i] + (1 - dampening) * d
            d = nesterov ? d + momentum * buf[i] : buf[i]
        }
        p[i] -= lr * d
    }
}

public final class SGD: Optimizer {
    public let flat: FlatParameters
    public var parameters: [Parameter] { flat.parameters }
    public var learningRate: Double
    public var momentum: Double
    public var dampening: Double
    public var weightDecay: Double
    public let nesterov: Bool
    public private(set) var stepCount = 0
    // the momentum buffer: one block laid out as `flat`, and a view per parameter
    private let buffers: (block: Tensor, views: [Tensor])

    public init(
        _ parameters: [Parameter], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) throws {
        guard learningRate >= 0, momentum >= 0, weightDecay >= 0 else {
            throw NNError(
                "sgd: need lr, momentum and weight_decay >= 0, got \(learningRate), \(momentum), \(weightDecay)")
        }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw NNError(
                "sgd: nesterov needs momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)")
        }
        flat = try FlatParameters(parameters)
        (self.learningRate, self.momentum, self.dampening, self.weightDecay, self.nesterov) =
            (learningRate, momentum, dampening, weightDecay, nesterov)
        buffers = flat.stateBlock()
    }

    public func step() {
        let first = stepCount == 0
        stepCount += 1
        flat.gather()
        let (pv, g, buf) = (flat.values.data, flat.gradients.data, momentum != 0 ? buffers.block.data : nil)
        let (lr, mom, damp, wd) = (Float(learningRate), Float(momentum), Float(dampening), Float(weightDecay))
        forEachChunk(flat.count) { range in
            sgd_update(
                pv, buf, g, range, lr: lr, momentum: mom, dampening: damp, weightDecay: wd, nesterov: nesterov,
                firstStep: first)
        }
    }

    public func stateTensors() -> [(name: String, value: SafeTensorValue)] {
        buffers.views.enumerated().map { ("state.\($0.offset).momentum_buffer", .f32($0.element)) }
    }

    public var stateScalars: [String: Double] {
        [
            "step": Double(stepCount), "lr": learningRate, "momentum": momentum, "dampening": dampening,
            "weight_decay": weightDecay,
        ]
    }

    public func restore(tensors: [String: SafeTensorValue], scalars: [String: Double]) throws {
        // Everything is read and checked before anything changes.
        let saved = try parameters.indices.map { i in
            try stateTensor(tensors, "state.\(i).momentum_buffer", shape: parameters[i].value.shape)
        }
        let step = try stateCount(scalars, "step")
        let (lr, mom) = (try stateScalar(scalars, "lr"), try stateScalar(scalars, "momentum"))
        let (damp, wd) = (try stateScalar(scalars, "dampening"), try stateScalar(scalars, "weight_decay"))
        for (buffer, value) in zip(buffers.views, saved) { try buffer.assign(value) }
        (stepCount, learningRate, momentum, dampening, weightDecay) = (step, lr, mom, damp, wd)
    }
}
