// dropout: in training, out = x * mask with mask = 1/(1-p) with probability 1-p, else 0;
// dx = dout * mask. In evaluation out = x and dx = dout. The mask draws from a generator
// seeded by one draw of the engine generator, so a seed fixes every mask.

/// nn.Dropout(p).
public final class Dropout: Module {
    public let p: Double
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the output's shape, and in training the factor each value was multiplied by
    private var outputShape: [Int]?
    private var mask: Tensor?

    public init(_ p: Double = 0.5) throws {
        guard p >= 0, p < 1 else { throw NNError("Dropout: p must be in [0, 1), got \(p)") }
        self.p = p
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        outputShape = records ? x.shape : nil
        mask = nil
        guard isTraining && p > 0 else { return x }
        let m = workspace.uninitialized(x.shape)
        var rng = Random(seed: Engine.withRandom { $0.next() })
        let keep = Float(1 / (1 - p))
        for i in 0..<x.count { m[i] = rng.uniform() < p ? 0 : keep }
        let out = workspace.uninitialized(x.shape)
        for i in 0..<x.count { out[i] = x[i] * m[i] }
        if records { mask = m }
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, outputShape, "Dropout")
        outputShape = nil
        guard let m = mask else { return dout }
        mask = nil
        let dx = workspace.uninitialized(dout.shape)
        for i in 0..<dout.count { dx[i] = dout[i] * m[i] }
        return dx
    }
}
