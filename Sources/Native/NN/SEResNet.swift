/// The sizes of an SE-ResNet; the defaults are the reference model (~11.2 M parameters).
public struct SEResNetConfig: Sendable, Equatable, Codable {
    public var widths: [Int] = [64, 128, 256, 512]
    public var blocks: [Int] = [2, 2, 2, 2]
    public var reduction = 16
    public var classes = 10
    public var dropout = 0.5
    public var inChannels = 1

    public init(
        widths: [Int] = [64, 128, 256, 512], blocks: [Int] = [2, 2, 2, 2], reduction: Int = 16,
        classes: Int = 10, dropout: Double = 0.5, inChannels: Int = 1
    ) {
        (self.widths, self.blocks, self.reduction, self.classes, self.dropout, self.inChannels) =
            (widths, blocks, reduction, classes, dropout, inChannels)
    }
}

/// SE-ResNet for spectrograms: conv 7x7/2 - BN - ReLU - maxpool 3x3/2, then one stage of
/// BasicBlocks per width (stride 2 from the second stage on), global average pool, dropout,
/// linear. Input (N, inChannels, H, W), output logits (N, classes). Parameter names are those
/// of the PyTorch module tree in DESIGN.md.
public final class SEResNet: Module {
    public let config: SEResNetConfig
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let stages: [Sequential]
    public let fc: Linear
    private let maxpool: MaxPool2d
    private let avgpool = GlobalAvgPool()
    private let dropout: Dropout
    public var isTraining = true
    public var workspace = Workspace()

    public init(_ config: SEResNetConfig = SEResNetConfig()) throws {
        let c = config
        guard !c.widths.isEmpty, c.widths.count == c.blocks.count, c.widths.allSatisfy({ $0 > 0 }),
            c.blocks.allSatisfy({ $0 > 0 }), c.classes > 0, c.inChannels > 0, c.reduction > 0
        else {
            throw NNError(
                "SEResNet: widths and blocks need the same positive length and positive entries; classes, in_channels and reduction must be positive (got widths \(c.widths), blocks \(c.blocks), classes \(c.classes), in_channels \(c.inChannels), reduction \(c.reduction))"
            )
        }
        self.config = c
        conv1 = try Conv2d(c.inChannels, c.widths[0], kernelSize: 7, stride: 2, padding: 3, bias: false)
        conv1.computesInputGradient = false
        bn1 = try BatchNorm2d(c.widths[0])
        bn1.appliesReLU = true  // PyTorch's self.relu, in bn1's passes
        maxpool = try MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        var stages: [Sequential] = []
        var inC = c.widths[0]
        for (i, (width, count)) in zip(c.widths, c.blocks).enumerated() {
            var blocks: [any Module] = []
            for b in 0..<count {
                blocks.append(try BasicBlock(inC, width, stride: i > 0 && b == 0 ? 2 : 1, reduction: c.reduction))
                inC = width
            }
            stages.append(Sequential(blocks))
        }
        self.stages = stages
        dropout = try Dropout(c.dropout)
        fc = try Linear(inC, c.classes)
        share(workspace)
    }

    /// Whether `backward` computes d(loss)/d(input); off by default, as training never needs it.
    public var computesInputGradient: Bool {
        get { conv1.computesInputGradient }
        set { conv1.computesInputGradient = newValue }
    }

    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("maxpool", maxpool)]
            + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
            + [("avgpool", avgpool), ("dropout", dropout), ("fc", fc)]
    }

    /// Logits (N, classes).
    public func forward(_ x: Tensor) throws -> Tensor {
        try checkImage(x, channels: config.inChannels, "SEResNet")
        var h = try maxpool.forward(convBatchNorm(conv1, bn1, x))
        for stage in stages { h = try stage.forward(h) }
        return try fc.forward(dropout.forward(avgpool.forward(h)))
    }

    /// Backward from d(loss)/d(logits); returns d(loss)/d(input) when `computesInputGradient`.
    public func backward(_ dlogits: Tensor) throws -> Tensor {
        var d = try avgpool.backward(dropout.backward(fc.backward(dlogits)))
        for stage in stages.reversed() { d = try stage.backward(d) }
        return try conv1.backward(bn1.backward(maxpool.backward(d)))
    }
}
