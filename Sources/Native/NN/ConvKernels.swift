import Foundation

// The convolution kernels over raw buffers: im2col and col2im, forward (with the shifted
// "same" stride-1 path) and backward. ConvGeometry.swift explains the layout.

/// col[:, 0 ..< (rows.count * OW)] (row stride ld) <- the output rows `rows` of one image
/// inp (C, H, W); padding reads as zero.
func im2col(
    _ col: UnsafeMutablePointer<Float>, ld: Int, _ inp: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>
) {
    if g.S == 1 && g.OW == g.W {
        im2colShifted(col, ld: ld, inp, g, rows: rows)
        return
    }
    for c in 0..<g.C {
        for kh in 0..<g.KH {
            for kw in 0..<g.KW {
                let row = col + ((c * g.KH + kh) * g.KW + kw) * ld
                let cols = g.validColumns(kw)
                let shift = kw - g.PL
                for oh in rows {
                    let dst = row + (oh - rows.lowerBound) * g.OW
                    let ih = oh * g.S - g.PT + kh
                    if ih < 0 || ih >= g.H || cols.isEmpty {
                        dst.update(repeating: 0, count: g.OW)
                        continue
                    }
                    let src = inp + (c * g.H + ih) * g.W + shift
                    zeroFew(dst, cols.lowerBound)
                    if g.S == 1 {
                        (dst + cols.lowerBound).update(from: src + cols.lowerBound, count: cols.count)
                    } else if g.S == 2 {
                        gatherEven(dst, src, cols)
                    } else {
                        for ow in cols { dst[ow] = src[ow * g.S] }
                    }
                    zeroFew(dst + cols.upperBound, g.OW - cols.upperBound)
                }
            }
        }
    }
}

/// dst[ow] = src[2 * ow] for ow in cols: the even lanes of 16 loaded floats, 8 outputs at a
/// time. A vector stops before the last output, so its 16th float still lies in the row.
@inline(__always)
private func gatherEven(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ cols: Range<Int>) {
    var ow = cols.lowerBound
    while ow + 8 < cols.upperBound {
        let v = UnsafeRawPointer(src + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(dst + ow).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
        ow += 8
    }
    while ow < cols.upperBound {
        dst[ow] = src[2 * ow]
        ow += 1
    }
}

/// Zeros `count` floats, usually 0 to 3 at an edge: plain stores, as a memset call per row of
/// col would cost more than the stores.
@inline(__always)
private func zeroFew(_ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    if count > 8 {
        dst.update(repeating: 0, count: count)
        return
    }
    var i = 0
    while i < count {
        dst[i] = 0
        i += 1
    }
}

/// im2col of a stride-1 convolution as wide as its input (OW == W): the row of (c, kh, kw) is
/// plane c shifted by (kh - PT) rows and (kw - PL) columns, so one contiguous copy per row of col
/// (not one per output row) moves it, and zeros then overwrite the rows above or below the plane
/// and the |kw - PL| columns at the edge that the shift wrapped in from the neighbouring row.
private func im2colShifted(
    _ col: UnsafeMutablePointer<Float>, ld: Int, _ inp: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>
) {
    let (W, HW) = (g.W, g.H * g.W)
    for c in 0..<g.C {
        let plane = inp + c * HW
        for kh in 0..<g.KH {
            // output rows whose input row oh + kh - PT lies inside the plane
            let lo = max(rows.lowerBound, g.PT - kh)
            let hi = max(lo, min(rows.upperBound, g.H + g.PT - kh))
            for kw in 0..<g.KW {
                let row = col + ((c * g.KH + kh) * g.KW + kw) * ld
                let shift = kw - g.PL
                row.update(repeating: 0, count: (lo - rows.lowerBound) * W)
                (row + (hi - rows.lowerBound) * W).update(repeating: 0, count: (rows.upperBound - hi) * W)
                guard hi > lo else { continue }
                // dst[j] = plane[start + j] for j in 0..<count, clipped to the plane: what
                // falls outside it lies in an edge column, zeroed below
                let start = (lo + kh - g.PT) * W + shift
                let count = (hi - lo) * W
                let first = max(0, -start)
                let last = min(count, HW - start)
                let dst = row + (lo - rows.lowerBound) * W
                if last > first { (dst + first).update(from: plane + start + first, count: last - first) }
                for r in 0..<(hi - lo) {
                    let line = dst + r * W
                    if shift < 0 {
                        zeroFew(line, min(W, -shift))
                    } else if shift > 0 {
                        zeroFew(line + max(0, W - shift), min(W, shift))
                    }
                }
            }
        }
    }
}

/// dinp (C, H, W) += the columns of dcol (row stride ld) for output rows `rows`, scattered back
/// where im2col read them.
func col2im(
    _ dinp: UnsafeMutablePointer<Float>, _ dcol: UnsafePointer<Float>, ld: Int, _ g: ConvGeometry, rows: Range<Int>
) {
    for c in 0..<g.C {
        for kh in 0..<g.KH {
            for kw in 0..<g.KW {
                let row = dcol + ((c * g.KH + kh) * g.KW + kw) * ld
                let cols = g.validColumns(kw)
                let shift = kw - g.PL
                for oh in rows {
                    let ih = oh * g.S - g.PT + kh
                    if ih < 0 || ih >= g.H { continue }
                    let src = row + (oh - rows.lowerBound) * g.OW
                    let dst = dinp + (c * g.H + ih) * g.W + shift
                    if g.S == 1 {
                        for ow in cols { dst[ow] += src[ow] }
                    } else {
                        for ow in cols { dst[ow * g.S] += src[ow] }
                    }
                }
            }
        }
    }
}

/// The col of a panel (CKK, columns) and its row stride: the input itself for a pointwise
/// conv of one image, else im2col into scratch.
private func panelColumns(_ inp: UnsafePointer<Float>, _ g: ConvGeometry, _ panel: ConvPanel, _ scratch: ConvScratch)
    -> (UnsafePointer<Float>, Int)
{
    let HWC = g.C * g.H * g.W
    if g.isPointwise && panel.images.count == 1 {
        return (inp + panel.images.lowerBound * HWC + panel.rows.lowerBound * g.OW, g.P)
    }
    let ld = panel.columns * g.OW
    for (j, n) in panel.images.enumerated() {
        im2col(scratch.col + j * panel.rows.count * g.OW, ld: ld, inp + n * HWC, g, rows: panel.rows)
    }
    return (UnsafePointer(scratch.col), ld)
}

/// out (N, OC, OH, OW) = conv(inp (N, C, H, W), weight (OC, C, KH, KW)) + bias (OC), then
/// max(0, .) when relu (applied to each panel while it is in cache).
/// scratch holds `forwardScratch(images: N, workers: workers)` floats.
func conv2d_forward(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>?, _ N: Int, _ g: ConvGeometry, _ scratch: UnsafeMutablePointer<Float>, workers: Int,
    relu: Bool = false
) {
    if g.isSameStrideOne {
        conv2d_forward_shifted(out, inp, weight, bias, N, g, scratch, workers: workers, relu: relu)
        return
    }
    let (P, CKK, OC) = (g.P, g.CKK, g.OC)
    forEachPanel(N, g, workers: workers) { w, panel in
        let s = ConvScratch(scratch, g, images: N, worker: w)
        let (col, ldCol) = panelColumns(inp, g, panel, s)
        let width = panel.columns * g.OW
        let n0 = panel.images.lowerBound
        let p0 = panel.rows.lowerBound * g.OW
        if panel.images.count == 1 {
            // out_n[:, p0 ..< p0 + width] (OC, width) = weight (OC, CKK) @ col (CKK, width)
            sgemm(
                transA: false, transB: false, OC, width, CKK, weight, lda: CKK, col, ldb: ldCol, beta: 0,
                out + n0 * OC * P + p0, ldc: P)
        } else {
            // panel (OC, images*P) = weight @ col, then each image's (OC, P) block to its place
            sgemm(
                transA: false, transB: false, OC, width, CKK, weight, lda: CKK, col, ldb: ldCol, beta: 0, s.panel,
                ldc: width)
            for (j, n) in panel.images.enumerated() {
                for oc in 0..<OC { (out + (n * OC + oc) * P).update(from: s.panel + oc * width + j * P, count: P) }
            }
        }
        guard bias != nil || relu else { return }
        for n in panel.images {
            for oc in 0..<OC {
                let b = bias?[oc] ?? 0
                let row = out + (n * OC + oc) * P + p0
                let count = panel.rows.count * g.OW
                if relu {
                    for p in 0..<count { row[p] = max(0, row[p] + b) }
                } else {
                    for p in 0..<count { row[p] += b }
                }
            }
        }
    }
}

/// conv2d_forward of a "same" stride-1 convolution without im2col. For tap t = (kh, kw) the
/// input of image n shifted by s = (kh - PAD) * W + (kw - PAD) is a (C, P) matrix of row stride
/// H*W, so
///   out_n (OC, P) += wk_t (OC, C) @ inp_n[:, p + s]     for the p whose input row is in the plane,
/// one matrix product per tap (the centre tap first, with beta 0: it covers every p), and no
/// column matrix is written: measured 10-15% faster than im2col + one product on the 64- and
/// 128-channel layers. A horizontal shift wraps: at the |kw - PAD| edge columns of each row the
/// product read the neighbouring row's edge instead of padding, so those terms are gathered
/// and taken back with one small product per tap; p whose read would leave the image (the
/// first or last positions of the plane) are left out of the product, as their term is zero.
private func conv2d_forward_shifted(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>?, _ N: Int, _ g: ConvGeometry, _ scratch: UnsafeMutablePointer<Float>, workers: Int,
    relu: Bool
) {
    let (C, H, W, OC, K, PAD) = (g.C, g.H, g.W, g.OC, g.K, g.PAD)
    let (HW, KK) = (H * W, K * K)
    // wk (KK, OC, C) = weight (OC, C, K, K) grouped by tap
    let wk = scratch
    for oc in 0..<OC {
        for c in 0..<C {
            for t in 0..<KK { wk[(t * OC + oc) * C + c] = weight[(oc * C + c) * KK + t] }
        }
    }
    let centre = PAD * K + PAD
    let taps = [centre] + (0..<KK).filter { $0 != centre }
    func image(_ w: Int, _ n: Int) {
        // edges (C, H): gathered wrapped inputs; taken (OC, H): their products
        let edges = scratch + OC * C * KK + w * (C + OC) * H
        let taken = edges + C * H
        let x = inp + n * C * HW
        let y = out + n * OC * HW
        for t in taps {
            let (kh, kw) = (t / K, t % K)
            let lo = max(0, PAD - kh)
            let hi = min(H, H + PAD - kh)
            let shift = (kh - PAD) * W + (kw - PAD)
            let first = max(lo * W, -shift)
            let last = min(hi * W, HW - shift)
            guard last > first else { continue }
            // y[:, first ..< last] (OC, last - first) (+)= wk_t (OC, C) @ x[:, first + shift ...] (C, last - first)
            sgemm(
                transA: false, transB: false, OC, last - first, C, wk + t * OC * C, lda: C, x + first + shift, ldb: HW,
                beta: t == centre ? 0 : 1, y + first, ldc: HW)
            // edge columns whose input column ow + kw - PAD lies outside 0 ..< W
            let wrapped = kw < PAD ? 0..<min(W, PAD - kw) : kw > PAD ? max(0, W - (kw - PAD))..<W : 0..<0
            for ow in wrapped {
                let rows = (lo..<hi).filter { $0 * W + ow >= first && $0 * W + ow < last }
                guard !rows.isEmpty else { continue }
                for c in 0..<C {
                    for (j, oh) in rows.enumerated() { edges[c * rows.count + j] = x[c * HW + oh * W + ow + shift] }
                }
                // taken (OC, rows) = wk_t (OC, C) @ edges (C, rows), then out of y
                sgemm(
                    transA: false, transB: false, OC, rows.count, C, wk + t * OC * C, lda: C, edges, ldb: rows.count,
                    beta: 0, taken, ldc: rows.count)
                for oc in 0..<OC {
                    for (j, oh) in rows.enumerated() { y[oc * HW + oh * W + ow] -= taken[oc * rows.count + j] }
                }
            }
        }
        guard bias != nil || relu else { return }
        for oc in 0..<OC {
            let b = bias?[oc] ?? 0
            let row = y + oc * HW
            if relu {
                for p in 0..<HW { row[p] = max(0, row[p] + b) }
            } else {
                for p in 0..<HW { row[p] += b }
            }
        }
    }
    let walk = { (w: Int) in
        for n in (N * w / workers)..<(N * (w + 1) / workers) { image(w, n) }
    }
    if workers == 1 {
        walk(0)
    } else {
        BLASThreads.single { Engine.parallelFor(workers, walk) }
    }
}

/// dinp (N, C, H, W) += d/dinp, dweight (OC, C, KH, KW) += d/dweight, dbias (OC) += d/dbias,
/// given dout (N, OC, OH, OW). dinp nil skips the input gradient (a network's first layer).
/// The weight gradient is summed shard by shard (`gradientShards`), whatever `workers` is.
/// scratch holds `backwardScratch(images: N, workers: workers)` floats.
func conv2d_backward(
    _ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ N: Int, _ g: ConvGeometry, _ scratch: UnsafeMutablePointer<Float>, workers: Int
) {
    let (P, CKK, OC) = (g.P, g.CKK, g.OC)
    let HWC = g.C * g.H * g.W
    let panels = g.panels(N)
    let shardRanges = gradientShards(panels)
    let shards = shardRanges.count
    let workers = min(workers, shards)
    // After the workers' panel scratch: each shard's dweight (OC * CKK) and dbias (OC).
    let partialSize = OC * CKK + OC
    let partials = scratch + workers * g.panelScratch(N)
    func shard(_ k: Int, worker w: Int) {
        let s = ConvScratch(scratch, g, images: N, worker: w)
        let dw = partials + k * partialSize
        let db = dbias == nil ? nil : dw + OC * CKK
        dw.update(repeating: 0, count: partialSize)
        for panel in panels[shardRanges[k]] {
            let (col, ldCol) = panelColumns(inp, g, panel, s)
            let width = panel.columns * g.OW
            let n0 = panel.images.lowerBound
            let p0 = panel.rows.lowerBound * g.OW
            // the panel's dout (OC, width): in place for one image, gathered for several
            let (d, ldD): (UnsafePointer<Float>, Int)
            if panel.images.count == 1 {
                (d, ldD) = (dout + n0 * OC * P + p0, P)
            } else {
                for (j, n) in panel.images.enumerated() {
                    for oc in 0..<OC { (s.panel + oc * width + j * P).update(from: dout + (n * OC + oc) * P, count: P) }
                }
                (d, ldD) = (UnsafePointer(s.panel), width)
            }
            // dweight (OC, CKK) += dout (OC, width) @ col^T (width, CKK)
            sgemm(transA: false, transB: true, OC, CKK, width, d, lda: ldD, col, ldb: ldCol, beta: 1, dw, ldc: CKK)
            if let db {
                for oc in 0..<OC {
                    for j in 0..<panel.images.count {
                        db[oc] += Float(
                            sumOfFloats(d + oc * ldD + j * (panel.rows.count * g.OW), panel.rows.count * g.OW))
                    }
                }
            }
            guard let dinp else { continue }
            if g.isPointwise && panel.images.count == 1 {
                // dinp_n[:, p0 ..< p0 + width] (C, width) += weight^T (C, OC) @ dout (OC, width)
                sgemm(
                    transA: true, transB: false, CKK, width, OC, weight, lda: CKK, d, ldb: ldD, beta: 1,
                    dinp + n0 * HWC + p0, ldc: P)
                continue
            }
            // dcol (CKK, width) = weight^T (CKK, OC) @ dout (OC, width)
            sgemm(
                transA: true, transB: false, CKK, width, OC, weight, lda: CKK, d, ldb: ldD, beta: 0, s.dcol,
                ldc: width)
            for (j, n) in panel.images.enumerated() {
                col2im(dinp + n * HWC, s.dcol + j * panel.rows.count * g.OW, ld: width, g, rows: panel.rows)
            }
        }
    }
    BLASThreads.single {
        Engine.parallelFor(workers) { w in
            for k in stride(from: w, to: shards, by: workers) { shard(k, worker: w) }
        }
    }
    // The shards' sums in shard order; each worker adds a slice of the entries.
    nonisolated(unsafe) let (dw, first) = (dweight, partials)
    Engine.parallelFor(workers) { w in
        for i in (OC * CKK * w / workers)..<(OC * CKK * (w + 1) / workers) {
            var sum = dw[i]
            for k in 0..<shards { sum += first[k * partialSize + i] }
            dw[i] = sum
        }
    }
    if let dbias {
        for oc in 0..<OC {
            for k in 0..<shards { dbias[oc] += first[k * partialSize + OC * CKK + oc] }
        }
    }
}
