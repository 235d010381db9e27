import Foundation

// ----------------------------------------------------------------------------
// squeeze-and-excitation: x (N, C, H, W), hidden width R = max(1, C / reduction)
//   s (N, C) = mean of x over H, W                       squeeze
//   e (N, C) = fc2(relu(fc1(s)))   fc1: C -> R, fc2: R -> C
//   g (N, C) = sigmoid(e);  out = x * g[n][c]            excite: rescale each channel
// Backward:
//   dg[n][c] = sum over H, W of dout * x;  de = dg * g * (1 - g)
//   back through fc2, relu, fc1 to ds;  dx = dout * g + ds[n][c] / (H*W)
// A residual block adds its shortcut and applies its ReLU in the same pass as the rescale:
//   out = max(0, x * g[n][c] + shortcut).

/// The SE gate of a residual block; children `fc1` and `fc2` as in PyTorch.
public final class SqueezeExcitation: Module {
    public let channels: Int
    public let fc1: Linear
    public let fc2: Linear
    public var isTraining = true
    public var workspace = Workspace()

    // recorded: the input, (N, R) relu(fc1(s)) and (N, C) the sigmoid gate
    private var input: Tensor?
    private var hidden: Tensor?
    private var gate: Tensor?

    public init(channels: Int, reduction: Int) throws {
        guard channels > 0, reduction > 0 else {
            throw NNError("SqueezeExcitation: channels and reduction must be positive, got \(channels), \(reduction)")
        }
        self.channels = channels
        let hidden = max(1, channels / reduction)
        fc1 = try Linear(channels, hidden)
        fc2 = try Linear(hidden, channels)
        share(workspace)
    }

    public var children: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }

    public func forward(_ x: Tensor) throws -> Tensor { try forward(x, residual: nil) }

    /// x * g, or max(0, x * g + residual) when a residual block hands its shortcut.
    func forward(_ x: Tensor, residual: Tensor?) throws -> Tensor {
        try checkImage(x, channels: channels, "SqueezeExcitation")
        let (N, HW) = (x.shape[0], x.shape[2] * x.shape[3])
        let s = workspace.uninitialized([N, channels])
        global_avgpool_forward(s.data, x.data, s.count, HW)
        let h = try fc1.forward(s)
        let hr = workspace.uninitialized(h.shape)
        relu_forward(hr.data, h.data, h.count)
        let e = try fc2.forward(hr)
        let g = workspace.uninitialized(e.shape)
        sigmoid_forward(g.data, e.data, e.count)
        let out = workspace.uninitialized(x.shape)
        se_excite_forward(out.data, x.data, g.data, residual.map { UnsafePointer($0.data) }, g.count, HW)
        (input, hidden, gate) = records ? (x, hr, g) : (nil, nil, nil)
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, input?.shape, "SqueezeExcitation")
        let (x, hr, g) = (input!, hidden!, gate!)
        (input, hidden, gate) = (nil, nil, nil)
        let HW = x.shape[2] * x.shape[3]
        let de = workspace.uninitialized(g.shape)
        se_gate_backward(de.data, dout.data, x.data, g.data, g.count, HW)
        let dhr = try fc2.backward(de)
        let dh = workspace.uninitialized(dhr.shape)
        relu_backward(dh.data, dhr.data, hr.data, dh.count)
        let ds = try fc1.backward(dh)
        let dx = workspace.uninitialized(x.shape)
        se_excite_backward(dx.data, dout.data, g.data, ds.data, g.count, HW)
        return dx
    }
}

/// out = 1 / (1 + e^-x), elementwise.
func sigmoid_forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int) {
    for i in 0..<count { out[i] = 1 / (1 + expf(-x[i])) }
}

/// The excite step over `planes` = N * C planes of HW values: out = x * g[plane], or
/// max(0, x * g[plane] + residual) when a residual block hands its shortcut.
func se_excite_forward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ gate: UnsafePointer<Float>,
    _ residual: UnsafePointer<Float>?, _ planes: Int, _ HW: Int
) {
    Engine.parallelFor(planes) { p in
        let k = gate[p]
        let src = x + p * HW
        let dst = out + p * HW
        if let residual {
            let r = residual + p * HW
            for i in 0..<HW { dst[i] = max(0, src[i] * k + r[i]) }
        } else {
            for i in 0..<HW { dst[i] = src[i] * k }
        }
    }
}

/// The gate's gradient before the sigmoid: de[plane] = (sum over the plane of dout * x) * g * (1 - g).
func se_gate_backward(
    _ de: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ gate: UnsafePointer<Float>, _ planes: Int, _ HW: Int
) {
    Engine.parallelFor(planes) { p in
        let k = gate[p]
        let dg = Float(dotOfFloats(dout + p * HW, x + p * HW, HW))
        de[p] = dg * k * (1 - k)
    }
}

/// Back through the excite and the squeeze: dx = dout * g[plane] + ds[plane] / HW.
func se_excite_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ gate: UnsafePointer<Float>,
    _ ds: UnsafePointer<Float>, _ planes: Int, _ HW: Int
) {
    Engine.parallelFor(planes) { p in
        let k = gate[p]
        let pooled = ds[p] / Float(HW)
        let d = dout + p * HW
        let dst = dx + p * HW
        for i in 0..<HW { dst[i] = d[i] * k + pooled }
    }
}
