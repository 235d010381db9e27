// Pooling along one axis, as musicnn pools: over all of frequency after each front-end
// convolution, and over all of time before its dense layers.
//
// width max:   x (N, C, H, W) -> out (N, C, H, 1), out[n][c][h] = max_w x[n][c][h][w];
//              backward: dx = dout at the first argmax of each row, 0 elsewhere.
// time pool:   x (N, C, T, 1) -> out (N, 2C), out[n][2c] = max_t x[n][c][t] and
//              out[n][2c + 1] = mean_t x[n][c][t] (TensorFlow's concat of [max, mean] on a last
//              axis of 2, flattened: each channel's max, then its mean);
//              backward: dx[n][c][t] = dout[n][2c] / k at each of the k times that reach the
//              maximum (TensorFlow's reduce_max shares it among ties, which ReLU's zeros make
//              common), plus dout[n][2c + 1] / T.
// (Width max follows TensorFlow's max-pool instead: the first maximum takes the gradient.)

func width_max_forward(
    _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>?, _ x: UnsafePointer<Float>,
    _ rows: Int, _ W: Int
) {
    Engine.parallelFor(rows) { r in
        let row = x + r * W
        var (best, at) = (row[0], 0)
        for w in 1..<W where row[w] > best || (best.isNaN && !row[w].isNaN) { (best, at) = (row[w], w) }
        out[r] = best
        argmax?[r] = Int32(at)
    }
}

func width_max_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>, _ rows: Int,
    _ W: Int
) {
    Engine.parallelFor(rows) { r in
        (dx + r * W).update(repeating: 0, count: W)
        dx[r * W + Int(argmax[r])] = dout[r]
    }
}

func time_pool_forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ planes: Int, _ T: Int) {
    Engine.parallelFor(planes) { p in
        let row = x + p * T
        var best = row[0]
        for t in 1..<T where row[t] > best || (best.isNaN && !row[t].isNaN) { best = row[t] }
        out[2 * p] = best
        out[2 * p + 1] = Float(sumOfFloats(row, T) / Double(T))
    }
}

func time_pool_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    _ out: UnsafePointer<Float>, _ planes: Int, _ T: Int
) {
    Engine.parallelFor(planes) { p in
        let (row, best) = (x + p * T, out[2 * p])
        var ties = 0
        for t in 0..<T where row[t] == best { ties += 1 }
        let share = dout[2 * p + 1] / Float(T)
        let peak = ties > 0 ? dout[2 * p] / Float(ties) : 0
        for t in 0..<T { dx[p * T + t] = row[t] == best ? share + peak : share }
    }
}

/// The maximum over the width axis: (N, C, H, W) -> (N, C, H, 1). musicnn's max-pool over all
/// of frequency (`max_pooling2d(pool_size=[1, W])`).
public final class WidthMax: Module {
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the input's shape and each row's argmax
    private var recorded: (shape: [Int], argmax: [Int32])?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[3] > 0 else { throw NNError("WidthMax expects (N, C, H, W), got \(x.shape)") }
        let rows = x.count / x.shape[3]
        let out = workspace.uninitialized([x.shape[0], x.shape[1], x.shape[2], 1])
        if records {
            var argmax = [Int32](repeating: 0, count: rows)
            argmax.withUnsafeMutableBufferPointer {
                width_max_forward(out.data, $0.baseAddress, x.data, rows, x.shape[3])
            }
            recorded = (x.shape, argmax)
        } else {
            width_max_forward(out.data, nil, x.data, rows, x.shape[3])
        }
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, recorded.map { [$0.shape[0], $0.shape[1], $0.shape[2], 1] }, "WidthMax")
        let (shape, argmax) = recorded!
        recorded = nil
        let dx = workspace.uninitialized(shape)
        argmax.withUnsafeBufferPointer { width_max_backward(dx.data, dout.data, $0.baseAddress!, dout.count, shape[3]) }
        return dx
    }
}

/// Each channel's maximum and mean over time, (N, C, T, 1) -> (N, 2C) as [max, mean] per
/// channel: musicnn's back-end pooling.
public final class TimeMaxMeanPool: Module {
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the input and the output (ties with the maximum share its gradient)
    private var recorded: (input: Tensor, output: Tensor)?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[3] == 1, x.shape[2] > 0 else {
            throw NNError("TimeMaxMeanPool expects (N, C, T, 1), got \(x.shape)")
        }
        let (N, C, T) = (x.shape[0], x.shape[1], x.shape[2])
        let out = workspace.uninitialized([N, 2 * C])
        time_pool_forward(out.data, x.data, N * C, T)
        recorded = records ? (x, out) : nil
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, recorded.map { [$0.input.shape[0], 2 * $0.input.shape[1]] }, "TimeMaxMeanPool")
        let (x, out) = recorded!
        recorded = nil
        let dx = workspace.uninitialized(x.shape)
        time_pool_backward(dx.data, dout.data, x.data, out.data, x.shape[0] * x.shape[1], x.shape[2])
        return dx
    }
}
