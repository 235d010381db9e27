// ----------------------------------------------------------------------------
// maxpool2d: x (N, C, H, W) -> out (N, C, OH, OW), OH = (H + 2*PAD - K) / S + 1 (and so for
// windows, strides and padding that differ between rows and columns: KH x KW, SH, SW, PH, PW).
// out[n][c][oh][ow] = max of the K x K window at (oh*S - PAD, ow*S - PAD); padding never wins
// (PyTorch pads with -inf). argmax (N, C, OH, OW) keeps the flat index h*W + w of the winner
// inside its plane, so backward scatters dx[n][c][argmax] += dout; a forward that records
// nothing skips it.

// Separably: a row pass takes, for each input row of an output row's window and each ow, the
// max over the window's columns and where it is; a column pass keeps the first row whose max
// is strictly larger. Both keep the first maximum in row-major window order, as one scan of the
// window does, and the column pass is a vectorisable select over whole rows.

/// A window of window.0 rows by window.1 columns, moved by stride.0 rows and stride.1 columns,
/// padded by padding.0 rows and padding.1 columns.
func maxpool2d_forward(
    _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>?, _ x: UnsafePointer<Float>,
    _ planes: Int, _ H: Int, _ W: Int, _ OH: Int, _ OW: Int, window: (Int, Int), stride: (Int, Int),
    padding: (Int, Int)
) {
    let (KH, K, SH, S, PH, PAD) = (window.0, window.1, stride.0, stride.1, padding.0, padding.1)
    guard let argmax else {
        // Without winners to record (inference): the window's rows reduced column by column
        // first, then the row of maxima across each window, so each input value is compared
        // once or twice instead of carrying an index through every row pass. The same value as
        // the recording path: the largest number of the window, NaN never winning.
        Engine.parallelFor(planes) { p in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(W, 1)) { column in
                let src = x + p * H * W
                for oh in 0..<OH {
                    let h0 = max(0, oh * SH - PH)
                    let h1 = min(H, oh * SH - PH + KH)
                    let v = column.baseAddress!
                    v.update(repeating: -.infinity, count: W)
                    for h in h0..<h1 {
                        let row = src + h * W
                        for w in 0..<W { v[w] = row[w] > v[w] ? row[w] : v[w] }
                    }
                    let dst = out + (p * OH + oh) * OW
                    for ow in 0..<OW {
                        var best = -Float.infinity
                        for w in max(0, ow * S - PAD)..<min(W, ow * S - PAD + K) { best = v[w] > best ? v[w] : best }
                        dst[ow] = best
                    }
                }
            }
        }
        return
    }
    Engine.parallelFor(planes) { p in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: OW) { rowMax in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: OW) { rowArg in
                let src = x + p * H * W
                for oh in 0..<OH {
                    let dst = out + (p * OH + oh) * OW
                    let idx = argmax + (p * OH + oh) * OW
                    let h0 = max(0, oh * SH - PH)
                    let h1 = min(H, oh * SH - PH + KH)
                    for h in h0..<h1 {
                        maxpool_row(rowMax.baseAddress!, rowArg.baseAddress!, src + h * W, W, OW, K: K, S: S, PAD: PAD)
                        let base = Int32(h * W)
                        if h == h0 {
                            dst.update(from: rowMax.baseAddress!, count: OW)
                            for ow in 0..<OW { idx[ow] = base + rowArg[ow] }
                        } else {
                            maxpool_combine(dst, idx, rowMax.baseAddress!, rowArg.baseAddress!, base, OW)
                        }
                    }
                }
            }
        }
    }
}

/// dst[ow], idx[ow] = rowMax[ow], base + rowArg[ow] where rowMax[ow] > dst[ow]: SIMD selects,
/// since a scalar select here compiles to a branch on random data.
@inline(__always)
private func maxpool_combine(
    _ dst: UnsafeMutablePointer<Float>, _ idx: UnsafeMutablePointer<Int32>, _ rowMax: UnsafePointer<Float>,
    _ rowArg: UnsafePointer<Int32>, _ base: Int32, _ OW: Int
) {
    var ow = 0
    while ow + 8 <= OW {
        let m = UnsafeRawPointer(rowMax + ow).loadUnaligned(as: SIMD8<Float>.self)
        var d = UnsafeRawPointer(dst + ow).loadUnaligned(as: SIMD8<Float>.self)
        var i = UnsafeRawPointer(idx + ow).loadUnaligned(as: SIMD8<Int32>.self)
        let wins = m .> d
        d.replace(with: m, where: wins)
        i.replace(with: UnsafeRawPointer(rowArg + ow).loadUnaligned(as: SIMD8<Int32>.self) &+ base, where: wins)
        UnsafeMutableRawPointer(dst + ow).storeBytes(of: d, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(idx + ow).storeBytes(of: i, as: SIMD8<Int32>.self)
        ow += 8
    }
    while ow < OW {
        if rowMax[ow] > dst[ow] { (dst[ow], idx[ow]) = (rowMax[ow], base + rowArg[ow]) }
        ow += 1
    }
}

/// rowMax[ow], rowArg[ow] = the max of row[ow*S - PAD ..< ow*S - PAD + K] (inside 0..<W) and
/// the column of its first occurrence; -inf at the window's first column when nothing beats it.
@inline(__always)
private func maxpool_row(
    _ rowMax: UnsafeMutablePointer<Float>, _ rowArg: UnsafeMutablePointer<Int32>, _ row: UnsafePointer<Float>,
    _ W: Int, _ OW: Int, K: Int, S: Int, PAD: Int
) {
    var ow = 0
    if K == 3 && S == 2 && PAD == 1 {
        // the SE-ResNet stem's pool, 8 outputs at a time from two 16-float loads: window ow
        // holds columns 2ow-1 (left), 2ow (centre), 2ow+1 (right); the scalar loop below takes
        // ow = 0 (no left column) and the tail, where a load would run past the row
        if OW > 0 { maxpool_window(rowMax, rowArg, row, 0, W, K: K, S: S, PAD: PAD) }
        ow = 1
        let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        while 2 * ow + 16 <= W && ow + 8 <= OW {
            let a = UnsafeRawPointer(row + 2 * ow - 1).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(row + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
            let left = lanes &+ Int32(2 * ow - 1)
            var (best, at) = (SIMD8<Float>(repeating: -.infinity), left)
            best.replace(with: a.evenHalf, where: a.evenHalf .> best)
            let centreWins = a.oddHalf .> best
            best.replace(with: a.oddHalf, where: centreWins)
            at.replace(with: left &+ 1, where: centreWins)
            let rightWins = b.oddHalf .> best
            best.replace(with: b.oddHalf, where: rightWins)
            at.replace(with: left &+ 2, where: rightWins)
            UnsafeMutableRawPointer(rowMax + ow).storeBytes(of: best, as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(rowArg + ow).storeBytes(of: at, as: SIMD8<Int32>.self)
            ow += 8
        }
    }
    while ow < OW {
        maxpool_window(rowMax, rowArg, row, ow, W, K: K, S: S, PAD: PAD)
        ow += 1
    }
}

/// rowMax[ow], rowArg[ow] for one window of the row.
@inline(__always)
private func maxpool_window(
    _ rowMax: UnsafeMutablePointer<Float>, _ rowArg: UnsafeMutablePointer<Int32>, _ row: UnsafePointer<Float>,
    _ ow: Int, _ W: Int, K: Int, S: Int, PAD: Int
) {
    let w0 = max(0, ow * S - PAD)
    let w1 = min(W, ow * S - PAD + K)
    var best = -Float.infinity
    var at = w0
    // selects, not branches: which value of a window wins is as good as random
    for w in w0..<w1 {
        let v = row[w]
        let wins = v > best
        best = wins ? v : best
        at = wins ? w : at
    }
    (rowMax[ow], rowArg[ow]) = (best, Int32(at))
}

func maxpool2d_backward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>,
    _ planes: Int, _ HW: Int, _ OHW: Int
) {
    Engine.parallelFor(planes) { p in
        let d = dx + p * HW
        let g = dout + p * OHW
        let idx = argmax + p * OHW
        for i in 0..<OHW { d[Int(idx[i])] += g[i] }
    }
}

/// nn.MaxPool2d(kernel_size, stride, padding): windows, strides and padding square or given
/// as (rows, columns), as TensorFlow's max_pooling2d(pool_size=[4, 1], strides=[2, 2]) has them.
public final class MaxPool2d: Module {
    public let window: (height: Int, width: Int)
    public let strides: (height: Int, width: Int)
    public let pad: (height: Int, width: Int)
    public var isTraining = true
    public var workspace = Workspace()
    // recorded: the input's shape, and (N, C, OH, OW) each winner's index within its input
    // plane, as Int32 in a float tensor's block
    private var inputShape: [Int]?
    private var argmax: Tensor?

    /// The side, stride and padding of a square pool (the rows' otherwise).
    public var kernelSize: Int { window.height }
    public var stride: Int { strides.height }
    public var padding: Int { pad.height }
    public var isSquare: Bool {
        window.height == window.width && strides.height == strides.width && pad.height == pad.width
    }

    public convenience init(kernelSize: Int, stride: Int, padding: Int = 0) throws {
        try self.init(window: (kernelSize, kernelSize), stride: (stride, stride), padding: (padding, padding))
    }

    public init(
        window: (height: Int, width: Int), stride: (height: Int, width: Int),
        padding: (height: Int, width: Int) = (0, 0)
    ) throws {
        guard window.height > 0, window.width > 0, stride.height > 0, stride.width > 0, padding.height >= 0,
            padding.width >= 0, 2 * padding.height <= window.height, 2 * padding.width <= window.width
        else {
            let square =
                window.height == window.width && stride.height == stride.width && padding.height == padding.width
            throw NNError(
                square
                    ? "MaxPool2d: need kernel_size > 0, stride > 0 and 0 <= padding <= kernel_size/2, got \(window.height), \(stride.height), \(padding.height)"
                    : "MaxPool2d: need kernel sizes > 0, strides > 0 and 0 <= padding <= kernel size/2, got \(window), \(stride), \(padding)"
            )
        }
        (self.window, self.strides, self.pad) = (window, stride, padding)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[2] + 2 * pad.height >= window.height, x.shape[3] + 2 * pad.width >= window.width
        else {
            throw NNError(
                "MaxPool2d expects (N, C, H, W) at least as large as the \(window.height)x\(window.width) window, got \(x.shape)"
            )
        }
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let OH = (H + 2 * pad.height - window.height) / strides.height + 1
        let OW = (W + 2 * pad.width - window.width) / strides.width + 1
        let out = workspace.uninitialized([N, C, OH, OW])
        let winners = records ? workspace.uninitialized(out.shape) : nil
        let (k, s, p) = ((window.height, window.width), (strides.height, strides.width), (pad.height, pad.width))
        if let winners {
            winners.data.withMemoryRebound(to: Int32.self, capacity: winners.count) {
                maxpool2d_forward(out.data, $0, x.data, N * C, H, W, OH, OW, window: k, stride: s, padding: p)
            }
        } else {
            maxpool2d_forward(out.data, nil, x.data, N * C, H, W, OH, OW, window: k, stride: s, padding: p)
        }
        (inputShape, argmax) = (winners == nil ? nil : x.shape, winners)
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        try checkGradient(dout, argmax?.shape, "MaxPool2d")
        let (shape, winners) = (inputShape!, argmax!)
        (inputShape, argmax) = (nil, nil)
        let dx = workspace.zeros(shape)
        winners.data.withMemoryRebound(to: Int32.self, capacity: winners.count) {
            maxpool2d_backward(
                dx.data, dout.data, $0, shape[0] * shape[1], shape[2] * shape[3], dout.shape[2] * dout.shape[3])
        }
        return dx
    }
}
