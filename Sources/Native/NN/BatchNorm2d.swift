import Foundation

// ----------------------------------------------------------------------------
// batchnorm2d: x (N, C, H, W); channel c normalises its M = N*H*W values.
// Training:   mean = sum x / M,  var = sum (x - mean)^2 / M,  rstd = 1 / sqrt(var + eps)
//             out = weight * (x - mean) * rstd + bias
//             running_mean = (1 - momentum) * running_mean + momentum * mean
//             running_var  = (1 - momentum) * running_var  + momentum * var * M / (M - 1)
// Evaluation: the running statistics replace mean and var.
// Backward, with xhat = (x - mean) * rstd and g = dout (masked by y > 0 when a ReLU follows):
//             dbias += sum g,  dweight += sum g * xhat
//             dx = weight * rstd * (g - mean(g) - xhat * mean(g * xhat))      (training)
//             dx = weight * rstd * g                                           (evaluation)
// (dx is written, not accumulated: it is a new tensor, and a zeroing pass is saved.)
// Sums run per channel in a fixed order (one worker per channel), so results do not depend
// on the thread count.

/// Sum over the N planes of channel c of f(plane pointer, HW), in double.
@inline(__always)
private func channelSum(
    _ x: UnsafePointer<Float>, _ c: Int, _ N: Int, _ C: Int, _ HW: Int, _ f: (UnsafePointer<Float>, Int) -> Double
) -> Double {
    var s: Double = 0
    for n in 0..<N { s += f(x + (n * C + c) * HW, HW) }
    return s
}

/// Sum of (x - m)^2 over n floats, 16 lanes at a time.
private func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, _ n: Int, _ m: Float) -> Double {
    var acc = SIMD16<Float>()
    var i = 0
    let mv = SIMD16<Float>(repeating: m)
    var total: Double = 0
    while i + 16 <= n {
        let d = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self) - mv
        acc += d * d  // not addProduct: without FMA in the target it becomes a libm fmaf call per lane
        i += 16
        if i % 4096 == 0 {
            total += Double(acc.sum())
            acc = SIMD16<Float>()
        }
    }
    while i < n {
        total += Double((x[i] - m) * (x[i] - m))
        i += 1
    }
    return total + Double(acc.sum())
}

/// Training-mode forward: out (N, C, H, W), per-channel mean and rstd, the biased batch
/// variance, and the affine map y = scale * x + shift the output used, all cached for backward.
func batchnorm2d_forward_train(
    _ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Double>, _ rstd: UnsafeMutablePointer<Double>,
    _ variance: UnsafeMutablePointer<Double>, _ scale: UnsafeMutablePointer<Float>,
    _ shift: UnsafeMutablePointer<Float>,
    _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
    _ N: Int, _ C: Int, _ HW: Int, eps: Double, relu: Bool
) {
    let M = Double(N * HW)
    Engine.parallelFor(C) { c in
        let mu = channelSum(x, c, N, C, HW, sumOfFloats) / M
        let v = channelSum(x, c, N, C, HW) { sumOfSquaredDeviations($0, $1, Float(mu)) } / M
        let r = 1 / (v + eps).squareRoot()
        (mean[c], rstd[c], variance[c]) = (mu, r, v)
        (scale[c], shift[c]) = affine(weight[c], bias[c], mean: mu, rstd: r)
        normalizePlanes(out, x, c, N, C, HW, scale[c], shift[c], relu: relu)
    }
}

/// Sums each number of `values` over every replica of the layer (the ranks of a data-parallel
/// job): what makes a BatchNorm synchronised.
public typealias ReplicaSum = (inout [Double]) throws -> Void

/// Training-mode forward with batch statistics over every replica (PyTorch's SyncBatchNorm):
/// the same two passes as `batchnorm2d_forward_train`, each followed by a sum over replicas,
/// then the normalisation. Returns the whole batch's count per channel, M.
func batchnorm2d_forward_train_synced(
    _ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Double>, _ rstd: UnsafeMutablePointer<Double>,
    _ variance: UnsafeMutablePointer<Double>, _ scale: UnsafeMutablePointer<Float>,
    _ shift: UnsafeMutablePointer<Float>,
    _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
    _ N: Int, _ C: Int, _ HW: Int, eps: Double, relu: Bool, sum: ReplicaSum
) throws -> Double {
    var sums = [Double](repeating: 0, count: C + 1)
    sums.withUnsafeMutableBufferPointer { s in
        Engine.parallelFor(C) { c in s[c] = channelSum(x, c, N, C, HW, sumOfFloats) }
    }
    sums[C] = Double(N * HW)
    try sum(&sums)
    let M = sums[C]
    for c in 0..<C { mean[c] = sums[c] / M }
    var deviations = [Double](repeating: 0, count: C)
    deviations.withUnsafeMutableBufferPointer { s in
        Engine.parallelFor(C) { c in
            s[c] = channelSum(x, c, N, C, HW) { sumOfSquaredDeviations($0, $1, Float(mean[c])) }
        }
    }
    try sum(&deviations)
    Engine.parallelFor(C) { c in
        let v = deviations[c] / M
        let r = 1 / (v + eps).squareRoot()
        (rstd[c], variance[c]) = (r, v)
        (scale[c], shift[c]) = affine(weight[c], bias[c], mean: mean[c], rstd: r)
        normalizePlanes(out, x, c, N, C, HW, scale[c], shift[c], relu: relu)
    }
    return M
}

/// Evaluation-mode forward with the running statistics.
func batchnorm2d_forward_eval(
    _ out: UnsafeMutablePointer<Float>, _ scale: UnsafeMutablePointer<Float>, _ shift: UnsafeMutablePointer<Float>,
    _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
    _ runningMean: UnsafePointer<Float>, _ runningVar: UnsafePointer<Float>, _ N: Int, _ C: Int, _ HW: Int, eps: Double,
    relu: Bool
) {
    Engine.parallelFor(C) { c in
        let r = 1 / (Double(runningVar[c]) + eps).squareRoot()
        (scale[c], shift[c]) = affine(weight[c], bias[c], mean: Double(runningMean[c]), rstd: r)
        normalizePlanes(out, x, c, N, C, HW, scale[c], shift[c], relu: relu)
    }
}

/// weight * (x - mean) * rstd + bias as one multiply-add: scale * x + shift.
@inline(__always)
private func affine(_ weight: Float, _ bias: Float, mean: Double, rstd: Double) -> (scale: Float, shift: Float) {
    let a = Double(weight) * rstd
    return (Float(a), Float(Double(bias) - mean * a))
}

/// out = scale * x + shift over channel c, then max(0, .) when relu.
@inline(__always)
private func normalizePlanes(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ c: Int, _ N: Int, _ C: Int, _ HW: Int,
    _ a: Float, _ b: Float, relu: Bool
) {
    for n in 0..<N {
        let src = x + (n * C + c) * HW
        let dst = out + (n * C + c) * HW
        if relu {
            for i in 0..<HW { dst[i] = max(0, src[i] * a + b) }
        } else {
            for i in 0..<HW { dst[i] = src[i] * a + b }
        }
    }
}

/// dx (N, C, H, W) =, dweight (C) +=, dbias (C) += from dout, with mean, rstd and the affine
/// map from the forward pass (batch statistics in training, running ones in evaluation). With
/// relu, g = dout where scale * x + shift > 0 (the forward's own arithmetic, so the same mask),
/// written into dx first; without, g = dout. With `sum` (a synchronised BatchNorm in training),
/// the sums of g and g * x over the whole batch, every replica's, give dx, and M is its count;
/// the parameter gradients stay this replica's own (the gradient all-reduce averages them).
func batchnorm2d_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>,
    _ dout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ mean: UnsafePointer<Double>,
    _ rstd: UnsafePointer<Double>,
    _ scale: UnsafePointer<Float>, _ shift: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ N: Int, _ C: Int, _ HW: Int, training: Bool, relu: Bool, sum: ReplicaSum? = nil, count M: Double = 0
) throws {
    let grad = relu ? UnsafePointer(dx) : dout
    /// Sum g and sum g * x over channel c's planes (masking g into dx first when relu).
    func sums(_ c: Int) -> (g: Double, gx: Double) {
        var (sumG, sumGX): (Double, Double) = (0, 0)
        // plane by plane, so that the sums read the masked gradient while it is in cache
        for n in 0..<N {
            let o = (n * C + c) * HW
            if relu { passWherePositive(dx + o, dout + o, x + o, HW, scale: scale[c], shift: shift[c]) }
            sumG += sumOfFloats(grad + o, HW)
            sumGX += dotOfFloats(grad + o, x + o, HW)
        }
        return (sumG, sumGX)
    }
    /// dx over channel c from the sums of g and g * x over M values.
    func apply(_ c: Int, _ sumG: Double, _ sumGX: Double, _ M: Double) {
        let (mu, r) = (mean[c], rstd[c])
        // sum g * xhat = rstd * (sum g*x - mean * sum g)
        let sumGXhat = r * (sumGX - mu * sumG)
        // dx = a*g + bx*x + b0, expanding weight*rstd*(g - mean(g) - (x - mean)*rstd*mean(g*xhat))
        let a = Double(weight[c]) * r
        let bx = training ? -a * r * sumGXhat / M : 0
        let b0 = training ? -a * sumG / M - bx * mu : 0
        let (fa, fbx, fb0) = (Float(a), Float(bx), Float(b0))
        for n in 0..<N {
            let o = (n * C + c) * HW
            let g = grad + o
            let xs = x + o
            let d = dx + o
            for i in 0..<HW { d[i] = fa * g[i] + fbx * xs[i] + fb0 }
        }
    }
    /// This replica's parameter gradients from its own sums.
    func accumulate(_ c: Int, _ sumG: Double, _ sumGX: Double) {
        dbias[c] += Float(sumG)
        dweight[c] += Float(rstd[c] * (sumGX - mean[c] * sumG))
    }
    guard let sum, training else {
        Engine.parallelFor(C) { c in
            let (sumG, sumGX) = sums(c)
            accumulate(c, sumG, sumGX)
            apply(c, sumG, sumGX, Double(N * HW))
        }
        return
    }
    var totals = [Double](repeating: 0, count: 2 * C)
    totals.withUnsafeMutableBufferPointer { t in
        Engine.parallelFor(C) { c in
            (t[c], t[C + c]) = sums(c)
            accumulate(c, t[c], t[C + c])
        }
    }
    try sum(&totals)
    Engine.parallelFor(C) { c in apply(c, totals[c], totals[C + c], M) }
}

/// nn.BatchNorm2d(C, eps=1e-5, momentum=0.1, affine, track_running_stats), optionally followed
/// by a ReLU in the same passes (`appliesReLU`).
public final class BatchNorm2d: Module {
    public let channels: Int
    public let eps: Double
    public let momentum: Double
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let batchesTracked = Counter()
    public var isTraining = true
    public var workspace = Workspace()
    /// relu(bn(x)) in one pass each way; backward recomputes the ReLU's mask from the input,
    /// so the output need not be kept.
    public var appliesReLU = false
    /// Set (by `Distributed.synchronizeBatchNorm`), training normalises with the statistics of
    /// the whole batch over every replica instead of this one's share (SyncBatchNorm); the
    /// running statistics then follow the whole batch too.
    public var replicaSum: ReplicaSum?
    // the whole batch's count per channel in the last synchronised training forward
    private var syncedCount: Double = 0

    // recorded: the input, and whether batch statistics normalised it
    private var input: Tensor?
    private var forwardWasTraining = true
    private var forwardWasSynced = false
    // (C) per channel, from the last forward: the mean and rstd its output used, the batch
    // variance, and the output's affine map y = scale * x + shift
    private var mean: [Double]
    private var rstd: [Double]
    private var variance: [Double]
    private var scale: [Float]
    private var shift: [Float]

    public init(_ channels: Int, eps: Double = 1e-5, momentum: Double = 0.1) throws {
        guard channels > 0, eps > 0, momentum >= 0, momentum <= 1 else {
            throw NNError(
                "BatchNorm2d: need channels > 0, eps > 0 and momentum in [0, 1], got \(channels), \(eps), \(momentum)")
        }
        (self.channels, self.eps, self.momentum) = (channels, eps, momentum)
        weight = Parameter(try Tensor(checkedShape: [channels], for: "BatchNorm2d(\(channels)) weight"))
        weight.value.fill(1)
        bias = Parameter(Tensor(shape: [channels]))
        runningMean = Tensor(shape: [channels])
        runningVar = Tensor(shape: [channels])
        runningVar.fill(1)
        mean = Array(repeating: 0, count: channels)
        rstd = mean
        variance = mean
        scale = Array(repeating: 0, count: channels)
        shift = scale
    }

    public var ownParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(name: String, entry: StateEntry)] {
        [
            ("running_mean", .tensor(runningMean)), ("running_var", .tensor(runningVar)),
            ("num_batches_tracked", .counter(batchesTracked)),
        ]
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try checkImage(x, channels: channels, "BatchNorm2d")
        let (N, HW) = (x.shape[0], x.shape[2] * x.shape[3])
        let out = workspace.uninitialized(x.shape)
        forwardWasTraining = isTraining
        forwardWasSynced = isTraining && replicaSum != nil
        if isTraining {
            guard N * HW > 1 else {
                throw NNError("BatchNorm2d: training needs more than 1 value per channel, got input \(x.shape)")
            }
            var M = Double(N * HW)
            if let replicaSum {
                M = try batchnorm2d_forward_train_synced(
                    out.data, &mean, &rstd, &variance, &scale, &shift, x.data, weight.value.data, bias.value.data, N,
                    channels, HW, eps: eps, relu: appliesReLU, sum: replicaSum)
                syncedCount = M
            } else {
                batchnorm2d_forward_train(
                    out.data, &mean, &rstd, &variance, &scale, &shift, x.data, weight.value.data, bias.value.data, N,
                    channels, HW,
                    eps: eps, relu: appliesReLU)
            }
            let m = Float(momentum)
            let unbias = M / (M - 1)
            for c in 0..<channels {
                runningMean[c] = (1 - m) * runningMean[c] + m * Float(mean[c])
                runningVar[c] = (1 - m) * runningVar[c] + m * Float(variance[c] * unbias)
            }
            batchesTracked.value += 1
        } else {
            batchnorm2d_forward_eval(
                out.data, &scale, &shift, x.data, weight.value.data, bias.value.data, runningMean.data, runningVar.data,
                N, channels, HW, eps: eps, relu: appliesReLU)
            for c in 0..<channels {
                mean[c] = Double(runningMean[c])
                rstd[c] = 1 / (Double(runningVar[c]) + eps).squareRoot()
            }
        }
        input = records ? x : nil
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, input?.shape, "BatchNorm2d")
        let x = input!
        input = nil
        let dx = workspace.uninitialized(x.shape)
        try batchnorm2d_backward(
            dx.data, weight.grad.data, bias.grad.data, dout.data, x.data, mean, rstd, scale, shift, weight.value.data,
            x.shape[0], channels, x.shape[2] * x.shape[3], training: forwardWasTraining, relu: appliesReLU,
            sum: forwardWasSynced ? replicaSum : nil, count: syncedCount)
        try workspace.gradientsReady(weight.grad, bias.grad)
        return dx
    }

    /// The evaluation-mode output as an affine map per channel, y = scale * x + shift, in double:
    /// what a convolution before it folds into its weights and bias.
    func runningAffine() -> (scale: [Double], shift: [Double]) {
        var (a, b) = ([Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels))
        for c in 0..<channels {
            a[c] = Double(weight.value[c]) / (Double(runningVar[c]) + eps).squareRoot()
            b[c] = Double(bias.value[c]) - Double(runningMean[c]) * a[c]
        }
        return (a, b)
    }

    /// Forgets what the last forward recorded, for a pass that bypassed this layer's forward.
    func forgetRecorded() { input = nil }
}
