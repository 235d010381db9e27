import Foundation

// Cosine decay after a linear warm-up, with base = the optimiser's rate at construction and
// W warm-up steps out of T:
//   t < W:   lr = base * (t + 1) / W
//   t >= W:  lr = min_lr + (base - min_lr) / 2 * (1 + cos(pi * (t - W) / (T - W)))   (t capped at T)

public final class CosineWarmupLR: LRScheduler {
    public let optimizer: any Optimizer
    public let baseLR: Double, minLR: Double
    public let warmupSteps: Int, totalSteps: Int
    public private(set) var lastStep = 0

    public init(_ optimizer: any Optimizer, warmupSteps: Int, totalSteps: Int, minLR: Double = 0) throws {
        guard warmupSteps >= 0, totalSteps > warmupSteps, minLR >= 0 else {
            throw NNError(
                "cosine: need 0 <= warmup_steps < total_steps and min_lr >= 0, got warmup \(warmupSteps), total \(totalSteps), min_lr \(minLR)"
            )
        }
        (self.optimizer, self.baseLR, self.minLR, self.warmupSteps, self.totalSteps) =
            (optimizer, optimizer.learningRate, minLR, warmupSteps, totalSteps)
        apply()
    }

    private func apply() {
        let t = min(lastStep, totalSteps)
        if t < warmupSteps {
            optimizer.learningRate = baseLR * Double(t + 1) / Double(warmupSteps)
        } else {
            let progress = Double(t - warmupSteps) / Double(totalSteps - warmupSteps)
            optimizer.learningRate = minLR + (baseLR - minLR) / 2 * (1 + cos(Double.pi * progress))
        }
    }

    public func step() throws {
        lastStep += 1
        apply()
    }

    public var stateScalars: [String: Double] { ["last_step": Double(lastStep)] }

    public func restore(scalars: [String: Double]) throws {
        lastStep = try stateCount(scalars, "last_step")
        apply()
    }
}
