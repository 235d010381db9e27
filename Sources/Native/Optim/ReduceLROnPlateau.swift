// Reduce on plateau, as torch.optim.lr_scheduler.ReduceLROnPlateau (threshold_mode "rel"):
//   better(a) = a < best * (1 - threshold)   (mode min)   or   a > best * (1 + threshold)   (max)
//   after more than `patience` steps without improvement: lr = max(lr * factor, min_lr) (a change
//   smaller than eps is skipped), then `cooldown` steps during which bad steps are not counted.
// Stepped with the monitored metric, usually once per epoch.

public final class ReduceLROnPlateau: ScheduleState {
    public enum Mode: String, Sendable, CaseIterable { case min, max }

    public let optimizer: any Optimizer
    public let mode: Mode
    public let factor: Double, threshold: Double, minLR: Double, eps: Double
    public let patience: Int, cooldown: Int
    public private(set) var best: Double
    public private(set) var badSteps = 0
    public private(set) var cooldownLeft = 0

    public init(
        _ optimizer: any Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
        threshold: Double = 1e-4, cooldown: Int = 0, minLR: Double = 0, eps: Double = 1e-8
    ) throws {
        guard factor > 0, factor < 1 else { throw NNError("plateau: factor must be in (0, 1), got \(factor)") }
        guard patience >= 0, cooldown >= 0, threshold >= 0, minLR >= 0 else {
            throw NNError(
                "plateau: patience, cooldown, threshold and min_lr must be >= 0, got \(patience), \(cooldown), \(threshold), \(minLR)"
            )
        }
        (self.optimizer, self.mode, self.factor, self.patience) = (optimizer, mode, factor, patience)
        (self.threshold, self.cooldown, self.minLR, self.eps) = (threshold, cooldown, minLR, eps)
        best = mode == .min ? .infinity : -.infinity
    }

    private func isBetter(_ a: Double) -> Bool {
        switch mode {
        case .min: return a < best * (1 - threshold)
        case .max: return a > best * (1 + threshold)
        }
    }

    public func step(_ metric: Double) {
        if isBetter(metric) {
            best = metric
            badSteps = 0
        } else {
            badSteps += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badSteps = 0
        }
        if badSteps > patience {
            let old = optimizer.learningRate
            let new = max(old * factor, minLR)
            if old - new > eps { optimizer.learningRate = new }
            cooldownLeft = cooldown
            badSteps = 0
        }
    }

    public var stateScalars: [String: Double] {
        ["best": best, "bad_steps": Double(badSteps), "cooldown_left": Double(cooldownLeft)]
    }

    public func restore(scalars: [String: Double]) throws {
        best = try stateScalar(scalars, "best", finite: false)
        badSteps = try stateCount(scalars, "bad_steps")
        cooldownLeft = try stateCount(scalars, "cooldown_left")
    }
}
