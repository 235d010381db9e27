// ----------------------------------------------------------------------------
// The VGG-like network of the `musicnn` package (MSD_vgg, MTT_vgg), NCHW with H = time, W = mel:
//   x (N, 1, T, F) -> bn -> 5 x [conv 3x3 "same" (ReLU inside), bn, max-pool, dropout 0.25]
//   pools: 4x1 every 2x2, then 2x2, 2x2, 2x2, then 4x4 every 4x4 (TensorFlow's "valid")
//   -> flatten (pool5, (128, 2, 1) for 187 x 96) -> dropout 0.5 -> dense -> logits
// (no dropout after the fifth pool but the one before the dense layer). The embedding is the
// flattened pool5, 256 features for a 3 s patch.

/// The sizes of musicnn's VGG; the defaults are the published networks'.
public struct MusicnnVGGConfig: Sendable, Equatable {
    public var mels = 96
    public var frames = 187
    public var filters = 128
    public var classes = 50
    public var dropout = 0.25
    public var headDropout = 0.5

    public init() {}

    static let pools: [(window: (Int, Int), stride: (Int, Int))] = [
        ((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4)),
    ]

    /// (height, width) of pool5 for a frames x mels input, nil when a pool would not fit.
    var pooledSize: (h: Int, w: Int)? {
        var (h, w) = (frames, mels)
        for p in Self.pools {
            guard h >= p.window.0, w >= p.window.1 else { return nil }
            (h, w) = ((h - p.window.0) / p.stride.0 + 1, (w - p.window.1) / p.stride.1 + 1)
        }
        return (h, w)
    }
}

public final class MusicnnVGG: PretrainedBackbone {
    public let config: MusicnnVGGConfig
    public let inputNorm: BatchNorm2d
    /// Each block: Sequential(conv, ReLU, BatchNorm, MaxPool2d[, Dropout]).
    public let blocks: [Sequential]
    public let classifier: Linear
    private let headDropout: Dropout
    private let pooled: (c: Int, h: Int, w: Int)
    public var isTraining = true
    public var workspace = Workspace()
    public var trainableGroups: Int?
    /// The flattened pool5 of the last forward.
    public private(set) var features: Tensor?

    public init(_ config: MusicnnVGGConfig = MusicnnVGGConfig()) throws {
        guard config.filters > 0, config.classes > 0, let size = config.pooledSize else {
            throw NNError(
                "musicnn vgg: filters and classes must be positive and the input (\(config.frames) frames x \(config.mels) bands) at least 91 x 61 for its five pools"
            )
        }
        self.config = config
        func bn(_ channels: Int) throws -> BatchNorm2d { try BatchNorm2d(channels, eps: 1e-3, momentum: 0.01) }
        inputNorm = try bn(1)
        blocks = try MusicnnVGGConfig.pools.enumerated().map { i, pool in
            var layers: [any Module] = [
                try Conv2d(i == 0 ? 1 : config.filters, config.filters, kernelSize: 3, padding: 1), ReLU(),
                try bn(config.filters), try MaxPool2d(window: pool.window, stride: pool.stride),
            ]
            if i < 4 { layers.append(try Dropout(config.dropout)) }
            return Sequential(layers)
        }
        pooled = (config.filters, size.h, size.w)
        headDropout = try Dropout(config.headDropout)
        classifier = try Linear(pooled.c * pooled.h * pooled.w, config.classes)
        share(workspace)
    }

    public var children: [(name: String, module: any Module)] {
        [("input_norm", inputNorm)] + blocks.enumerated().map { ("block\($0.offset + 1)", $0.element) }
            + [("dropout", headDropout), ("classifier", classifier)]
    }

    private var inputShape: [Int]?

    public var groups: [(name: String, modules: [any Module])] {
        [("input_norm", [inputNorm])] + blocks.enumerated().map { ("block\($0.offset + 1)", [$0.element]) }
            + [("head", [headDropout, classifier])]
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try checkImage(x, channels: 1, "musicnn vgg")
        guard x.shape[2] == config.frames, x.shape[3] == config.mels else {
            throw NNError("musicnn vgg expects (N, 1, \(config.frames), \(config.mels)), got \(x.shape)")
        }
        keepFrozenInEvaluation()
        inputShape = x.shape
        var h = try step(0) { try inputNorm.forward(x) }
        for (i, block) in blocks.enumerated() { h = try step(i + 1) { try block.forward(h) } }
        let flat = try h.reshaped([x.shape[0], -1])
        features = flat
        return try step(blocks.count + 1) { try classifier.forward(headDropout.forward(flat)) }
    }

    public func backward(_ dlogits: Tensor) throws -> Tensor {
        // Backward stops below the lowest trainable group (`frozenGroups`).
        let (n, frozen) = (dlogits.shape[0], frozenGroups)
        if frozen > blocks.count + 1 { return try frozenInputGradient(inputShape) }
        var d = try headDropout.backward(classifier.backward(dlogits)).reshaped([n, pooled.c, pooled.h, pooled.w])
        for (i, block) in blocks.enumerated().reversed() {
            if frozen > i + 1 { return try frozenInputGradient(inputShape) }
            d = try block.backward(d)
        }
        if frozen > 0 { return try frozenInputGradient(inputShape) }
        return try inputNorm.backward(d)
    }

    public func embed(_ x: Tensor) throws -> Tensor { try embedding(x) { features } }

    /// Sets the weights from the TensorFlow variables of MSD_vgg / MTT_vgg: `1CNN` ... `5CNN`,
    /// `batch_normalization` ... `_5`, `dense` (its input flattened as TensorFlow's (H, W, C)).
    public func load(tensorflow tensors: [String: SafeTensorValue], head: Bool = true) throws {
        let tf = TensorFlowLayers(tensors)
        try tf.norm(inputNorm, "batch_normalization")
        for (i, block) in blocks.enumerated() {
            try tf.conv(block.layers[0] as! Conv2d, "\(i + 1)CNN")
            try tf.norm(block.layers[2] as! BatchNorm2d, "batch_normalization_\(i + 1)")
        }
        if head { try tf.linear(classifier, "dense", flattened: pooled) }
    }
}
