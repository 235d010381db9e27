// dropout: in training, out = x * mask with mask = 1/(1-p) with probability 1-p, else 0;
// dx += dout * mask. In evaluation out = x. The mask draws from a generator seeded by one
// draw of the engine generator, so a seed fixes every mask.

/// nn.Dropout(p).
public final class Dropout: Module {
    public let p: Double
    public var isTraining = true
    private var output: Tensor?
    private var dinput: Tensor?
    // same shape as the input: the factor each value was multiplied by
    private var mask: Tensor?

    public init(_ p: Double = 0.5) throws {
        guard p >= 0, p < 1 else { throw NNError("Dropout: p must be in [0, 1), got \(p)") }
        self.p = p
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let out = Tensor.reuse(&output, x.shape)
        let m = Tensor.reuse(&mask, x.shape)
        if isTraining && p > 0 {
            var rng = Random(seed: Engine.withRandom { $0.next() })
            let keep = Float(1 / (1 - p))
            for i in 0..<x.count { m[i] = rng.uniform() < p ? 0 : keep }
        } else {
            m.fill(1)
        }
        for i in 0..<x.count { out[i] = x[i] * m[i] }
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, output?.shape, "Dropout")
        let dx = Tensor.reuse(&dinput, dout.shape)
        let m = mask!
        for i in 0..<dout.count { dx[i] = dout[i] * m[i] }
        return dx
    }
}
