import Foundation

// ----------------------------------------------------------------------------
// conv2d: N images, C input channels of H x W, OC output channels, K x K kernel, stride S,
// zero padding PAD, output OH x OW, P = OH*OW positions, CKK = C*K*K. As a matrix product
// (im2col) over a panel of columns, i.e. of (image, output position) pairs:
//   col (CKK, cols)   col[(c*K + kh)*K + kw][j] = inp[n][c][oh*S - PAD + kh][ow*S - PAD + kw]
//   out (OC, cols)    = weight (OC, CKK) @ col
// Backward:
//   dweight (OC, CKK) += dout (OC, cols) @ col^T
//   dcol (CKK, cols)   = weight^T @ dout,  then col2im scatters dcol into dinp (+=)
// A panel is either a band of output rows of one image (large images: the band's col stays in
// cache instead of streaming a 24 MB col through memory) or a group of whole images (small
// images: a wider matrix product runs nearer the machine's peak). A 1x1 stride-1 unpadded conv
// of one image needs no im2col: its col is the input itself.

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
    /// Stride 1 with an output the size of its input ("same" padding): forward needs no im2col.
    var isSameStrideOne: Bool { S == 1 && K > 1 && OW == W && OH == H }

    /// Floats of col one panel may hold: 1 M (4 MB), so two workers' panels sit in L3.
    static let panelBudget = 1 << 20
    /// Columns below which a matrix product runs visibly under peak. Grouping more images than
    /// that costs more in gathering their outputs than the wider product saves: 512 measured
    /// 8% faster than 2048 on the small model (16x32 and 8x16 planes) and 2% on the reference.
    static let minimumColumns = 512

    /// Output rows per band when one image is split into bands.
    var rowsPerBand: Int { max(1, min(OH, ConvGeometry.panelBudget / max(1, CKK * OW))) }

    /// Images per panel for a worker holding `images` images: enough for `minimumColumns`.
    func imagesPerPanel(_ images: Int) -> Int {
        P >= ConvGeometry.minimumColumns ? 1 : max(1, min(images, (ConvGeometry.minimumColumns + P - 1) / P))
    }

    /// The widest panel a worker holding `images` images uses, in columns.
    func panelColumns(_ images: Int) -> Int {
        let g = imagesPerPanel(images)
        return g > 1 ? g * P : rowsPerBand * OW
    }

    /// Floats of one worker's col, dcol and gathered panel, for the panels of a batch of `images`.
    func panelScratch(_ images: Int) -> Int { 3 * CKK * panelColumns(images) + OC * panelColumns(images) }

    /// Floats of scratch backward needs for a batch of `images` on `workers` workers: each
    /// worker's panel scratch, then each gradient shard's dweight and dbias.
    func backwardScratch(images: Int, workers: Int) -> Int {
        let shards = gradientShards(panels(images).count)
        return min(workers, shards) * panelScratch(images) + shards * (OC * CKK + OC)
    }

    /// The panels of a batch of N images, in order: whole images in groups of
    /// `imagesPerPanel(N)`, or each image's bands of output rows. They depend on N and the
    /// geometry alone, never on the worker count: a panel's matrix products (whose rounding
    /// depends on their width) and so every output are the same bits on any number of threads.
    func panels(_ N: Int) -> [ConvPanel] {
        let group = imagesPerPanel(N)
        if group > 1 {
            return stride(from: 0, to: N, by: group).map { ConvPanel(images: $0..<min(N, $0 + group), rows: 0..<OH) }
        }
        return (0..<N).flatMap { n in
            stride(from: 0, to: OH, by: rowsPerBand).map {
                ConvPanel(images: n..<(n + 1), rows: $0..<min(OH, $0 + rowsPerBand))
            }
        }
    }

    /// Floats of scratch forward needs for a batch of `images` on `workers` workers: the weights
    /// regrouped by tap and, per worker, gathered edge values and their products (C + OC) x H,
    /// when `isSameStrideOne`; else the im2col scratch.
    func forwardScratch(images: Int, workers: Int) -> Int {
        isSameStrideOne
            ? OC * CKK + workers * (C + OC) * H : workers * panelScratch(images)
    }

    /// The output columns ow whose input column ow*S - PAD + kw lies inside 0..<W.
    func validColumns(_ kw: Int) -> Range<Int> {
        let shift = kw - PAD  // iw = ow*S + shift
        let lo = shift >= 0 ? 0 : min(OW, (-shift + S - 1) / S)
        let hi = W - 1 - shift < 0 ? 0 : min(OW, (W - 1 - shift) / S + 1)
        return lo..<max(lo, hi)
    }
}

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
        for kh in 0..<g.K {
            for kw in 0..<g.K {
                let row = col + ((c * g.K + kh) * g.K + kw) * ld
                let cols = g.validColumns(kw)
                let shift = kw - g.PAD
                for oh in rows {
                    let dst = row + (oh - rows.lowerBound) * g.OW
                    let ih = oh * g.S - g.PAD + kh
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

/// im2col of a stride-1 "same" convolution (OW == W): the row of (c, kh, kw) is plane c shifted
/// by (kh - PAD) rows and (kw - PAD) columns, so one contiguous copy per row of col (not one per
/// output row) moves it, and zeros then overwrite the rows above or below the plane and the
/// |kw - PAD| columns at the edge that the shift wrapped in from the neighbouring input row.
private func im2colShifted(
    _ col: UnsafeMutablePointer<Float>, ld: Int, _ inp: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>
) {
    let (W, HW) = (g.W, g.H * g.W)
    for c in 0..<g.C {
        let plane = inp + c * HW
        for kh in 0..<g.K {
            // output rows whose input row oh + kh - PAD lies inside the plane
            let lo = max(rows.lowerBound, g.PAD - kh)
            let hi = max(lo, min(rows.upperBound, g.H + g.PAD - kh))
            for kw in 0..<g.K {
                let row = col + ((c * g.K + kh) * g.K + kw) * ld
                let shift = kw - g.PAD
                row.update(repeating: 0, count: (lo - rows.lowerBound) * W)
                (row + (hi - rows.lowerBound) * W).update(repeating: 0, count: (rows.upperBound - hi) * W)
                guard hi > lo else { continue }
                // dst[j] = plane[start + j] for j in 0..<count, clipped to the plane: what
                // falls outside it lies in an edge column, zeroed below
                let start = (lo + kh - g.PAD) * W + shift
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
        for kh in 0..<g.K {
            for kw in 0..<g.K {
                let row = dcol + ((c * g.K + kh) * g.K + kw) * ld
                let cols = g.validColumns(kw)
                let shift = kw - g.PAD
                for oh in rows {
                    let ih = oh * g.S - g.PAD + kh
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

/// The workers a convolution of N images runs on. Its matrix products run single-threaded
/// inside our workers, never on OpenBLAS's threads: OpenBLAS splits a product differently for
/// each thread count, and the rounding with it, while our units of work (panels, gradient
/// shards, images) are fixed by N, so every thread count computes the same bits. The one
/// exception is the forward pass of a single image through a stride-1 "same" convolution (a
/// clip explored in the REPL), which has one unit and lets OpenBLAS thread it.
func convWorkers(_ N: Int, _ g: ConvGeometry, backward: Bool = false) -> Int {
    let units =
        backward ? gradientShards(g.panels(N).count) : g.isSameStrideOne ? N : g.panels(N).count
    return max(1, min(Engine.threads, units))
}

/// One panel: images `images` and, when it holds a single image, its output rows `rows`.
struct ConvPanel {
    let images: Range<Int>
    let rows: Range<Int>
    var columns: Int { images.count * rows.count }
}

/// The shards a batch's panels are split into for the weight gradient: each shard's panels
/// sum into a dweight of its own, and the shards are added in order. Like the panels, the
/// split never depends on the worker count, so a batch's gradient is the same bits on any
/// number of threads (`--threads 1` and `--threads 8` train the same weights). Eight shards
/// let eight workers run and cost one more pass over the gradient each.
func gradientShards(_ panels: Int) -> Int { max(1, min(panels, 8)) }

/// Runs body(worker, panel) over the batch's panels: worker w takes the contiguous block w.
func forEachPanel(_ N: Int, _ g: ConvGeometry, workers: Int, _ body: (Int, ConvPanel) -> Void) {
    let panels = g.panels(N)
    func walk(_ w: Int) {
        for i in (panels.count * w / workers)..<(panels.count * (w + 1) / workers) { body(w, panels[i]) }
    }
    BLASThreads.single { Engine.parallelFor(workers) { walk($0) } }
}

/// Worker w's scratch: col, dcol, and a gathered panel of out or dout.
struct ConvScratch {
    let col: UnsafeMutablePointer<Float>, dcol: UnsafeMutablePointer<Float>, panel: UnsafeMutablePointer<Float>

    /// Worker w's part of `base`, for the panels of a batch of `images`.
    init(_ base: UnsafeMutablePointer<Float>, _ g: ConvGeometry, images: Int, worker w: Int) {
        let width = g.panelColumns(images)
        col = base + w * g.panelScratch(images)
        dcol = col + g.CKK * width
        panel = dcol + g.CKK * width
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

/// out (N, OC, OH, OW) = conv(inp (N, C, H, W), weight (OC, C, K, K)) + bias (OC), then
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

/// dinp (N, C, H, W) += d/dinp, dweight (OC, C, K, K) += d/dweight, dbias (OC) += d/dbias,
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
    let shards = gradientShards(panels.count)
    let workers = min(workers, shards)
    // After the workers' panel scratch: each shard's dweight (OC * CKK) and dbias (OC).
    let partialSize = OC * CKK + OC
    let partials = scratch + workers * g.panelScratch(N)
    func shard(_ k: Int, worker w: Int) {
        let s = ConvScratch(scratch, g, images: N, worker: w)
        let dw = partials + k * partialSize
        let db = dbias == nil ? nil : dw + OC * CKK
        dw.update(repeating: 0, count: partialSize)
        for panel in panels[(panels.count * k / shards)..<(panels.count * (k + 1) / shards)] {
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

/// nn.Conv2d(in, out, kernel, stride, padding, bias) with square kernels.
public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var isTraining = true
    public var workspace = Workspace()
    /// False skips d(loss)/d(input) (col2im and one matrix product) for a network's first layer.
    public var computesInputGradient = true

    // recorded: the input (dweight needs it)
    private var input: Tensor?

    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true
    ) throws {
        guard inChannels > 0, outChannels > 0, kernelSize > 0, stride > 0, padding >= 0 else {
            throw NNError(
                "Conv2d: channels, kernel_size and stride must be positive and padding >= 0, got in \(inChannels), out \(outChannels), kernel \(kernelSize), stride \(stride), padding \(padding)"
            )
        }
        (self.inChannels, self.outChannels, self.kernelSize, self.stride, self.padding) =
            (inChannels, outChannels, kernelSize, stride, padding)
        let name = "Conv2d(\(inChannels), \(outChannels), \(kernelSize))"
        weight = Parameter(
            try Tensor(checkedShape: [outChannels, inChannels, kernelSize, kernelSize], for: "\(name) weight"))
        let fanIn = inChannels * kernelSize * kernelSize
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
        let g = ConvGeometry(
            C: inChannels, H: x.shape[2], W: x.shape[3], OC: outChannels, K: kernelSize, S: stride, PAD: padding)
        guard x.shape[2] + 2 * padding >= kernelSize, x.shape[3] + 2 * padding >= kernelSize else {
            throw NNError(
                "Conv2d: input \(x.shape) is smaller than the \(kernelSize)x\(kernelSize) kernel with padding \(padding)"
            )
        }
        return g
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try convolve(x, weight.value.data, bias?.value.data, relu: false)
    }

    /// bn(conv(x)), and the ReLU when `bn.appliesReLU`, as one convolution whose weights and bias
    /// carry bn's running statistics: weight' = scale * weight, bias' = scale * bias + shift per
    /// output channel. Evaluation only, with nothing recorded (see `Workspace.withoutRecording`).
    func forward(_ x: Tensor, folding bn: BatchNorm2d) throws -> Tensor {
        precondition(
            !bn.isTraining && !records, "a BatchNorm folds into its convolution only in evaluation without recording")
        bn.forgetRecorded()
        let (scale, shift) = bn.runningAffine()
        let CKK = inChannels * kernelSize * kernelSize
        let w = workspace.uninitialized(weight.value.shape)
        let b = workspace.uninitialized([outChannels])
        let (weights, biases) = (weight.value, bias?.value)
        Engine.parallelFor(outChannels) { oc in
            for k in 0..<CKK { w[oc * CKK + k] = Float(Double(weights[oc * CKK + k]) * scale[oc]) }
            b[oc] = Float(Double(biases?[oc] ?? 0) * scale[oc] + shift[oc])
        }
        return try convolve(x, w.data, b.data, relu: bn.appliesReLU)
    }

    private func convolve(_ x: Tensor, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, relu: Bool) throws
        -> Tensor
    {
        let g = try geometry(x)
        let n = x.shape[0]
        let out = workspace.uninitialized([n, outChannels, g.OH, g.OW])
        let workers = convWorkers(n, g)
        workspace.withScratch(g.forwardScratch(images: n, workers: workers)) {
            conv2d_forward(out.data, x.data, w, b, n, g, $0, workers: workers, relu: relu)
        }
        input = records ? x : nil
        return out
    }

    public func backward(_ dout: Tensor) throws -> Tensor {
        guard let x = input else { throw NNError("Conv2d.backward called before forward") }
        let g = try geometry(x)
        try checkGradient(dout, [x.shape[0], outChannels, g.OH, g.OW], "Conv2d")
        input = nil
        let n = x.shape[0]
        let dx = workspace.zeros(x.shape)
        let workers = convWorkers(n, g, backward: true)
        workspace.withScratch(g.backwardScratch(images: n, workers: workers)) {
            conv2d_backward(
                computesInputGradient ? dx.data : nil, weight.grad.data, bias?.grad.data, dout.data, x.data,
                weight.value.data, n, g, $0, workers: workers)
        }
        return dx
    }
}
