// relu: out = max(0, x);  dx = dout where out > 0, else 0. Element-wise, any shape.
// (dx is written, not accumulated: it is a new tensor, and a zeroing pass is saved.)

func relu_forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int) {
    for i in 0..<count { out[i] = max(0, x[i]) }
}

func relu_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ out: UnsafePointer<Float>, _ count: Int
) {
    passWherePositive(dx, dout, out, count)
}

/// dx[i] = g[i] where a * x[i] + b > 0, else 0: a ReLU's gradient, with its input given as an
/// affine map of x (a BatchNorm's output, recomputed). Without a branch, since the signs of
/// activations are as good as random and a branch would mispredict half the time.
func passWherePositive(
    _ dx: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int,
    scale a: Float = 1, shift b: Float = 0
) {
    var i = 0
    while i + 8 <= count {
        let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
        let yi = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) * a + b
        UnsafeMutableRawPointer(dx + i).storeBytes(of: gi.replacing(with: 0, where: .!(yi .> 0)), as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        dx[i] = x[i] * a + b > 0 ? g[i] : 0
        i += 1
    }
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
