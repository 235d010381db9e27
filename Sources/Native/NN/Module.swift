/// A learnable tensor and the gradient that `backward` accumulates into it.
public final class Parameter {
    public let value: Tensor
    public let grad: Tensor

    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(shape: value.shape)
    }
}

extension [Parameter] {
    /// Clears every gradient; backward passes only add. A network's and an optimiser's
    /// `zeroGrad` are this, as PyTorch offers both.
    public func zeroGradients() {
        for p in self { p.grad.zero() }
    }
}

/// A counter kept as a state-dict entry (BatchNorm's `num_batches_tracked`, an I64 on disk).
public final class Counter {
    public var value: Int64 = 0
}

/// One entry of a state dict: a float tensor (parameter or running statistic) or a counter.
public enum StateEntry {
    case tensor(Tensor)
    case counter(Counter)

    public var shape: [Int] {
        switch self {
        case .tensor(let t): return t.shape
        case .counter: return []
        }
    }
}

/// A layer or a tree of layers, in the manner of torch/nn: `forward` returns the output,
/// `backward` takes d(loss)/d(output), accumulates d(loss)/d(parameters) into each
/// `Parameter.grad` and returns d(loss)/d(input).
///
/// The tensors returned by `forward` and `backward` come from the module's `Workspace` and are
/// the caller's for as long as it holds them. `backward` uses what the last `forward` recorded
/// (its input, means, argmax indices) and then lets it go, so the two alternate; a forward
/// under `Workspace.withoutRecording` records nothing.
public protocol Module: AnyObject {
    func forward(_ input: Tensor) throws -> Tensor
    func backward(_ dout: Tensor) throws -> Tensor
    /// Direct sub-modules under their PyTorch attribute names.
    var children: [(name: String, module: any Module)] { get }
    /// This module's own parameters (not its children's), in PyTorch's registration order.
    var ownParameters: [(name: String, parameter: Parameter)] { get }
    /// This module's own non-learnable state (running statistics, counters).
    var ownBuffers: [(name: String, entry: StateEntry)] { get }
    /// True in training mode (batch statistics, dropout), false in evaluation mode.
    var isTraining: Bool { get set }
    /// Where the module's outputs, gradients and scratch come from; see `share`.
    var workspace: Workspace { get set }
}

extension Module {
    public var children: [(name: String, module: any Module)] { [] }
    public var ownParameters: [(name: String, parameter: Parameter)] { [] }
    public var ownBuffers: [(name: String, entry: StateEntry)] { [] }

    /// Every parameter of the tree under its dotted PyTorch name, in `named_parameters()` order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        ownParameters.map { (prefix + $0.name, $0.parameter) }
            + children.flatMap { $0.module.namedParameters(prefix: prefix + $0.name + ".") }
    }

    public var parameters: [Parameter] { namedParameters().map(\.parameter) }

    /// PyTorch's `state_dict()`: per module its parameters, then its buffers, then its children.
    public func stateDict(prefix: String = "") -> [(name: String, entry: StateEntry)] {
        ownParameters.map { (prefix + $0.name, StateEntry.tensor($0.parameter.value)) }
            + ownBuffers.map { (prefix + $0.name, $0.entry) }
            + children.flatMap { $0.module.stateDict(prefix: prefix + $0.name + ".") }
    }

    /// Trainable scalars, as PyTorch's `sum(p.numel() for p in model.parameters())`.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Training or evaluation mode for the whole tree.
    public func setTraining(_ on: Bool) {
        isTraining = on
        for c in children { c.module.setTraining(on) }
    }

    /// Makes the whole tree work in `workspace`. A container calls it on its children, so that a
    /// network recycles one set of blocks across its layers and lends one scratch block.
    public func share(_ workspace: Workspace) {
        self.workspace = workspace
        for c in children { c.module.share(workspace) }
    }

    /// Whether forward should keep what backward needs.
    var records: Bool { workspace.recordsForBackward }

    /// Clears every gradient of the tree; backward passes only add.
    public func zeroGrad() { parameters.zeroGradients() }
}

/// Checks that `input` is (N, C, H, W) with the channel count a layer expects.
func checkImage(_ input: Tensor, channels: Int, _ layer: String) throws {
    guard input.rank == 4, input.shape[1] == channels else {
        throw NNError("\(layer) expects an input of shape (N, \(channels), H, W), got \(input.shape)")
    }
}

/// The tensor a `backward` must see: the same shape as what its `forward` returned.
func checkGradient(_ dout: Tensor, _ expected: [Int]?, _ layer: String) throws {
    guard let expected else { throw NNError("\(layer).backward called before forward") }
    guard dout.shape == expected else {
        throw NNError("\(layer).backward expects a gradient of shape \(expected), got \(dout.shape)")
    }
}
