/// nn.Sequential: children named "0", "1", ...; forward in order, backward in reverse.
public final class Sequential: Module {
    public let layers: [any Module]
    public var isTraining = true
    public var workspace = Workspace()

    public init(_ layers: [any Module]) {
        self.layers = layers
        share(workspace)
    }

    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try layers.reduce(x) { try $1.forward($0) }
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try layers.reversed().reduce(dout) { try $1.backward($0) }
    }
}
