import Foundation

// ----------------------------------------------------------------------------
// cross-entropy over logits z (N, C) with targets t (N, C) (one-hot rows for hard labels) and
// label smoothing eps, as PyTorch's F.cross_entropy(reduction="mean"):
//   q = (1 - eps) * t + eps / C
//   loss = (1/N) sum_n  -sum_c q[n][c] * log_softmax(z[n])[c]
//   dz[n][c] = (softmax(z[n])[c] * sum_c q[n][c] - q[n][c]) / N
// log-softmax runs in double: log p = z - max - log sum exp(z - max).

/// Loss and d(loss)/d(logits) for the rows of logits; `target(n, c)` gives t[n][c].
private func crossentropy_forward_backward(
    _ dlogits: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>, _ N: Int, _ C: Int,
    smoothing eps: Double, target: (Int, Int) -> Double
) -> Double {
    var total: Double = 0
    var logp = [Double](repeating: 0, count: C)
    for n in 0..<N {
        let z = logits + n * C
        let dz = dlogits + n * C
        var m = -Double.infinity
        for c in 0..<C { m = max(m, Double(z[c])) }
        var s: Double = 0
        for c in 0..<C { s += exp(Double(z[c]) - m) }
        let logSum = m + log(s)
        for c in 0..<C { logp[c] = Double(z[c]) - logSum }
        var sumQ: Double = 0
        for c in 0..<C {
            let q = (1 - eps) * target(n, c) + eps / Double(C)
            total -= q * logp[c]
            sumQ += q
        }
        for c in 0..<C {
            let q = (1 - eps) * target(n, c) + eps / Double(C)
            dz[c] = Float((exp(logp[c]) * sumQ - q) / Double(N))
        }
    }
    return total / Double(N)
}

/// Mean softmax cross-entropy of logits (N, C) against class indices in 0..<C, with PyTorch's
/// label smoothing; returns the loss and d(loss)/d(logits) (N, C).
public func crossEntropy(_ logits: Tensor, labels: [Int], labelSmoothing: Double = 0) throws -> (
    loss: Double, dlogits: Tensor
) {
    let (N, C) = try checkLogits(logits, labelSmoothing)
    guard labels.count == N else {
        throw NNError("cross_entropy: \(N) rows of logits but \(labels.count) labels")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= C }) {
        throw NNError("cross_entropy: label \(bad) is outside the \(C) classes 0..<\(C)")
    }
    let d = Tensor(shape: logits.shape)
    let loss = crossentropy_forward_backward(d.data, logits.data, N, C, smoothing: labelSmoothing) { n, c in
        labels[n] == c ? 1 : 0
    }
    return (loss, d)
}

/// The same over soft targets (N, C) (mixup, distillation), as PyTorch's class-probability
/// targets.
public func crossEntropy(_ logits: Tensor, targets: Tensor, labelSmoothing: Double = 0) throws -> (
    loss: Double, dlogits: Tensor
) {
    let (N, C) = try checkLogits(logits, labelSmoothing)
    guard targets.shape == logits.shape else {
        throw NNError("cross_entropy: soft targets must have the logits' shape \(logits.shape), got \(targets.shape)")
    }
    guard targets.buffer.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
        throw NNError("cross_entropy: soft targets must be finite and non-negative")
    }
    let d = Tensor(shape: logits.shape)
    let t = targets.data
    let loss = crossentropy_forward_backward(d.data, logits.data, N, C, smoothing: labelSmoothing) { n, c in
        Double(t[n * C + c])
    }
    return (loss, d)
}

private func checkLogits(_ logits: Tensor, _ smoothing: Double) throws -> (Int, Int) {
    guard logits.rank == 2, logits.shape[0] > 0, logits.shape[1] > 0 else {
        throw NNError("cross_entropy expects logits of shape (N, C), got \(logits.shape)")
    }
    guard smoothing >= 0, smoothing <= 1 else {
        throw NNError("cross_entropy: label_smoothing must be in [0, 1], got \(smoothing)")
    }
    guard logits.buffer.allSatisfy({ $0.isFinite }) else {
        throw NNError("cross_entropy: logits contain NaN or infinity")
    }
    return (logits.shape[0], logits.shape[1])
}
