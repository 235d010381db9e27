import Foundation

// ----------------------------------------------------------------------------
// conv2d: N images, C input channels of H x W, OC output channels, K x K kernel, stride S,
// zero padding PAD, output OH x OW. Per image, as a matrix product (im2col):
//   col (C*K*K, OH*OW)   col[(c*K + kh)*K + kw][oh*OW + ow] = inp[c][oh*S - PAD + kh][ow*S - PAD + kw]
//   out (OC, OH*OW)      = weight (OC, C*K*K) @ col
// Backward:
//   dweight (OC, C*K*K) += dout (OC, OH*OW) @ col^T
//   dcol (C*K*K, OH*OW)  = weight^T @ dout,  then col2im scatters dcol into dinp (+=)
// A 1x1 stride-1 unpadded conv needs no im2col: col is the input itself.

/// The sizes of one convolution.
struct ConvGeometry {
    let C: Int, H: Int, W: Int, OC: Int, K: Int, S: Int, PAD: Int
    let OH: Int, OW: Int

    init(C: Int, H: Int, W: Int, OC: Int, K: Int, S: Int, PAD: Int) {
        (self.C, self.H, self.W, self.OC, self.K, self.S, self.PAD) = (C, H, W, OC, K, S, PAD)
        OH = (H + 2 * PAD - K) / S + 1
        OW = (W + 2 * PAD - K) / S + 1
    }

    var P: Int { OH * OW }
    var CKK: Int { C * K * K }
    var isPointwise: Bool { K == 1 && S == 1 && PAD == 0 }
    /// Scratch floats one worker needs: col and dcol, a private dweight and dbias.
    var scratchPerWorker: Int { (isPointwise ? 0 : 2 * CKK * P) + OC * CKK + OC }

    /// The output columns ow whose input column ow*S - PAD + kw lies inside 0..<W.
    func validColumns(_ kw: Int) -> Range<Int> {
        let shift = kw - PAD  // iw = ow*S + shift
        let lo = shift >= 0 ? 0 : min(OW, (-shift + S - 1) / S)
        let hi = W - 1 - shift < 0 ? 0 : min(OW, (W - 1 - shift) / S + 1)
        return lo..<max(lo, hi)
    }
}

/// col (C*K*K, OH*OW) <- one image inp (C, H, W); padding reads as zero.
func im2col(_ col: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ g: ConvGeometry) {
    for c in 0..<g.C {
        for kh in 0..<g.K {
            for kw in 0..<g.K {
                let row = col + ((c * g.K + kh) * g.K + kw) * g.P
                let cols = g.validColumns(kw)
                let shift = kw - g.PAD
                for oh in 0..<g.OH {
                    let dst = row + oh * g.OW
                    let ih = oh * g.S - g.PAD + kh
                    if ih < 0 || ih >= g.H || cols.isEmpty {
                        dst.update(repeating: 0, count: g.OW)
                        continue
                    }
                    let src = inp + (c * g.H + ih) * g.W + shift
                    dst.update(repeating: 0, count: cols.lowerBound)
                    if g.S == 1 {
                        (dst + cols.lowerBound).update(from: src + cols.lowerBound, count: cols.count)
                    } else {
                        for ow in cols { dst[ow] = src[ow * g.S] }
                    }
                    (dst + cols.upperBound).update(repeating: 0, count: g.OW - cols.upperBound)
                }
            }
        }
    }
}

/// dinp (C, H, W) += the columns of dcol (C*K*K, OH*OW) scattered back where im2col read them.
func col2im(_ dinp: UnsafeMutablePointer<Float>, _ dcol: UnsafePointer<Float>, _ g: ConvGeometry) {
    for c in 0..<g.C {
        for kh in 0..<g.K {
            for kw in 0..<g.K {
                let row = dcol + ((c * g.K + kh) * g.K + kw) * g.P
                let cols = g.validColumns(kw)
                let shift = kw - g.PAD
                for oh in 0..<g.OH {
                    let ih = oh * g.S - g.PAD + kh
                    if ih < 0 || ih >= g.H { continue }
                    let src = row + oh * g.OW
                    let dst = dinp + (c * g.H + ih) * g.W + shift
                    for ow in cols { dst[ow * g.S] += src[ow] }
                }
            }
        }
    }
}

/// The workers a batch of N images is split over: batch-parallel (each worker a block of
/// images, BLAS single-threaded) when every worker gets an image, else one worker and
/// OpenBLAS threads the matrix products.
func convWorkers(_ N: Int) -> Int { N >= Engine.threads ? Engine.threads : 1 }

/// Runs body(worker, images) over the batch split into `workers` contiguous blocks.
func forEachImageBlock(_ N: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
    if workers == 1 {
        body(0, 0..<N)
        return
    }
    BLASThreads.single {
        Engine.parallelFor(workers) { w in body(w, (N * w / workers)..<(N * (w + 1) / workers)) }
    }
}

/// out (N, OC, OH, OW) = conv(inp (N, C, H, W), weight (OC, C, K, K)) + bias (OC).
/// scratch holds workers * scratchPerWorker floats.
func conv2d_forward(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>?, _ N: Int, _ g: ConvGeometry, _ scratch: UnsafeMutablePointer<Float>,
    workers: Int
) {
    let (P, CKK) = (g.P, g.CKK)
    forEachImageBlock(N, workers: workers) { w, images in
        let colBuffer = scratch + w * g.scratchPerWorker
        for n in images {
            let inp_n = inp + n * g.C * g.H * g.W
            let out_n = out + n * g.OC * P
            let col: UnsafePointer<Float>
            if g.isPointwise {
                col = inp_n
            } else {
                im2col(colBuffer, inp_n, g)
                col = UnsafePointer(colBuffer)
            }
            // out_n (OC, P) = weight (OC, CKK) @ col (CKK, P)
            sgemm(transA: false, transB: false, g.OC, P, CKK, weight, lda: CKK, col, ldb: P, beta: 0, out_n, ldc: P)
            if let bias {
                for oc in 0..<g.OC {
                    let b = bias[oc], row = out_n + oc * P
                    for p in 0..<P { row[p] += b }
                }
            }
        }
    }
}

/// dinp (N, C, H, W) += d/dinp, dweight (OC, C, K, K) += d/dweight, dbias (OC) += d/dbias,
/// given dout (N, OC, OH, OW). dinp nil skips the input gradient (a network's first layer).
func conv2d_backward(
    _ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ N: Int, _ g: ConvGeometry, _ scratch: UnsafeMutablePointer<Float>, workers: Int
) {
    let (P, CKK, OC) = (g.P, g.CKK, g.OC)
    let colSize = g.isPointwise ? 0 : CKK * P
    forEachImageBlock(N, workers: workers) { w, images in
        let mine = scratch + w * g.scratchPerWorker
        let (colBuffer, dcol) = (mine, mine + colSize)
        // each worker sums into its own dweight/dbias; they are added in worker order below
        let dw = workers == 1 ? dweight : mine + 2 * colSize
        let db = workers == 1 ? dbias : mine + 2 * colSize + OC * CKK
        if workers > 1 {
            dw.update(repeating: 0, count: OC * CKK)
            db?.update(repeating: 0, count: OC)
        }
        for n in images {
            let inp_n = inp + n * g.C * g.H * g.W
            let dout_n = dout + n * OC * P
            let col: UnsafePointer<Float>
            if g.isPointwise {
                col = inp_n
            } else {
                im2col(colBuffer, inp_n, g)
                col = UnsafePointer(colBuffer)
            }
            // dweight (OC, CKK) += dout_n (OC, P) @ col^T (P, CKK)
            sgemm(transA: false, transB: true, OC, CKK, P, dout_n, lda: P, col, ldb: P, beta: 1, dw, ldc: CKK)
            if let db {
                for oc in 0..<OC { db[oc] += Float(sumOfFloats(dout_n + oc * P, P)) }
            }
            guard let dinp else { continue }
            let dinp_n = dinp + n * g.C * g.H * g.W
            if g.isPointwise {
                // dinp_n (C, P) += weight^T (C, OC) @ dout_n (OC, P)
                sgemm(transA: true, transB: false, CKK, P, OC, weight, lda: CKK, dout_n, ldb: P, beta: 1, dinp_n, ldc: P)
            } else {
                // dcol (CKK, P) = weight^T (CKK, OC) @ dout_n (OC, P)
                sgemm(transA: true, transB: false, CKK, P, OC, weight, lda: CKK, dout_n, ldb: P, beta: 0, dcol, ldc: P)
                col2im(dinp_n, dcol, g)
            }
        }
    }
    if workers > 1 {
        for w in 0..<workers {
            let mine = scratch + w * g.scratchPerWorker + 2 * colSize
            for i in 0..<(OC * CKK) { dweight[i] += mine[i] }
            if let dbias {
                for oc in 0..<OC { dbias[oc] += mine[OC * CKK + oc] }
            }
        }
    }
}

/// nn.Conv2d(in, out, kernel, stride, padding, bias) with square kernels.
public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    /// False skips d(loss)/d(input) (col2im and one matrix product) for a network's first layer.
    public var computesInputGradient = true

    private var input: Tensor?
    private var output: Tensor?
    private var dinput: Tensor?
    private var scratch: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) throws {
        guard inChannels > 0, outChannels > 0, kernelSize > 0, stride > 0, padding >= 0 else {
            throw NNError("Conv2d: channels, kernel_size and stride must be positive and padding >= 0, got in \(inChannels), out \(outChannels), kernel \(kernelSize), stride \(stride), padding \(padding)")
        }
        (self.inChannels, self.outChannels, self.kernelSize, self.stride, self.padding) =
            (inChannels, outChannels, kernelSize, stride, padding)
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Parameter(Tensor(shape: [outChannels, inChannels, kernelSize, kernelSize]))
        initUniform(weight.value, fanIn: fanIn)
        if bias {
            self.bias = Parameter(Tensor(shape: [outChannels]))
            initUniform(self.bias!.value, fanIn: fanIn)
        } else {
            self.bias = nil
        }
    }

    public var ownParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    private func geometry(_ x: Tensor) throws -> ConvGeometry {
        try checkImage(x, channels: inChannels, "Conv2d")
        let g = ConvGeometry(C: inChannels, H: x.shape[2], W: x.shape[3], OC: outChannels, K: kernelSize, S: stride, PAD: padding)
        guard x.shape[2] + 2 * padding >= kernelSize, x.shape[3] + 2 * padding >= kernelSize else {
            throw NNError("Conv2d: input \(x.shape) is smaller than the \(kernelSize)x\(kernelSize) kernel with padding \(padding)")
        }
        return g
    }

    private func scratchBuffer(_ g: ConvGeometry, _ workers: Int) -> UnsafeMutablePointer<Float> {
        Tensor.reuse(&scratch, [workers, g.scratchPerWorker]).data
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let g = try geometry(x)
        let n = x.shape[0]
        let out = Tensor.reuse(&output, [n, outChannels, g.OH, g.OW])
        let workers = convWorkers(n)
        conv2d_forward(out.data, x.data, weight.value.data, bias?.value.data, n, g, scratchBuffer(g, workers), workers: workers)
        input = x
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, output?.shape, "Conv2d")
        guard let x = input else { throw NNError("Conv2d.backward called before forward") }
        let g = try geometry(x)
        let n = x.shape[0]
        let dx = Tensor.reuse(&dinput, x.shape)
        if computesInputGradient { dx.zero() }
        let workers = convWorkers(n)
        conv2d_backward(
            computesInputGradient ? dx.data : nil, weight.grad.data, bias?.grad.data, dout.data, x.data,
            weight.value.data, n, g, scratchBuffer(g, workers), workers: workers)
        return dx
    }
}
