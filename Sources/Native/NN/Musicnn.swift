// ----------------------------------------------------------------------------
// musicnn (Pons & Serra 2019), the musically motivated CNN of the `musicnn` package, in NCHW
// with H = time (T frames) and W = mel bands (F); x (N, 1, T, F) -> logits (N, classes):
//   h0      = bn0(x)                                            (one channel)
//   timbral = widthmax(bn(relu(conv_(7, 0.4F | 0.7F)(h0))))     time padded 3 + 3, no frequency padding
//   temporal= widthmax(bn(relu(conv_(128 | 64 | 32, 1)(h0))))  TensorFlow's "same" time padding
//   front   = concat(timbral 74, timbral 77, temporal 128, 64, 32)      (N, 561, T, 1)
//   c1      = bn(relu(conv_(7, 1)(front)));  r2 = bn(relu(conv(c1))) + c1;  r3 = bn(relu(conv(r2))) + r2
//   feats   = concat(front, c1, r2, r3)                                 (N, 753, T, 1)
//   pooled  = [max_t, mean_t] per channel                               (N, 1506)
//   penultimate = bn(relu(dense_200(dropout(bn(pooled)))));  logits = dense(dropout(penultimate))
// TensorFlow's layers apply the ReLU inside the convolution and the BatchNorm after it
// (epsilon 1e-3, momentum 0.99: PyTorch's momentum 0.01). The mid-end's convolutions see the
// front end's 561 features as channels with a (7, 1) kernel: the same products as TensorFlow's
// (7, 561) kernel over one channel. Backward runs the same graph in reverse, residual and
// concatenated gradients summed.

/// The sizes of a musicnn; the defaults are the published MSD and MTT networks'.
public struct MusicnnConfig: Sendable, Equatable {
    public var mels = 96
    public var timbralFilters = 204  // int(1.6 * 128)
    public var temporalFilters = 51  // int(1.6 * 32)
    public var midendFilters = 64
    public var backendUnits = 200
    public var classes = 50
    public var dropout = 0.5
    /// Kernel widths of the timbral branches as shares of the mel bands, and heights (frames)
    /// of the temporal ones.
    public var timbralShares = [0.4, 0.7]
    public var temporalLengths = [128, 64, 32]

    public init() {}

    var timbralWidths: [Int] { timbralShares.map { Int($0 * Double(mels)) } }
    var frontendChannels: Int { timbralFilters * timbralShares.count + temporalFilters * temporalLengths.count }
    var featureChannels: Int { frontendChannels + 3 * midendFilters }
}

/// A network in layer groups, input to output, of which the last `trainableGroups` train (nil:
/// all): the others are frozen, their parameters left out of `trainableNamedParameters` (what an
/// optimiser gets) and their BatchNorms on running statistics even in training mode, as a
/// frozen pretrained backbone should be. And its embedding: the features before the head.
public protocol PretrainedBackbone: Module {
    var groups: [(name: String, modules: [any Module])] { get }
    /// How many groups, counted from the head, train (nil: all; beyond the count: all; 0: none).
    var trainableGroups: Int? { get set }
    /// The features the head sees, (N, F), in evaluation mode with nothing recorded.
    func embed(_ x: Tensor) throws -> Tensor
    /// Sets the weights from the original's TensorFlow variables; with `head` false the
    /// classifier keeps its own (a new task's head).
    func load(tensorflow tensors: [String: SafeTensorValue], head: Bool) throws
}

extension PretrainedBackbone {
    /// What an optimiser should update: every parameter of the trainable groups, named.
    public var trainableNamedParameters: [(name: String, parameter: Parameter)] {
        let frozen = Set(frozenModules.flatMap(\.parameters).map(ObjectIdentifier.init))
        return namedParameters().filter { !frozen.contains(ObjectIdentifier($0.parameter)) }
    }

    var frozenModules: [any Module] { groups.prefix(frozenGroups).flatMap(\.modules) }

    /// How many groups, from the input, are frozen: all but the last `trainableGroups` (0 to all).
    var frozenGroups: Int { trainableGroups.map { min(groups.count, max(0, groups.count - $0)) } ?? 0 }

    /// Runs a forward step of group `g`: a frozen group in training mode records nothing (its
    /// backward never runs), so fine-tuning the top of the network costs the bottom's inference
    /// only.
    func step<T>(_ g: Int, _ body: () throws -> T) rethrows -> T {
        guard isTraining, g < frozenGroups else { return try body() }
        return try workspace.withoutRecording(body)
    }

    /// What backward returns once the trainable groups are done: the input gradient is not
    /// computed below a frozen group (nothing below it learns), so it is zeros.
    func frozenInputGradient(_ shape: [Int]?) throws -> Tensor {
        guard let shape else { throw NNError("backward called before forward") }
        return workspace.zeros(shape)
    }

    /// Frozen groups normalise with their running statistics: called at the start of forward.
    func keepFrozenInEvaluation() {
        if isTraining { for module in frozenModules { module.setTraining(false) } }
    }

    /// `features()` after a forward in evaluation mode without recording, the mode restored.
    func embedding(_ x: Tensor, _ features: () -> Tensor?) throws -> Tensor {
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        _ = try workspace.withoutRecording { try forward(x) }
        return features()!
    }
}

public final class Musicnn: PretrainedBackbone {
    public let config: MusicnnConfig
    public let inputNorm: BatchNorm2d
    /// Each front-end branch: Sequential(conv, ReLU, BatchNorm, WidthMax), timbral ones first.
    public let branches: [Sequential]
    /// The mid-end's three layers: Sequential(conv, ReLU, BatchNorm).
    public let midend: [Sequential]
    public let pool = TimeMaxMeanPool()
    public let poolNorm: BatchNorm2d
    public let dense: Linear
    public let denseNorm: BatchNorm2d
    public let classifier: Linear
    private let dropout1: Dropout, dropout2: Dropout
    private let relu = ReLU()
    public var isTraining = true
    public var workspace = Workspace()

    public init(_ config: MusicnnConfig = MusicnnConfig()) throws {
        let c = config
        guard c.mels > 0, c.timbralFilters > 0, c.temporalFilters > 0, c.midendFilters > 0, c.backendUnits > 0,
            c.classes > 0, c.timbralWidths.allSatisfy({ (1...c.mels).contains($0) }),
            c.temporalLengths.allSatisfy({ $0 > 0 })
        else {
            throw NNError("musicnn: every size must be positive and each timbral kernel at most \(c.mels) bands wide")
        }
        self.config = c
        func bn(_ channels: Int) throws -> BatchNorm2d { try BatchNorm2d(channels, eps: 1e-3, momentum: 0.01) }
        inputNorm = try bn(1)
        var branches: [Sequential] = []
        for width in c.timbralWidths {
            let conv = try Conv2d(1, c.timbralFilters, kernel: (7, width), pad: (3, 3, 0, 0))
            branches.append(Sequential([conv, ReLU(), try bn(c.timbralFilters), WidthMax()]))
        }
        for length in c.temporalLengths {
            let above = (length - 1) / 2
            let conv = try Conv2d(1, c.temporalFilters, kernel: (length, 1), pad: (above, length - 1 - above, 0, 0))
            branches.append(Sequential([conv, ReLU(), try bn(c.temporalFilters), WidthMax()]))
        }
        self.branches = branches
        midend = try [c.frontendChannels, c.midendFilters, c.midendFilters].map { inChannels in
            Sequential([
                try Conv2d(inChannels, c.midendFilters, kernel: (7, 1), pad: (3, 3, 0, 0)), ReLU(),
                try bn(c.midendFilters),
            ])
        }
        poolNorm = try bn(2 * c.featureChannels)
        dropout1 = try Dropout(c.dropout)
        dense = try Linear(2 * c.featureChannels, c.backendUnits)
        denseNorm = try bn(c.backendUnits)
        dropout2 = try Dropout(c.dropout)
        classifier = try Linear(c.backendUnits, c.classes)
        share(workspace)
    }

    public var children: [(name: String, module: any Module)] {
        [("input_norm", inputNorm)]
            + branches.enumerated().map { ("frontend\($0.offset)", $0.element) }
            + midend.enumerated().map { ("midend\($0.offset + 1)", $0.element) }
            + [
                ("pool", pool), ("pool_norm", poolNorm), ("dropout1", dropout1), ("dense", dense), ("relu", relu),
                ("dense_norm", denseNorm), ("dropout2", dropout2), ("classifier", classifier),
            ]
    }

    /// The network's layers in groups, input to output: input norm, front end, the three
    /// mid-end layers, back end (pool norm, dropout, dense, dense norm), head (dropout, classifier).
    public var groups: [(name: String, modules: [any Module])] {
        [("input_norm", [inputNorm]), ("frontend", branches)]
            + midend.enumerated().map { ("midend\($0.offset + 1)", [$0.element]) }
            + [("backend", [poolNorm, dropout1, dense, denseNorm]), ("head", [dropout2, classifier])]
    }

    public var trainableGroups: Int?

    /// The penultimate features (N, backendUnits) of the last `forward`, or of `embed`.
    public private(set) var penultimate: Tensor?
    private var inputShape: [Int]?

    /// Logits (N, classes) of x (N, 1, T, mels): TensorFlow's (N, T, mels) with a channel axis.
    public func forward(_ x: Tensor) throws -> Tensor {
        try checkImage(x, channels: 1, "musicnn")
        guard x.shape[3] == config.mels else {
            throw NNError("musicnn expects \(config.mels) mel bands in the last axis, got \(x.shape)")
        }
        keepFrozenInEvaluation()
        inputShape = x.shape
        let h0 = try step(0) { try inputNorm.forward(x) }
        let front = try step(1) { try concatChannels(branches.map { try $0.forward(h0) }) }
        // the residual sums in place: a mid-end layer's output (its BatchNorm's) is recorded by no one
        let c1 = try step(2) { try midend[0].forward(front) }
        let r2 = try step(3) { try midend[1].forward(c1) }
        try r2.addInPlace(c1)
        let r3 = try step(4) { try midend[2].forward(r2) }
        try r3.addInPlace(r2)
        let features = try step(5) {
            let pooled = try pool.forward(concatChannels([front, c1, r2, r3]))
            let n = pooled.shape[0]
            let normed = try poolNorm.forward(pooled.reshaped([n, -1, 1, 1])).reshaped([n, -1])
            let hidden = try relu.forward(dense.forward(dropout1.forward(normed)))
            return try denseNorm.forward(hidden.reshaped([n, -1, 1, 1])).reshaped([n, -1])
        }
        penultimate = features
        return try step(6) { try classifier.forward(dropout2.forward(features)) }
    }

    public func backward(_ dlogits: Tensor) throws -> Tensor {
        // Backward stops below the lowest trainable group (`frozenGroups`).
        let (n, frozen) = (dlogits.shape[0], frozenGroups)
        if frozen > 6 { return try frozenInputGradient(inputShape) }
        let dfeatures = try dropout2.backward(classifier.backward(dlogits))
        if frozen > 5 { return try frozenInputGradient(inputShape) }
        let dhidden = try denseNorm.backward(dfeatures.reshaped([n, -1, 1, 1])).reshaped([n, -1])
        let dnormed = try dropout1.backward(dense.backward(relu.backward(dhidden)))
        let dpooled = try poolNorm.backward(dnormed.reshaped([n, -1, 1, 1])).reshaped([n, -1])
        if frozen > 4 { return try frozenInputGradient(inputShape) }
        let parts = try splitChannels(
            pool.backward(dpooled),
            [config.frontendChannels, config.midendFilters, config.midendFilters, config.midendFilters])
        // r3 = m3(r2) + r2, r2 = m2(c1) + c1, c1 = m1(front): each sum passes its gradient to both terms
        // (the split parts are this pass's own copies: the sums go into them)
        let (dfront, dc1, dr2, dr3) = (parts[0], parts[1], parts[2], parts[3])
        let dm3 = try midend[2].backward(dr3)
        if frozen > 3 { return try frozenInputGradient(inputShape) }
        try dr2.addInPlace(dr3)
        try dr2.addInPlace(dm3)
        let dm2 = try midend[1].backward(dr2)
        if frozen > 2 { return try frozenInputGradient(inputShape) }
        try dc1.addInPlace(dr2)
        try dc1.addInPlace(dm2)
        let dm1 = try midend[0].backward(dc1)
        if frozen > 1 { return try frozenInputGradient(inputShape) }
        try dfront.addInPlace(dm1)
        let dbranches = try splitChannels(dfront, branches.map(channels(of:)))
        let dh0 = try branches[0].backward(dbranches[0])
        for (branch, d) in zip(branches, dbranches).dropFirst() { try dh0.addInPlace(branch.backward(d)) }
        if frozen > 0 { return try frozenInputGradient(inputShape) }
        return try inputNorm.backward(dh0)
    }

    /// The penultimate features (N, backendUnits) for x, in evaluation mode with nothing
    /// recorded: the embedding a classifier of another task starts from.
    public func embed(_ x: Tensor) throws -> Tensor { try embedding(x) { penultimate } }

    /// Sets the weights from musicnn's TensorFlow variables (`MusicnnWeights.load`): layers in
    /// the order TensorFlow numbered them (conv2d, conv2d_1, ...; batch_normalization, _1, ...;
    /// dense, dense_1), convolution kernels from (height, width, in, out), dense kernels from
    /// (in, out). With `head` false the classifier keeps its own weights (a new task's head).
    public func load(tensorflow tensors: [String: SafeTensorValue], head: Bool = true) throws {
        let tf = TensorFlowLayers(tensors)
        try tf.norm(inputNorm, "batch_normalization")
        for (i, branch) in branches.enumerated() {
            try tf.conv(branch.layers[0] as! Conv2d, i == 0 ? "conv2d" : "conv2d_\(i)")
            try tf.norm(branch.layers[2] as! BatchNorm2d, "batch_normalization_\(i + 1)")
        }
        for (j, layer) in midend.enumerated() {
            try tf.conv(layer.layers[0] as! Conv2d, "conv2d_\(branches.count + j)", channelsAsWidth: true)
            try tf.norm(layer.layers[2] as! BatchNorm2d, "batch_normalization_\(branches.count + 1 + j)")
        }
        try tf.norm(poolNorm, "batch_normalization_\(branches.count + midend.count + 1)")
        try tf.linear(dense, "dense")
        try tf.norm(denseNorm, "batch_normalization_\(branches.count + midend.count + 2)")
        if head { try tf.linear(classifier, "dense_1") }
    }

    private func channels(of branch: Sequential) -> Int { (branch.layers[0] as! Conv2d).outChannels }

    /// Tensors (N, C_i, H, W) side by side along channels: (N, sum C_i, H, W).
    private func concatChannels(_ parts: [Tensor]) throws -> Tensor {
        let (N, H, W) = (parts[0].shape[0], parts[0].shape[2], parts[0].shape[3])
        for p in parts where p.rank != 4 || p.shape[0] != N || p.shape[2] != H || p.shape[3] != W {
            throw NNError("musicnn: cannot join \(p.shape) to (\(N), _, \(H), \(W)) along channels")
        }
        let total = parts.reduce(0) { $0 + $1.shape[1] }
        let out = workspace.uninitialized([N, total, H, W])
        let plane = H * W
        for n in 0..<N {
            var at = n * total * plane
            for p in parts {
                let size = p.shape[1] * plane
                (out.data + at).update(from: p.data + n * size, count: size)
                at += size
            }
        }
        return out
    }

    /// The inverse of `concatChannels`: (N, sum C_i, H, W) into copies of sizes `sizes`.
    private func splitChannels(_ t: Tensor, _ sizes: [Int]) throws -> [Tensor] {
        let (N, total, H, W) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        guard sizes.reduce(0, +) == total else { throw NNError("musicnn: cannot split \(t.shape) into \(sizes)") }
        let plane = H * W
        var offset = 0
        return sizes.map { c in
            let part = workspace.uninitialized([N, c, H, W])
            for n in 0..<N {
                (part.data + n * c * plane).update(from: t.data + (n * total + offset) * plane, count: c * plane)
            }
            offset += c
            return part
        }
    }
}

/// Reads TensorFlow layers' variables (tf.compat.v1.layers names) into the native layers.
struct TensorFlowLayers {
    let tensors: [String: SafeTensorValue]

    init(_ tensors: [String: SafeTensorValue]) { self.tensors = tensors }

    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        guard case .f32(let t) = tensors[name] else { throw NNError("musicnn weights: '\(name)' is missing") }
        guard t.shape == shape else {
            throw NNError("musicnn weights: '\(name)' has shape \(t.shape), this network needs \(shape)")
        }
        return t
    }

    /// gamma, beta, moving_mean, moving_variance.
    func norm(_ bn: BatchNorm2d, _ name: String) throws {
        let c = bn.channels
        try bn.weight.value.assign(tensor(name + "/gamma", [c]))
        try bn.bias.value.assign(tensor(name + "/beta", [c]))
        try bn.runningMean.assign(tensor(name + "/moving_mean", [c]))
        try bn.runningVar.assign(tensor(name + "/moving_variance", [c]))
    }

    /// A kernel (KH, KW, in, out) into (out, in, KH, KW); with `channelsAsWidth`, TensorFlow's
    /// (KH, C, 1, out) over one channel whose width is our C channels, into (out, C, KH, 1).
    func conv(_ layer: Conv2d, _ name: String, channelsAsWidth: Bool = false) throws {
        let (O, C, KH, KW) = (layer.outChannels, layer.inChannels, layer.kernel.height, layer.kernel.width)
        let k = try tensor(name + "/kernel", channelsAsWidth ? [KH, C, 1, O] : [KH, KW, C, O])
        let w = layer.weight.value
        for o in 0..<O {
            for c in 0..<C {
                for kh in 0..<KH {
                    for kw in 0..<KW {
                        let from = channelsAsWidth ? (kh * C + c) * O + o : ((kh * KW + kw) * C + c) * O + o
                        w[((o * C + c) * KH + kh) * KW + kw] = k[from]
                    }
                }
            }
        }
        try layer.bias?.value.assign(tensor(name + "/bias", [O]))
    }

    /// A dense kernel (in, out) into (out, in); with `flattened` (C, H, W), the input as
    /// TensorFlow flattened it, (H, W, C), reordered to ours, (C, H, W).
    func linear(_ layer: Linear, _ name: String, flattened: (c: Int, h: Int, w: Int)? = nil) throws {
        let (I, O) = (layer.inFeatures, layer.outFeatures)
        let k = try tensor(name + "/kernel", [I, O])
        for o in 0..<O {
            for i in 0..<I {
                var from = i
                if let f = flattened {
                    let (c, h, w) = (i / (f.h * f.w), (i / f.w) % f.h, i % f.w)
                    from = (h * f.w + w) * f.c + c
                }
                layer.weight.value[o * I + i] = k[from * O + o]
            }
        }
        try layer.bias?.value.assign(tensor(name + "/bias", [O]))
    }
}
