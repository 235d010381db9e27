// ----------------------------------------------------------------------------
// residual basic block with SE: x (N, Cin, H, W) -> out (N, C, H/S, W/S)
//   h = se(bn2(conv2(relu(bn1(conv1(x))))))      conv1 3x3 stride S, conv2 3x3 stride 1
//   shortcut = downsample(x) = bn(conv1x1 stride S (x)) when S != 1 or Cin != C, else x
//   out = relu(h + shortcut)
// Backward: dsum = dout where out > 0; dx = (back through the main path)(dsum) + d shortcut.

/// One residual block; children conv1, bn1, conv2, bn2, se, downsample as in PyTorch.
public final class BasicBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let se: SqueezeExcitation
    public let downsample: Sequential?
    private let relu1 = ReLU()
    public var isTraining = true

    private var output: Tensor?
    private var dsum: Tensor?
    private var dinput: Tensor?

    public init(_ inChannels: Int, _ channels: Int, stride: Int, reduction: Int) throws {
        conv1 = try Conv2d(inChannels, channels, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = try BatchNorm2d(channels)
        conv2 = try Conv2d(channels, channels, kernelSize: 3, stride: 1, padding: 1, bias: false)
        bn2 = try BatchNorm2d(channels)
        se = try SqueezeExcitation(channels: channels, reduction: reduction)
        if stride != 1 || inChannels != channels {
            downsample = Sequential([
                try Conv2d(inChannels, channels, kernelSize: 1, stride: stride, padding: 0, bias: false),
                try BatchNorm2d(channels),
            ])
        } else {
            downsample = nil
        }
    }

    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("se", se)]
            + (downsample.map { [("downsample", $0)] } ?? [])
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let h = try se.forward(bn2.forward(conv2.forward(relu1.forward(bn1.forward(conv1.forward(x))))))
        let shortcut = try downsample?.forward(x) ?? x
        guard shortcut.shape == h.shape else {
            throw NNError("BasicBlock: shortcut \(shortcut.shape) does not match the main path \(h.shape)")
        }
        let out = Tensor.reuse(&output, h.shape)
        let (o, a, b) = (out.data, h.data, shortcut.data)
        for i in 0..<out.count { o[i] = max(0, a[i] + b[i]) }
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, output?.shape, "BasicBlock")
        let d = Tensor.reuse(&dsum, dout.shape)
        relu_backward(d.data, dout.data, output!.data, d.count)
        let dmain = try conv1.backward(bn1.backward(relu1.backward(conv2.backward(bn2.backward(se.backward(d))))))
        let dshortcut = try downsample?.backward(d) ?? d
        let dx = Tensor.reuse(&dinput, dmain.shape)
        let (o, a, b) = (dx.data, dmain.data, dshortcut.data)
        for i in 0..<dx.count { o[i] = a[i] + b[i] }
        return dx
    }
}
