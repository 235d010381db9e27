// global average pool: x (N, C, H, W) -> out (N, C), out[n][c] = mean of plane (n, c);
// backward: dx[n][c][h][w] += dout[n][c] / (H*W).

func global_avgpool_forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ planes: Int, _ HW: Int) {
    for p in 0..<planes { out[p] = Float(sumOfFloats(x + p * HW, HW) / Double(HW)) }
}

func global_avgpool_backward(_ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ planes: Int, _ HW: Int) {
    for p in 0..<planes {
        let g = dout[p] / Float(HW), d = dx + p * HW
        for i in 0..<HW { d[i] += g }
    }
}

/// nn.AdaptiveAvgPool2d(1) followed by flatten: (N, C, H, W) -> (N, C).
public final class GlobalAvgPool: Module {
    public var isTraining = true
    private var inputShape: [Int]?
    private var output: Tensor?
    private var dinput: Tensor?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else { throw NNError("GlobalAvgPool expects (N, C, H, W), got \(x.shape)") }
        let out = Tensor.reuse(&output, [x.shape[0], x.shape[1]])
        global_avgpool_forward(out.data, x.data, out.count, x.shape[2] * x.shape[3])
        inputShape = x.shape
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, output?.shape, "GlobalAvgPool")
        let shape = inputShape!
        let dx = Tensor.reuse(&dinput, shape)
        dx.zero()
        global_avgpool_backward(dx.data, dout.data, dout.count, shape[2] * shape[3])
        return dx
    }
}
