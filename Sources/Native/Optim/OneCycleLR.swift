import Foundation

// ----------------------------------------------------------------------------
// OneCycleLR (Smith & Topin), as torch.optim.lr_scheduler.OneCycleLR with T = total_steps:
//   initial = max_lr / div_factor,  min = initial / final_div_factor
//   two phases (default):  steps 0 .. pct_start*T - 1:   initial -> max_lr,  momentum max -> base
//                          then up to T - 1:             max_lr -> min,      momentum base -> max
//   three phases:          initial -> max_lr -> initial (ending at 2*pct_start*T - 2), then -> min
//   within a phase from step s0 to s1, pct = (t - s0) / (s1 - s0) and
//   cos:    value = end + (start - end) / 2 * (1 + cos(pi * pct));   linear: start + (end - start) * pct
// With cycle_momentum the optimiser's momentum (Adam's beta1) follows the momentum column.

public final class OneCycleLR: LRScheduler {
    public enum Anneal: String, Sendable, CaseIterable { case cos, linear }

    private struct Phase {
        let end: Double, lr: (Double, Double), momentum: (Double, Double)
    }

    public let optimizer: any Optimizer
    public let totalSteps: Int
    public let anneal: Anneal
    public let cycleMomentum: Bool
    public private(set) var lastStep = 0
    private let phases: [Phase]

    public init(
        _ optimizer: any Optimizer, maxLR: Double, totalSteps: Int, pctStart: Double = 0.3, anneal: Anneal = .cos,
        divFactor: Double = 25, finalDivFactor: Double = 1e4, threePhase: Bool = false, cycleMomentum: Bool = true,
        baseMomentum: Double = 0.85, maxMomentum: Double = 0.95
    ) throws {
        guard totalSteps > 0 else { throw NNError("onecycle: total_steps must be positive, got \(totalSteps)") }
        guard pctStart > 0, pctStart < 1 else {
            throw NNError("onecycle: pct_start must be in (0, 1), got \(pctStart)")
        }
        guard maxLR > 0, divFactor > 0, finalDivFactor > 0 else {
            throw NNError(
                "onecycle: max_lr, div_factor and final_div_factor must be positive, got \(maxLR), \(divFactor), \(finalDivFactor)"
            )
        }
        (self.optimizer, self.totalSteps, self.anneal, self.cycleMomentum) = (
            optimizer, totalSteps, anneal, cycleMomentum
        )
        let initial = maxLR / divFactor
        let minLR = initial / finalDivFactor
        let T = Double(totalSteps)
        let (hi, lo) = (maxMomentum, baseMomentum)
        if threePhase {
            phases = [
                Phase(end: pctStart * T - 1, lr: (initial, maxLR), momentum: (hi, lo)),
                Phase(end: 2 * pctStart * T - 2, lr: (maxLR, initial), momentum: (lo, hi)),
                Phase(end: T - 1, lr: (initial, minLR), momentum: (hi, hi)),
            ]
        } else {
            phases = [
                Phase(end: pctStart * T - 1, lr: (initial, maxLR), momentum: (hi, lo)),
                Phase(end: T - 1, lr: (maxLR, minLR), momentum: (lo, hi)),
            ]
        }
        apply()
    }

    private func interpolate(_ range: (Double, Double), _ pct: Double) -> Double {
        switch anneal {
        case .cos: return range.1 + (range.0 - range.1) / 2 * (1 + cos(Double.pi * pct))
        case .linear: return range.0 + (range.1 - range.0) * pct
        }
    }

    private func apply() {
        let t = Double(lastStep)
        var start = 0.0
        for (i, phase) in phases.enumerated() {
            if t <= phase.end || i == phases.count - 1 {
                let pct = (t - start) / (phase.end - start)
                optimizer.learningRate = interpolate(phase.lr, pct)
                if cycleMomentum { optimizer.momentum = interpolate(phase.momentum, pct) }
                return
            }
            start = phase.end
        }
    }

    public func step() throws {
        guard lastStep + 1 <= totalSteps else {
            throw NNError("onecycle: stepped past total_steps = \(totalSteps); raise total_steps to train longer")
        }
        lastStep += 1
        apply()
    }

    public var stateScalars: [String: Double] { ["last_step": Double(lastStep)] }

    public func restore(scalars: [String: Double]) throws {
        lastStep = try stateCount(scalars, "last_step", in: 0...totalSteps)
        apply()
    }
}
