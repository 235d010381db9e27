// ----------------------------------------------------------------------------
// residual basic block with SE: x (N, Cin, H, W) -> out (N, C, H/S, W/S)
//   h = se(bn2(conv2(relu(bn1(conv1(x))))))      conv1 3x3 stride S, conv2 3x3 stride 1
//   shortcut = downsample(x) = bn(conv1x1 stride S (x)) when S != 1 or Cin != C, else x
//   out = relu(h + shortcut)                       (in the SE's rescaling pass)
// Backward: dsum = dout where out > 0; dx = (back through the main path)(dsum) + d shortcut.
// bn1 applies the ReLU after it; in evaluation without recording, every BatchNorm folds into
// the convolution before it.

/// One residual block; children conv1, bn1, conv2, bn2, se, downsample as in PyTorch.
public final class BasicBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let se: SqueezeExcitation
    /// Sequential(conv 1x1, bn), as PyTorch names it; `shortcut` holds the same two layers.
    public let downsample: Sequential?
    private let shortcut: (conv: Conv2d, bn: BatchNorm2d)?
    public var isTraining = true
    public var workspace = Workspace()

    // recorded: the output, whose positive entries pass the gradient
    private var output: Tensor?

    public init(_ inChannels: Int, _ channels: Int, stride: Int, reduction: Int) throws {
        conv1 = try Conv2d(inChannels, channels, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = try BatchNorm2d(channels)
        bn1.appliesReLU = true
        conv2 = try Conv2d(channels, channels, kernelSize: 3, stride: 1, padding: 1, bias: false)
        bn2 = try BatchNorm2d(channels)
        se = try SqueezeExcitation(channels: channels, reduction: reduction)
        if stride != 1 || inChannels != channels {
            let s = (
                conv: try Conv2d(inChannels, channels, kernelSize: 1, stride: stride, padding: 0, bias: false),
                bn: try BatchNorm2d(channels)
            )
            shortcut = s
            downsample = Sequential([s.conv, s.bn])
        } else {
            (shortcut, downsample) = (nil, nil)
        }
        share(workspace)
    }

    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("se", se)]
            + (downsample.map { [("downsample", $0)] } ?? [])
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let h = try convBatchNorm(conv2, bn2, convBatchNorm(conv1, bn1, x))
        let s = try shortcut.map { try convBatchNorm($0.conv, $0.bn, x) } ?? x
        guard s.shape == h.shape else {
            throw NNError("BasicBlock: shortcut \(s.shape) does not match the main path \(h.shape)")
        }
        let out = try se.forward(h, residual: s)
        output = records ? out : nil
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, output?.shape, "BasicBlock")
        let out = output!
        output = nil
        let d = workspace.uninitialized(dout.shape)
        forEachChunk(d.count) { r in
            relu_backward(d.data + r.lowerBound, dout.data + r.lowerBound, out.data + r.lowerBound, r.count)
        }
        let dx = try conv1.backward(bn1.backward(conv2.backward(bn2.backward(se.backward(d)))))
        let dshortcut = try downsample?.backward(d) ?? d
        try dx.addInPlace(dshortcut)
        return dx
    }
}

/// bn(conv(x)): through both layers, or, in evaluation with nothing recorded, as one
/// convolution with bn folded into it.
func convBatchNorm(_ conv: Conv2d, _ bn: BatchNorm2d, _ x: Tensor) throws -> Tensor {
    if !bn.isTraining && !conv.records { return try conv.forward(x, folding: bn) }
    return try bn.forward(conv.forward(x))
}
