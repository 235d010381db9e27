/// A learning-rate schedule stepped once per batch, as torch.optim.lr_scheduler: construction
/// sets the rate of step 0, each `step()` moves to the next step's rate.
public protocol LRScheduler: AnyObject {
    /// Steps taken since construction (PyTorch's `last_epoch`).
    var lastStep: Int { get }
    func step() throws
    var stateScalars: [String: Double] { get }
    /// Returns to a saved position; the optimiser's own state restores its rate.
    func restore(scalars: [String: Double]) throws
}
