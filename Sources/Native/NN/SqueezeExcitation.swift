import Foundation

// ----------------------------------------------------------------------------
// squeeze-and-excitation: x (N, C, H, W), hidden width R = max(1, C / reduction)
//   s (N, C) = mean of x over H, W                       squeeze
//   e (N, C) = fc2(relu(fc1(s)))   fc1: C -> R, fc2: R -> C
//   g (N, C) = sigmoid(e);  out = x * g[n][c]            excite: rescale each channel
// Backward:
//   dx += dout * g;  dg[n][c] = sum over H, W of dout * x;  de = dg * g * (1 - g)
//   back through fc2, relu, fc1 to ds;  dx += ds[n][c] / (H*W)

/// The SE gate of a residual block; children `fc1` and `fc2` as in PyTorch.
public final class SqueezeExcitation: Module {
    public let channels: Int
    public let fc1: Linear
    public let fc2: Linear
    private let relu = ReLU()
    private let pool = GlobalAvgPool()
    public var isTraining = true

    private var input: Tensor?
    private var output: Tensor?
    private var dinput: Tensor?
    // (N, C) sigmoid gate of the last forward
    private var gate: Tensor?
    // (N, C) d(loss)/d(e)
    private var dexcite: Tensor?

    public init(channels: Int, reduction: Int) throws {
        guard channels > 0, reduction > 0 else {
            throw NNError("SqueezeExcitation: channels and reduction must be positive, got \(channels), \(reduction)")
        }
        self.channels = channels
        let hidden = max(1, channels / reduction)
        fc1 = try Linear(channels, hidden)
        fc2 = try Linear(hidden, channels)
    }

    public var children: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }

    public func forward(_ x: Tensor) throws -> Tensor {
        try checkImage(x, channels: channels, "SqueezeExcitation")
        let e = try fc2.forward(relu.forward(fc1.forward(pool.forward(x))))
        let g = Tensor.reuse(&gate, e.shape)
        for i in 0..<e.count { g[i] = 1 / (1 + expf(-e[i])) }
        let out = Tensor.reuse(&output, x.shape)
        let HW = x.shape[2] * x.shape[3]
        Engine.parallelFor(g.count) { p in
            let s = g[p], src = x.data + p * HW, dst = out.data + p * HW
            for i in 0..<HW { dst[i] = src[i] * s }
        }
        input = x
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, output?.shape, "SqueezeExcitation")
        let x = input!, g = gate!
        let HW = x.shape[2] * x.shape[3]
        let de = Tensor.reuse(&dexcite, g.shape)
        let dx = Tensor.reuse(&dinput, x.shape)
        Engine.parallelFor(g.count) { p in
            let s = g[p], d = dout.data + p * HW
            let dg = Float(dotOfFloats(d, x.data + p * HW, HW))
            de[p] = dg * s * (1 - s)
            let dst = dx.data + p * HW
            for i in 0..<HW { dst[i] = d[i] * s }
        }
        let ds = try pool.backward(fc1.backward(relu.backward(fc2.backward(de))))
        try dx.addInPlace(ds)
        return dx
    }
}
