/// A network's parameters in one allocation and their gradients in another, each parameter a
/// view at its own offset, as llm.c keeps `params_memory` and `grads_memory`. The optimiser
/// updates the whole block in one pass (one loop, not one per tensor: the SE-ResNet has 100
/// tensors, most of them BatchNorm vectors of a few dozen numbers), gradient clipping and
/// zeroing touch one buffer, and a data-parallel all-reduce sends one message.
///
/// Gathering moves each parameter's storage into the block (`TensorStorage.move`), so every
/// tensor already handed out (a module's, a Lua value's, a weight average's) sees the block;
/// `gather()` before each use brings back parameters another gathering took.
/// Each parameter starts on a 64-byte line; the gaps between them hold zeros in both blocks,
/// which no optimiser update, norm or all-reduce changes.
public final class FlatParameters {
    public let parameters: [Parameter]
    /// Where each parameter's numbers are in `values` and `gradients`.
    public let ranges: [Range<Int>]
    public let values: Tensor
    public let gradients: Tensor

    /// Floats in each block, gaps included.
    public var count: Int { values.count }

    public init(_ parameters: [Parameter]) throws {
        var seen = Set<ObjectIdentifier>()
        var ranges: [Range<Int>] = []
        var end = 0
        for (i, p) in parameters.enumerated() {
            for t in [p.value, p.grad] {
                guard t.offset == 0, t.storage.count == t.count else {
                    throw NNError(
                        "parameter \(i + 1) (shape \(p.value.shape)) is a view into a larger tensor; an optimiser needs parameters that own their numbers"
                    )
                }
                guard seen.insert(ObjectIdentifier(t.storage)).inserted else {
                    throw NNError(
                        "parameter \(i + 1) (shape \(p.value.shape)) is listed twice or shares its numbers with another"
                    )
                }
            }
            ranges.append(end..<(end + p.value.count))
            end = (end + p.value.count + 15) & ~15
        }
        self.parameters = parameters
        self.ranges = ranges
        values = Tensor(shape: [end])
        gradients = Tensor(shape: [end])
        gather()
    }

    /// A block of `count` floats for per-parameter optimiser state (moments, momentum), with
    /// each parameter's view under the same ranges.
    public func stateBlock() -> (block: Tensor, views: [Tensor]) {
        let block = Tensor(shape: [count])
        let views = zip(parameters, ranges).map { p, range in
            Tensor(storage: block.storage, offset: range.lowerBound, shape: p.value.shape)
        }
        return (block, views)
    }

    /// Brings back any parameter that another gathering (a second optimiser over some of the
    /// same parameters) has moved to its block, with its current values and gradients. Every
    /// use of the blocks starts with this, so two optimisers over shared parameters both work:
    /// whichever steps has them at home. A few pointer comparisons when nothing moved.
    public func gather() {
        for (p, range) in zip(parameters, ranges) {
            if p.value.data != values.data + range.lowerBound {
                p.value.storage.move(into: values.storage, at: range.lowerBound)
            }
            if p.grad.data != gradients.data + range.lowerBound {
                p.grad.storage.move(into: gradients.storage, at: range.lowerBound)
            }
        }
    }

    public func zeroGradients() {
        gather()
        gradients.zero()
    }
}
