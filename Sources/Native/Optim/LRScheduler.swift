/// What a training-state file keeps of a schedule: a few named numbers, and a way back to them.
/// Both kinds of schedule have it: those stepped per batch and the plateau schedule stepped with
/// a metric.
public protocol ScheduleState: AnyObject {
    var stateScalars: [String: Double] { get }
    /// Returns to a saved position; the optimiser's own state restores its rate.
    func restore(scalars: [String: Double]) throws
}

/// A learning-rate schedule stepped once per batch, as torch.optim.lr_scheduler: construction
/// sets the rate of step 0, each `step()` moves to the next step's rate.
public protocol LRScheduler: ScheduleState {
    /// Steps taken since construction (PyTorch's `last_epoch`).
    var lastStep: Int { get }
    func step() throws
}
