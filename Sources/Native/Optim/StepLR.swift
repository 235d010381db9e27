import Foundation

// Step decay, as torch.optim.lr_scheduler.StepLR: lr = base * gamma^floor(t / step_size).

public final class StepLR: LRScheduler {
    public let optimizer: any Optimizer
    public let baseLR: Double, gamma: Double
    public let stepSize: Int
    public private(set) var lastStep = 0

    public init(_ optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) throws {
        guard stepSize > 0, gamma > 0 else {
            throw NNError("step_lr: step_size and gamma must be positive, got \(stepSize), \(gamma)")
        }
        (self.optimizer, self.baseLR, self.stepSize, self.gamma) = (optimizer, optimizer.learningRate, stepSize, gamma)
    }

    public func step() throws {
        lastStep += 1
        optimizer.learningRate = baseLR * pow(gamma, Double(lastStep / stepSize))
    }

    public var stateScalars: [String: Double] { ["last_step": Double(lastStep)] }

    public func restore(scalars: [String: Double]) throws {
        lastStep = try stateCount(scalars, "last_step")
        optimizer.learningRate = baseLR * pow(gamma, Double(lastStep / stepSize))
    }
}
