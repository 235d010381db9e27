// global average pool: x (N, C, H, W) -> out (N, C), out[n][c] = mean of plane (n, c);
// backward: dx[n][c][h][w] = dout[n][c] / (H*W).

func global_avgpool_forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ planes: Int, _ HW: Int) {
    Engine.parallelFor(planes) { p in out[p] = Float(sumOfFloats(x + p * HW, HW) / Double(HW)) }
}

func global_avgpool_backward(_ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ planes: Int, _ HW: Int)
{
    Engine.parallelFor(planes) { p in (dx + p * HW).update(repeating: dout[p] / Float(HW), count: HW) }
}

/// nn.AdaptiveAvgPool2d(1) followed by flatten: (N, C, H, W) -> (N, C).
public final class GlobalAvgPool: Module {
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the input's shape
    private var inputShape: [Int]?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else { throw NNError("GlobalAvgPool expects (N, C, H, W), got \(x.shape)") }
        let out = workspace.uninitialized([x.shape[0], x.shape[1]])
        global_avgpool_forward(out.data, x.data, out.count, x.shape[2] * x.shape[3])
        inputShape = records ? x.shape : nil
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, inputShape.map { [$0[0], $0[1]] }, "GlobalAvgPool")
        let shape = inputShape!
        inputShape = nil
        let dx = workspace.uninitialized(shape)
        global_avgpool_backward(dx.data, dout.data, dout.count, shape[2] * shape[3])
        return dx
    }
}
