import Foundation

extension Random {
    /// Gamma(shape, 1) by Marsaglia and Tsang (2000): for k >= 1, d = k - 1/3, c = 1/sqrt(9d),
    /// v = (1 + c z)^3 with z normal, accepted when log u < z²/2 + d - d v + d log v, giving d v.
    /// For k < 1, Gamma(k + 1) · u^(1/k).
    mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 { return gamma(shape + 1) * pow(uniform(), 1 / shape) }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let z = normal()
            let v = pow(1 + c * z, 3)
            guard v > 0 else { continue }
            let u = 1 - uniform()
            if log(u) < z * z / 2 + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
    mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(a)
        let y = gamma(b)
        return x + y > 0 ? x / (x + y) : 0.5
    }
}

/// Batch mixing (Zhang et al. 2018, Yun et al. 2019): every example n is mixed with partner
/// π(n) of a random permutation, with one λ ~ Beta(α, α) per batch:
///   mixup   x = λ x_n + (1-λ) x_π(n)
///   cutmix  x = x_n with a band of round((1-λ) T) time frames, placed uniformly, from x_π(n),
///           and λ set to the share of frames kept
/// and targets λ y_n + (1-λ) y_π(n) (soft, each row summing to 1).
public struct BatchMix: Augmentation {
    public enum Method: String, Sendable, CaseIterable {
        case mixup, cutmix
    }

    public var method: Method
    public var alpha: Double

    public init(_ method: Method = .mixup, alpha: Double = 0.4) throws {
        try checkRange("alpha", alpha...alpha, within: 1e-3...1e3)
        (self.method, self.alpha) = (method, alpha)
    }

    public func apply(_ batch: Batch, random: inout Random, worker: Int) throws -> Batch {
        let n = batch.labels.count
        guard n > 1, batch.x.rank == 4 else { return batch }
        var partner = Array(0..<n)
        random.shuffle(&partner)
        var lambda = random.beta(alpha, alpha)
        let (bins, frames) = (batch.x.shape[2], batch.x.shape[3])
        let item = bins * frames
        let source = batch.x.copy()
        let x = batch.x.copy()
        switch method {
        case .mixup:
            let (a, b) = (Float(lambda), Float(1 - lambda))
            for i in 0..<n {
                let (dst, src) = (x.data + i * item, source.data + partner[i] * item)
                for k in 0..<item { dst[k] = a * dst[k] + b * src[k] }
            }
        case .cutmix:
            let width = Int(((1 - lambda) * Double(frames)).rounded())
            let start = random.int(in: 0...(frames - width))
            for i in 0..<n {
                let (dst, src) = (x.data + i * item, source.data + partner[i] * item)
                for b in 0..<bins { (dst + b * frames + start).update(from: src + b * frames + start, count: width) }
            }
            lambda = 1 - Double(width) / Double(frames)
        }
        let y = batch.softTargets
        let mixed = Tensor(shape: [n, batch.classes])
        for i in 0..<n {
            for c in 0..<batch.classes {
                mixed[i * batch.classes + c] =
                    Float(lambda) * y[i * batch.classes + c] + Float(1 - lambda) * y[partner[i] * batch.classes + c]
            }
        }
        return Batch(x: x, labels: batch.labels, targets: mixed, classes: batch.classes)
    }
}
