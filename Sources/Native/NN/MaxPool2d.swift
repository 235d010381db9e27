// ----------------------------------------------------------------------------
// maxpool2d: x (N, C, H, W) -> out (N, C, OH, OW), OH = (H + 2*PAD - K) / S + 1.
// out[n][c][oh][ow] = max of the K x K window at (oh*S - PAD, ow*S - PAD); padding never wins
// (PyTorch pads with -inf). argmax (N, C, OH, OW) keeps the flat index h*W + w of the winner
// inside its plane, so backward scatters dx[n][c][argmax] += dout; a forward that records
// nothing skips it.

func maxpool2d_forward(
    _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>?, _ x: UnsafePointer<Float>,
    _ planes: Int, _ H: Int, _ W: Int, _ OH: Int, _ OW: Int, K: Int, S: Int, PAD: Int
) {
    Engine.parallelFor(planes) { p in
        let src = x + p * H * W
        let dst = out + p * OH * OW, idx = argmax.map { $0 + p * OH * OW }
        for oh in 0..<OH {
            let h0 = max(0, oh * S - PAD), h1 = min(H, oh * S - PAD + K)
            for ow in 0..<OW {
                let w0 = max(0, ow * S - PAD), w1 = min(W, ow * S - PAD + K)
                var best = -Float.infinity
                var at = h0 * W + w0
                // selects, not branches: which value of a window wins is as good as random
                for h in h0..<h1 {
                    for w in w0..<w1 {
                        let v = src[h * W + w], wins = v > best
                        best = wins ? v : best
                        at = wins ? h * W + w : at
                    }
                }
                dst[oh * OW + ow] = best
                idx?[oh * OW + ow] = Int32(at)
            }
        }
    }
}

func maxpool2d_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>,
    _ planes: Int, _ HW: Int, _ OHW: Int
) {
    Engine.parallelFor(planes) { p in
        let d = dx + p * HW, g = dout + p * OHW, idx = argmax + p * OHW
        for i in 0..<OHW { d[Int(idx[i])] += g[i] }
    }
}

/// nn.MaxPool2d(kernel_size, stride, padding), square windows.
public final class MaxPool2d: Module {
    public let kernelSize: Int, stride: Int, padding: Int
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the input's shape, and (N, C, OH, OW) each winner's index within its input
    // plane, as Int32 in a float tensor's block
    private var inputShape: [Int]?
    private var argmax: Tensor?

    public init(kernelSize: Int, stride: Int, padding: Int = 0) throws {
        guard kernelSize > 0, stride > 0, padding >= 0, 2 * padding <= kernelSize else {
            throw NNError("MaxPool2d: need kernel_size > 0, stride > 0 and 0 <= padding <= kernel_size/2, got \(kernelSize), \(stride), \(padding)")
        }
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride, padding)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[2] + 2 * padding >= kernelSize, x.shape[3] + 2 * padding >= kernelSize else {
            throw NNError("MaxPool2d expects (N, C, H, W) at least as large as the \(kernelSize)x\(kernelSize) window, got \(x.shape)")
        }
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let OH = (H + 2 * padding - kernelSize) / stride + 1, OW = (W + 2 * padding - kernelSize) / stride + 1
        let out = workspace.uninitialized([N, C, OH, OW])
        let winners = records ? workspace.uninitialized(out.shape) : nil
        if let winners {
            winners.data.withMemoryRebound(to: Int32.self, capacity: winners.count) {
                maxpool2d_forward(out.data, $0, x.data, N * C, H, W, OH, OW, K: kernelSize, S: stride, PAD: padding)
            }
        } else {
            maxpool2d_forward(out.data, nil, x.data, N * C, H, W, OH, OW, K: kernelSize, S: stride, PAD: padding)
        }
        (inputShape, argmax) = (winners == nil ? nil : x.shape, winners)
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, argmax?.shape, "MaxPool2d")
        let (shape, winners) = (inputShape!, argmax!)
        (inputShape, argmax) = (nil, nil)
        let dx = workspace.zeros(shape)
        winners.data.withMemoryRebound(to: Int32.self, capacity: winners.count) {
            maxpool2d_backward(dx.data, dout.data, $0, shape[0] * shape[1], shape[2] * shape[3], dout.shape[2] * dout.shape[3])
        }
        return dx
    }
}
