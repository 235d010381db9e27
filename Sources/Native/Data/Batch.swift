/// A training batch: inputs [N, 1, bins, frames] and their labels, 0-based genre indices, or
/// soft targets [N, classes] once mixed (mixup, cutmix), each row summing to 1.
public struct Batch: Sendable {
    public var x: Tensor
    public var labels: [Int]
    public var targets: Tensor?
    public let classes: Int

    public init(x: Tensor, labels: [Int], targets: Tensor? = nil, classes: Int = Genre.allCases.count) {
        (self.x, self.labels, self.targets, self.classes) = (x, labels, targets, classes)
    }

    /// The targets as rows of probabilities: `targets`, or one-hot rows of `labels`.
    public var softTargets: Tensor {
        if let targets { return targets }
        let t = Tensor(shape: [labels.count, classes])
        for (n, label) in labels.enumerated() { t[n * classes + label] = 1 }
        return t
    }

    /// Packs spectrograms of one shape into [N, 1, bins, frames].
    public static func stack(_ spectrograms: [Spectrogram], labels: [Int]) throws -> Batch {
        guard let first = spectrograms.first else { throw DataError("batch", "expected at least one example") }
        guard spectrograms.allSatisfy({ $0.bins == first.bins && $0.frames == first.frames }) else {
            throw DataError("batch", "every spectrogram of a batch must be \(first.bins) x \(first.frames)")
        }
        let item = first.bins * first.frames
        let x = Tensor(shape: [spectrograms.count, 1, first.bins, first.frames])
        for (n, s) in spectrograms.enumerated() {
            s.values.withUnsafeBufferPointer { (x.data + n * item).update(from: $0.baseAddress!, count: item) }
        }
        return Batch(x: x, labels: labels)
    }
}
