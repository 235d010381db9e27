import Foundation

/// An optimiser in the manner of torch.optim: it owns per-parameter state and updates the
/// parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// The parameters and their gradients, gathered into one block each.
    var flat: FlatParameters { get }
    var parameters: [Parameter] { get }
    var learningRate: Double { get set }
    /// What a cyclic schedule moves with the learning rate: beta1 for Adam, momentum for SGD.
    var momentum: Double { get set }
    /// Updates taken so far.
    var stepCount: Int { get }
    func step()
    /// The state a resumed run needs: tensors named `state.<parameter index>.<buffer>` (as in
    /// PyTorch's optimizer state_dict) and scalars.
    func stateTensors() -> [(name: String, value: SafeTensorValue)]
    var stateScalars: [String: Double] { get }
    func restore(tensors: [String: SafeTensorValue], scalars: [String: Double]) throws
}

extension Optimizer {
    public func zeroGrad() { flat.zeroGradients() }
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm`, as PyTorch's
/// `clip_grad_norm_` (factor maxNorm / (norm + 1e-6), applied only when below 1). Returns the
/// norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Double) throws -> Double {
    guard maxNorm > 0, maxNorm.isFinite else {
        throw NNError("clip_grad_norm: max_norm must be positive, got \(maxNorm)")
    }
    let sumSquares = parameters.reduce(0.0) { $0 + dotOfFloats($1.grad.data, $1.grad.data, $1.grad.count) }
    let norm = sumSquares.squareRoot()
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for p in parameters { p.grad.scaleInPlace(Float(factor)) }
    }
    return norm
}

/// Reads tensor `name` of `tensors` as floats of the given shape, for optimiser state.
func stateTensor(_ tensors: [String: SafeTensorValue], _ name: String, shape: [Int]) throws -> Tensor {
    guard case .f32(let t)? = tensors[name] else { throw NNError("optimizer state lacks '\(name)'") }
    guard t.shape == shape else {
        throw NNError("optimizer state '\(name)' has shape \(t.shape), the parameter \(shape)")
    }
    return t
}

/// Reads scalar `name` of a saved state: never NaN, and finite unless `finite` is false (a
/// plateau scheduler's best starts at infinity).
func stateScalar(_ scalars: [String: Double], _ name: String, finite: Bool = true) throws -> Double {
    guard let v = scalars[name] else { throw NNError("training state lacks '\(name)'") }
    guard !v.isNaN, !finite || v.isFinite else {
        throw NNError("training state '\(name)' is \(v), expected a \(finite ? "finite " : "")number")
    }
    return v
}

/// Reads a saved step or counter: a whole number in `range` (converting a NaN or 1e30 to Int
/// would trap; a negative step turns the next AdamW update's bias correction into NaN).
func stateCount(_ scalars: [String: Double], _ name: String, in range: ClosedRange<Int> = 0...(1 << 53)) throws -> Int {
    let v = try stateScalar(scalars, name)
    guard v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
        throw NNError(
            "training state '\(name)' is \(v), expected a whole number in \(range.lowerBound)...\(range.upperBound)")
    }
    return Int(v)
}
