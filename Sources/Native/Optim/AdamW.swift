import Foundation

// ----------------------------------------------------------------------------
// AdamW (Loshchilov & Hutter), as torch.optim.AdamW, for step t with gradient g:
//   p = p * (1 - lr * weight_decay)            decoupled weight decay
//   m = m + (1 - beta1) * (g - m)              first moment (PyTorch's lerp)
//   v = beta2 * v + (1 - beta2) * g^2          second moment
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

func adamw_update(
    _ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
    _ g: UnsafePointer<Float>, _ range: Range<Int>,
    decay: Float, beta1: Float, beta2: Float, stepSize: Float, bc2Sqrt: Float, eps: Float
) {
    let (w1, w2) = (1 - beta1, 1 - beta2)
    for i in range {
        p[i] *= decay
        m[i] += w1 * (g[i] - m[i])
        v[i] = beta2 * v[i] + w2 * g[i] * g[i]
        p[i] -= stepSize * (m[i] / (v[i].squareRoot() / bc2Sqrt + eps))
    }
}

public final class AdamW: Optimizer {
    public let flat: FlatParameters
    public var parameters: [Parameter] { flat.parameters }
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double
    public private(set) var stepCount = 0
    // first and second moments: one block each, laid out as `flat`, and a view per parameter
    private let m: (block: Tensor, views: [Tensor])
    private let v: (block: Tensor, views: [Tensor])

    public init(
        _ parameters: [Parameter], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        eps: Double = 1e-8, weightDecay: Double = 1e-2
    ) throws {
        guard learningRate >= 0, (0..<1).contains(beta1), (0..<1).contains(beta2), eps >= 0, weightDecay >= 0 else {
            throw NNError(
                "adamw: need lr >= 0, betas in [0, 1), eps >= 0 and weight_decay >= 0, got lr \(learningRate), betas (\(beta1), \(beta2)), eps \(eps), weight_decay \(weightDecay)"
            )
        }
        flat = try FlatParameters(parameters)
        (self.learningRate, self.beta1, self.beta2, self.eps, self.weightDecay) = (
            learningRate, beta1, beta2, eps, weightDecay
        )
        m = flat.stateBlock()
        v = flat.stateBlock()
    }

    public var momentum: Double {
        get { beta1 }
        set { beta1 = newValue }
    }

    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let stepSize = Float(learningRate / (1 - pow(beta1, t)))
        let bc2Sqrt = Float((1 - pow(beta2, t)).squareRoot())
        let decay = Float(1 - learningRate * weightDecay)
        flat.gather()
        let (pv, mv, vv, g) = (flat.values.data, m.block.data, v.block.data, flat.gradients.data)
        let (b1, b2, e) = (Float(beta1), Float(beta2), Float(eps))
        forEachChunk(flat.count) { range in
            adamw_update(
                pv, mv, vv, g, range, decay: decay, beta1: b1, beta2: b2, stepSize: stepSize, bc2Sqrt: bc2Sqrt, eps: e)
        }
    }

    public func stateTensors() -> [(name: String, value: SafeTensorValue)] {
        parameters.indices.flatMap { i in
            [("state.\(i).exp_avg", SafeTensorValue.f32(m.views[i])), ("state.\(i).exp_avg_sq", .f32(v.views[i]))]
        }
    }

    public var stateScalars: [String: Double] {
        [
            "step": Double(stepCount), "lr": learningRate, "beta1": beta1, "beta2": beta2, "eps": eps,
            "weight_decay": weightDecay,
        ]
    }

    public func restore(tensors: [String: SafeTensorValue], scalars: [String: Double]) throws {
        // Everything is read and checked before anything changes.
        let moments = try parameters.indices.map { i in
            let shape = parameters[i].value.shape
            return (
                try stateTensor(tensors, "state.\(i).exp_avg", shape: shape),
                try stateTensor(tensors, "state.\(i).exp_avg_sq", shape: shape)
            )
        }
        let step = try stateCount(scalars, "step")
        let (lr, b1, b2) = (
            try stateScalar(scalars, "lr"), try stateScalar(scalars, "beta1"), try stateScalar(scalars, "beta2")
        )
        let (e, wd) = (try stateScalar(scalars, "eps"), try stateScalar(scalars, "weight_decay"))
        for (i, (saved1, saved2)) in moments.enumerated() {
            try m.views[i].assign(saved1)
            try v.views[i].assign(saved2)
        }
        (stepCount, learningRate, beta1, beta2, eps, weightDecay) = (step, lr, b1, b2, e, wd)
    }
}
