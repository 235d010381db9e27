import Foundation

/// nn.Conv2d(in, out, kernel, stride, padding, bias), kernels square or not, padding the same
/// on every side or given per side (top, bottom, left, right: TensorFlow's "same" padding of an
/// even kernel puts the extra row below, which PyTorch's symmetric padding cannot say).
/// The forward algorithm of a convolution: `direct` (im2col or shifted matrix products),
/// `winograd` (F(2x2, 3x3), where the layer is a stride-1 3x3 "same" one; direct elsewhere), or
/// `auto`, which picks per layer (`WinogradPlan.pays`).
public enum ConvAlgorithm: String, Sendable, CaseIterable {
    case auto, direct, winograd

    /// What a new layer takes: `auto`, or the environment's `MASHUP_CONV` (direct, winograd),
    /// for comparisons, as `MASHUP_KERNELS=generic` is for the FFT. The programs refuse a value
    /// that names none (`CodePaths.environmentError`), so an unknown one never passes for `auto`
    /// unseen.
    public static let initial: ConvAlgorithm = {
        guard let forced = ProcessInfo.processInfo.environment["MASHUP_CONV"] else { return .auto }
        return ConvAlgorithm(rawValue: forced) ?? .auto
    }()

    /// What is wrong with the environment's `MASHUP_CONV`, nil when it is unset or valid.
    public static var environmentError: String? {
        guard let forced = ProcessInfo.processInfo.environment["MASHUP_CONV"], ConvAlgorithm(rawValue: forced) == nil
        else { return nil }
        return "MASHUP_CONV: 'auto', 'direct' or 'winograd' expected, got '\(forced)'"
    }
}

public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int, stride: Int
    /// Kernel height and width.
    public let kernel: (height: Int, width: Int)
    /// Zero rows above and below, zero columns left and right.
    public let pad: (top: Int, bottom: Int, left: Int, right: Int)
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    public var workspace = Workspace()
    /// False skips d(loss)/d(input) (col2im and one matrix product) for a network's first layer.
    public var computesInputGradient = true
    /// How the layer convolves: `auto` takes Winograd F(2x2, 3x3) where `WinogradPlan.pays` says
    /// it is faster (stride-1 3x3 "same" layers wide and large enough), forward and gradients
    /// alike, and the direct path elsewhere.
    public var algorithm = ConvAlgorithm.initial

    /// The side of a square kernel (its height otherwise) and the padding above it.
    public var kernelSize: Int { kernel.height }
    public var padding: Int { pad.top }
    /// Whether kernel and padding are square and even, as PyTorch's Conv2d(k, padding=p) has them.
    public var isSquare: Bool {
        kernel.height == kernel.width && pad.top == pad.bottom && pad.left == pad.right && pad.top == pad.left
    }

    // recorded: the input (dweight needs it)
    private var input: Tensor?
    // evaluation's Winograd-transformed kernels and the hash of the weights they came from
    private var transformed: (hash: UInt64, u: Tensor)?

    public convenience init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true
    ) throws {
        try self.init(
            inChannels, outChannels, kernel: (kernelSize, kernelSize), stride: stride,
            pad: (padding, padding, padding, padding), bias: bias)
    }

    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: (height: Int, width: Int), stride: Int = 1,
        pad: (top: Int, bottom: Int, left: Int, right: Int) = (0, 0, 0, 0), bias: Bool = true
    ) throws {
        guard inChannels > 0, outChannels > 0, kernel.height > 0, kernel.width > 0, stride > 0,
            min(pad.top, pad.bottom, pad.left, pad.right) >= 0
        else {
            let square =
                kernel.height == kernel.width && [pad.bottom, pad.left, pad.right].allSatisfy { $0 == pad.top }
            let k = square ? "\(kernel.height)" : "\(kernel.height)x\(kernel.width)"
            let p = square ? "\(pad.top)" : "(\(pad.top), \(pad.bottom), \(pad.left), \(pad.right))"
            throw NNError(
                "Conv2d: channels, kernel_size and stride must be positive and padding >= 0, got in \(inChannels), out \(outChannels), kernel \(k), stride \(stride), padding \(p)"
            )
        }
        (self.inChannels, self.outChannels, self.kernel, self.stride, self.pad) =
            (inChannels, outChannels, kernel, stride, pad)
        let side = kernel.height == kernel.width ? "\(kernel.height)" : "\(kernel.height)x\(kernel.width)"
        let name = "Conv2d(\(inChannels), \(outChannels), \(side))"
        weight = Parameter(
            try Tensor(checkedShape: [outChannels, inChannels, kernel.height, kernel.width], for: "\(name) weight"))
        let fanIn = inChannels * kernel.height * kernel.width
        initUniform(weight.value, fanIn: fanIn)
        if bias {
            self.bias = Parameter(Tensor(shape: [outChannels]))
            initUniform(self.bias!.value, fanIn: fanIn)
        } else {
            self.bias = nil
        }
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    private func geometry(_ x: Tensor) throws -> ConvGeometry {
        try checkImage(x, channels: inChannels, "Conv2d")
        let (H, W) = (x.shape[2], x.shape[3])
        guard H + pad.top + pad.bottom >= kernel.height, W + pad.left + pad.right >= kernel.width else {
            throw NNError(
                "Conv2d: input \(x.shape) is smaller than the \(kernel.height)x\(kernel.width) kernel with padding \(isSquare ? "\(padding)" : "(\(pad.top), \(pad.bottom), \(pad.left), \(pad.right))")"
            )
        }
        return ConvGeometry(
            C: inChannels, H: H, W: W, OC: outChannels, KH: kernel.height, KW: kernel.width, S: stride, PT: pad.top,
            PB: pad.bottom, PL: pad.left, PR: pad.right)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try convolve(x, weight.value.data, bias?.value.data, relu: false)
    }

    /// bn(conv(x)), and the ReLU when `bn.appliesReLU`, as one convolution whose weights and bias
    /// carry bn's running statistics: weight' = scale * weight, bias' = scale * bias + shift per
    /// output channel. Evaluation only, with nothing recorded (see `Workspace.withoutRecording`).
    func forward(_ x: Tensor, folding bn: BatchNorm2d) throws -> Tensor {
        precondition(
            !bn.isTraining && !records, "a BatchNorm folds into its convolution only in evaluation without recording")
        bn.forgetRecorded()
        let (scale, shift) = bn.runningAffine()
        let CKK = inChannels * kernel.height * kernel.width
        let w = workspace.uninitialized(weight.value.shape)
        let b = workspace.uninitialized([outChannels])
        let (weights, biases) = (weight.value, bias?.value)
        Engine.parallelFor(outChannels) { oc in
            for k in 0..<CKK { w[oc * CKK + k] = Float(Double(weights[oc * CKK + k]) * scale[oc]) }
            b[oc] = Float(Double(biases?[oc] ?? 0) * scale[oc] + shift[oc])
        }
        return try convolve(x, w.data, b.data, relu: bn.appliesReLU)
    }

    private func convolve(_ x: Tensor, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, relu: Bool) throws
        -> Tensor
    {
        let g = try geometry(x)
        let n = x.shape[0]
        let out = workspace.uninitialized([n, outChannels, g.OH, g.OW])
        if usesWinograd(g) {
            winograd(out, x, w, b, g, relu: relu)
        } else {
            let workers = convWorkers(n, g)
            workspace.withScratch(g.forwardScratch(images: n, workers: workers)) {
                conv2d_forward(out.data, x.data, w, b, n, g, $0, workers: workers, relu: relu)
            }
        }
        input = records ? x : nil
        return out
    }

    /// Whether geometry g goes by Winograd (`algorithm`; under `auto` by the measured rule), its
    /// forward and its gradients alike.
    private func usesWinograd(_ g: ConvGeometry) -> Bool {
        switch algorithm {
        case .winograd: WinogradPlan.applies(g)
        case .direct: false
        case .auto: WinogradPlan.pays(g)
        }
    }

    /// out = conv(x, w) + b by Winograd F(2x2, 3x3), for the images of x. In evaluation the
    /// transformed kernels are kept, with a hash of the weights they came from, and reused while
    /// the weights (or the BatchNorm folded into them) stay the same: inference transforms once.
    private func winograd(
        _ out: Tensor, _ x: Tensor, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, _ g: ConvGeometry,
        relu: Bool
    ) {
        let plan = WinogradPlan(g)
        let n = x.shape[0]
        let workers = plan.forwardWorkers(images: n, threads: Engine.threads)
        var u: Tensor
        if isTraining {
            u = workspace.uninitialized([plan.transformedCount])
            winograd_weights(u.data, w, g.OC, g.C)
        } else {
            let hash = weightsHash(w, g.OC * g.C * 9)
            if let kept = transformed, kept.hash == hash, kept.u.count == plan.transformedCount {
                u = kept.u
            } else {
                u = Tensor(shape: [plan.transformedCount])
                winograd_weights(u.data, w, g.OC, g.C)
                transformed = (hash, u)
            }
        }
        workspace.withScratch(plan.forwardScratch(workers: workers)) {
            conv2d_forward_winograd(
                out.data, x.data, transformed: u.data, b, n, plan, $0, workers: workers, relu: relu)
        }
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        guard let x = input else { throw NNError("Conv2d.backward called before forward") }
        let g = try geometry(x)
        try checkGradient(dout, [x.shape[0], outChannels, g.OH, g.OW], "Conv2d")
        input = nil
        let n = x.shape[0]
        // A stride-1 3x3 "same" convolution's input gradient is the same kind of convolution of
        // dout, by the kernels turned 180 degrees with in and out swapped: by Winograd too.
        let winogradInput = computesInputGradient && usesWinograd(g)
        let dx = winogradInput ? workspace.uninitialized(x.shape) : workspace.zeros(x.shape)
        if winogradInput {
            let turned = workspace.uninitialized([inChannels, outChannels, 3, 3])
            let (wt, wv, C, OC) = (turned.data, weight.value.data, inChannels, outChannels)
            Engine.parallelFor(C) { c in
                for oc in 0..<OC {
                    for t in 0..<9 { wt[(c * OC + oc) * 9 + t] = wv[(oc * C + c) * 9 + 8 - t] }
                }
            }
            let transposed = ConvGeometry(C: OC, H: g.H, W: g.W, OC: C, K: 3, S: 1, PAD: 1)
            winograd(dx, dout, turned.data, nil, transposed, relu: false)
        }
        if usesWinograd(g) {
            // The weight gradient by Winograd too; the bias gradient is dout's sum per channel.
            let plan = WinogradPlan(g)
            let workers = max(1, min(Engine.threads, plan.gradientShards(images: n).count))
            workspace.withScratch(plan.weightGradientScratch(images: n, workers: workers)) {
                conv2d_weight_gradient_winograd(weight.grad.data, dout.data, x.data, n, plan, $0, workers: workers)
            }
            if let bias {
                let (db, d, OC, P) = (bias.grad.data, dout.data, outChannels, g.P)
                Engine.parallelFor(OC) { oc in
                    var sum = 0.0
                    for image in 0..<n { sum += sumOfFloats(d + (image * OC + oc) * P, P) }
                    db[oc] += Float(sum)
                }
            }
        } else {
            let workers = convWorkers(n, g, backward: true)
            workspace.withScratch(g.backwardScratch(images: n, workers: workers)) {
                conv2d_backward(
                    computesInputGradient ? dx.data : nil, weight.grad.data, bias?.grad.data, dout.data, x.data,
                    weight.value.data, n, g, $0, workers: workers)
            }
        }
        try workspace.gradientsReady(weight.grad)
        if let bias { try workspace.gradientsReady(bias.grad) }
        return dx
    }
}
