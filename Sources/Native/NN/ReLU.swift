// relu: out = max(0, x);  dx = dout where out > 0, else 0. Element-wise, any shape.
// (dx is written, not accumulated: it is a new tensor, and a zeroing pass is saved.)

func relu_forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int) {
    for i in 0..<count { out[i] = max(0, x[i]) }
}

func relu_backward(_ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ out: UnsafePointer<Float>, _ count: Int) {
    for i in 0..<count { dx[i] = out[i] > 0 ? dout[i] : 0 }
}

/// nn.ReLU.
public final class ReLU: Module {
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the output, whose positive entries pass the gradient
    private var output: Tensor?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        let out = workspace.uninitialized(x.shape)
        relu_forward(out.data, x.data, x.count)
        output = records ? out : nil
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, output?.shape, "ReLU")
        let out = output!
        output = nil
        let dx = workspace.uninitialized(dout.shape)
        relu_backward(dx.data, dout.data, out.data, dout.count)
        return dx
    }
}
