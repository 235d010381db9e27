// linear: x (N, I) -> out (N, O) = x @ weight^T + bias, weight (O, I), bias (O).
// backward: dweight (O, I) += dout^T @ x, dbias += sum over N of dout, dx (N, I) = dout @ weight.
// The products are small (a batch of pooled features): OpenBLAS runs them on one thread, as
// waking its pool for them costs more than they do, and its woken threads then spin in
// sched_yield beside the engine's workers for a while.

func linear_forward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>?, _ N: Int, _ I: Int, _ O: Int
) {
    BLASThreads.single { sgemm(transA: false, transB: true, N, O, I, x, lda: I, weight, ldb: I, beta: 0, out, ldc: O) }
    guard let bias else { return }
    for n in 0..<N {
        for o in 0..<O { out[n * O + o] += bias[o] }
    }
}

func linear_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ N: Int, _ I: Int,
    _ O: Int
) {
    BLASThreads.single {
        sgemm(transA: true, transB: false, O, I, N, dout, lda: O, x, ldb: I, beta: 1, dweight, ldc: I)
        sgemm(transA: false, transB: false, N, I, O, dout, lda: O, weight, ldb: I, beta: 0, dx, ldc: I)
    }
    guard let dbias else { return }
    for n in 0..<N {
        for o in 0..<O { dbias[o] += dout[n * O + o] }
    }
}

/// nn.Linear(in, out, bias) over (N, in) inputs.
public final class Linear: Module {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the input
    private var input: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) throws {
        guard inFeatures > 0, outFeatures > 0 else {
            throw NNError("Linear: in_features and out_features must be positive, got \(inFeatures), \(outFeatures)")
        }
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        let name = "Linear(\(inFeatures), \(outFeatures))"
        weight = Parameter(try Tensor(checkedShape: [outFeatures, inFeatures], for: "\(name) weight"))
        initUniform(weight.value, fanIn: inFeatures)
        if bias {
            self.bias = Parameter(try Tensor(checkedShape: [outFeatures], for: "\(name) bias"))
            initUniform(self.bias!.value, fanIn: inFeatures)
        } else {
            self.bias = nil
        }
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2, x.shape[1] == inFeatures else {
            throw NNError("Linear expects an input of shape (N, \(inFeatures)), got \(x.shape)")
        }
        let out = workspace.uninitialized([x.shape[0], outFeatures])
        linear_forward(out.data, x.data, weight.value.data, bias?.value.data, x.shape[0], inFeatures, outFeatures)
        input = records ? x : nil
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, input.map { [$0.shape[0], outFeatures] }, "Linear")
        let x = input!
        input = nil
        let dx = workspace.uninitialized(x.shape)
        linear_backward(
            dx.data, weight.grad.data, bias?.grad.data, dout.data, x.data, weight.value.data, x.shape[0], inFeatures,
            outFeatures)
        try workspace.gradientsReady(weight.grad)
        if let bias { try workspace.gradientsReady(bias.grad) }
        return dx
    }
}
