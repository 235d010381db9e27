import CKernels

// ----------------------------------------------------------------------------
// Winograd F(2x2, 3x3) (Lavin & Gray 2016) for stride-1 3x3 convolutions padded by 1 ("same"):
// each 2x2 output tile comes from the 4x4 input tile d around it as
//   Y = A^T [ U ⊙ (B^T d B) ] A,   U = G g G^T (the 3x3 kernel g transformed once),
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1].
// Summed over input channels, the element-wise products become 16 matrix products, one per
// position xi of the 4x4 transform:
//   M_xi (OC, tiles) = U_xi (OC, C) @ V_xi (C, tiles),   V = B^T d B of every tile and channel,
// 16 multiplies per 4 outputs and input channel where the direct convolution (im2col or the
// shifted products) does 36: 2.25x fewer. The transforms add and subtract only (G's halves are
// folded into U), so the result differs from the direct one by float rounding alone (measured
// against it in NNWinogradTests).
//
// Work is cut into units of one image and a band of tile rows, sized so that a unit's V and M
// stay in cache; the units and their products' shapes depend on the geometry alone, never on
// the worker count, so every thread count computes the same bits. The transforms are CKernels'
// (mm_winograd_input, mm_winograd_output): 8 tiles at a time in vector lanes, 16 with AVX-512;
// a tile row's 4 input rows are copied into a zero-padded buffer, and the stride-2 columns of
// neighbouring tiles are the even and odd halves of two vector loads. They only add and subtract,
// so every code path gives the same bits.

/// The tiles of a Winograd F(2x2, 3x3) convolution and its units of work.
struct WinogradPlan {
    let g: ConvGeometry
    /// Tile rows and columns: each tile makes 2 x 2 outputs (the last row or column may reach
    /// past the image, and those outputs are dropped).
    let tilesH: Int, tilesW: Int
    /// Tile rows per unit of work.
    let rowsPerBand: Int
    /// Floats of one zero-padded input row: two per tile in whole groups of 16 tiles, plus 2.
    let paddedWidth: Int

    /// Whole images per unit of the forward where an image has fewer tiles than `groupBelow`,
    /// else 0 (units are bands of one image). Such a unit's 16 products are wide enough to run
    /// at sgemm speed, and all workers share it (the transforms split by tile rows, the products
    /// by xi): a band of the 512-channel 4 x 41 plane made products 21 tiles wide, each
    /// streaming 1 MB of kernels for 0.4 MFLOP.
    let imagesPerGroup: Int

    /// Floats of V and M one unit may hold: 256 K (1 MB), in a core's L2 on this class of machine.
    static let unitBudget = 1 << 18
    /// The forward groups images with fewer tiles than `groupBelow` into units of about
    /// `groupTiles` tiles, whose V and M hold at most `groupBudget` floats (4 M, 16 MB: half
    /// the L3 of this class of machine). Measured on the reference model's 8 x 81 and 4 x 41
    /// planes (Zen 5, batch 16; BENCHMARKS.md): groups of 512, 1,024 and 2,048 tiles within the
    /// spread of each other, 1.1-1.5x the bands of one image; a 16 MB budget no faster than 64.
    /// Images of 512 tiles or more stay in bands: the 16 x 162 plane ran 0.95x grouped, the
    /// 32 x 323 one 0.55x (V and M leave the caches).
    static let groupBelow = 512, groupTiles = 1024, groupBudget = 1 << 22

    init(_ g: ConvGeometry) {
        self.g = g
        (tilesH, tilesW) = ((g.H + 1) / 2, (g.W + 1) / 2)
        // Rows whose V and M fit the budget, but at least C + OC tiles: narrower products lose
        // more to their own overheads than the cache saves (the 128-channel 16 x 162 plane ran
        // 1.06-1.23x with 4 rows of 81 tiles against 1, in three alternating rounds; the
        // 64-channel 32 x 323 one was best at 1 row).
        let fitting = WinogradPlan.unitBudget / (16 * (g.C + g.OC) * tilesW)
        rowsPerBand = max(1, min(tilesH, max(fitting, (g.C + g.OC + tilesW - 1) / tilesW)))
        paddedWidth = 2 * ((tilesW + 15) / 16 * 16) + 2
        let perImage = tilesH * tilesW
        imagesPerGroup =
            perImage >= WinogradPlan.groupBelow
            ? 0
            : max(
                1,
                min(
                    (WinogradPlan.groupTiles + perImage - 1) / perImage,
                    WinogradPlan.groupBudget / (16 * (g.C + g.OC) * perImage)))
    }

    /// Whether a convolution can run as Winograd F(2x2, 3x3): stride 1, a 3x3 kernel, padding 1.
    static func applies(_ g: ConvGeometry) -> Bool {
        g.S == 1 && g.KH == 3 && g.KW == 3 && g.PT == 1 && g.PB == 1 && g.PL == 1 && g.PR == 1
    }

    /// Whether Winograd beats the direct path on a layer (`Conv2d.algorithm` auto), forward
    /// and gradients alike: where it applies, both channel counts reach 16 and the plane holds
    /// 128 positions or more. Winograd / direct at batch 16 on Zen 5 (BENCHMARKS.md), forward
    /// and backward: 64 channels on 32 x 323 1.71x / 1.84x, 128 on 16 x 162 1.56x / 1.70x, 256
    /// on 8 x 81 1.27x / 1.33x, 512 on 4 x 41 1.28x / 1.34x (the last forward 0.74x before small
    /// planes grouped their images; the Xeon's rules then were 2,048 positions forward and 512
    /// backward).
    static func pays(_ g: ConvGeometry) -> Bool {
        applies(g) && g.C >= 16 && g.OC >= 16 && g.H * g.W >= 128
    }

    var bandsPerImage: Int { (tilesH + rowsPerBand - 1) / rowsPerBand }
    /// Tiles in a unit's V and M (its row stride).
    var unitTiles: Int { rowsPerBand * tilesW }
    /// Floats of one worker's scratch: V, M and the 4 padded input rows.
    var workerScratch: Int { 16 * (g.C + g.OC) * unitTiles + 4 * paddedWidth }
    /// Floats of scratch for `workers` workers.
    func scratch(workers: Int) -> Int { workers * workerScratch }
    /// Tiles in a group's V and M (its row stride), where the forward groups images.
    var groupedTiles: Int { imagesPerGroup * tilesH * tilesW }
    /// Floats of scratch `conv2d_forward_winograd` needs with `workers` workers.
    func forwardScratch(workers: Int) -> Int {
        imagesPerGroup == 0 ? scratch(workers: workers) : 16 * (g.C + g.OC) * groupedTiles + workers * 4 * paddedWidth
    }
    /// The workers the forward can keep busy on `images` images, at most `threads` (a group is
    /// shared by all of them).
    func forwardWorkers(images: Int, threads: Int) -> Int {
        max(1, imagesPerGroup == 0 ? min(threads, images * bandsPerImage) : threads)
    }
    /// Floats of the transformed kernels U (16, OC, C).
    var transformedCount: Int { 16 * g.OC * g.C }
}

/// u (16, OC, C) = G g G^T of each 3x3 kernel of weight (OC, C, 3, 3).
func winograd_weights(_ u: UnsafeMutablePointer<Float>, _ weight: UnsafePointer<Float>, _ OC: Int, _ C: Int) {
    Engine.parallelFor(OC) { oc in
        for c in 0..<C {
            let k = weight + (oc * C + c) * 9
            // G g (4 x 3), then (G g) G^T row by row
            for i in 0..<4 {
                var row = (Float(0), Float(0), Float(0))
                for j in 0..<3 {
                    let (a, b, d) = (k[j], k[3 + j], k[6 + j])
                    let value = i == 0 ? a : i == 1 ? 0.5 * (a + b + d) : i == 2 ? 0.5 * (a - b + d) : d
                    if j == 0 { row.0 = value } else if j == 1 { row.1 = value } else { row.2 = value }
                }
                let (a, b, d) = row
                let out = u + (4 * i * OC + oc) * C + c
                let stride = OC * C
                out[0] = a
                out[stride] = 0.5 * (a + b + d)
                out[2 * stride] = 0.5 * (a - b + d)
                out[3 * stride] = d
            }
        }
    }
}

/// A 64-bit hash of `count` floats' bits: whether a layer's weights are the ones its cached
/// transformed kernels came from. FNV-1a over pairs of floats in four interleaved lanes, then
/// the lanes folded in: one multiply chain over single floats showed as 1.2% of the reference
/// model's inference in a profile; four chains over pairs are an eighth as long.
func weightsHash(_ values: UnsafePointer<Float>, _ count: Int) -> UInt64 {
    let prime: UInt64 = 0x0000_0100_0000_01b3
    var lanes: (UInt64, UInt64, UInt64, UInt64) = (0xcbf2_9ce4_8422_2325, 1, 2, 3)
    let pairs = count / 2
    let raw = UnsafeRawPointer(values)
    func pair(_ i: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self) }
    var i = 0
    while i + 4 <= pairs {
        lanes.0 = (lanes.0 ^ pair(i)) &* prime
        lanes.1 = (lanes.1 ^ pair(i + 1)) &* prime
        lanes.2 = (lanes.2 ^ pair(i + 2)) &* prime
        lanes.3 = (lanes.3 ^ pair(i + 3)) &* prime
        i += 4
    }
    while i < pairs {
        lanes.0 = (lanes.0 ^ pair(i)) &* prime
        i += 1
    }
    var hash = lanes.0
    for lane in [lanes.1, lanes.2, lanes.3, UInt64(count)] { hash = (hash ^ lane) &* prime }
    if count % 2 == 1 { hash = (hash ^ UInt64(values[count - 1].bitPattern)) &* prime }
    return hash
}

/// out (N, OC, H, W) = conv(inp (N, C, H, W), weight (OC, C, 3, 3), stride 1, padding 1) + bias,
/// then max(0, .) when relu, by Winograd F(2x2, 3x3), given the kernels transformed by
/// `winograd_weights` (u, 16 x OC x C). scratch holds `plan.scratch(workers:)`.
func conv2d_forward_winograd(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, transformed u: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>?, _ N: Int, _ plan: WinogradPlan, _ scratch: UnsafeMutablePointer<Float>,
    workers: Int, relu: Bool = false
) {
    if plan.imagesPerGroup > 0 {
        conv2d_forward_winograd_grouped(out, inp, transformed: u, bias, N, plan, scratch, workers: workers, relu: relu)
        return
    }
    let g = plan.g
    let (C, OC, HW, ld) = (g.C, g.OC, g.H * g.W, plan.unitTiles)
    let units = N * plan.bandsPerImage
    let walk = { (w: Int) in
        let v = scratch + w * plan.workerScratch
        let m = v + 16 * C * ld
        let padded = m + 16 * OC * ld
        for unit in (units * w / workers)..<(units * (w + 1) / workers) {
            let (n, band) = (unit / plan.bandsPerImage, unit % plan.bandsPerImage)
            let rows = (band * plan.rowsPerBand)..<min(plan.tilesH, (band + 1) * plan.rowsPerBand)
            mm_winograd_input(
                v, ld, inp + n * C * HW, Int32(C), Int32(g.H), Int32(g.W), Int32(plan.tilesW),
                Int32(rows.lowerBound), Int32(rows.count), padded, Int32(plan.paddedWidth))
            let tiles = rows.count * plan.tilesW
            for xi in 0..<16 {
                // M_xi (OC, tiles) = U_xi (OC, C) @ V_xi (C, tiles)
                sgemm(
                    transA: false, transB: false, OC, tiles, C, u + xi * OC * C, lda: C, v + xi * C * ld, ldb: ld,
                    beta: 0, m + xi * OC * ld, ldc: ld)
            }
            mm_winograd_output(
                out + n * OC * HW, m, ld, bias, Int32(OC), Int32(g.H), Int32(g.W), Int32(plan.tilesW),
                Int32(rows.lowerBound), Int32(rows.count), relu ? 1 : 0)
        }
    }
    if workers == 1 {
        BLASThreads.single { walk(0) }
    } else {
        BLASThreads.single { Engine.parallelFor(workers, walk) }
    }
}

/// `conv2d_forward_winograd` on a plan that groups images: one group at a time, with every
/// worker on it; each tile's transforms and each product are computed as with one worker.
private func conv2d_forward_winograd_grouped(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, transformed u: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>?, _ N: Int, _ plan: WinogradPlan, _ scratch: UnsafeMutablePointer<Float>,
    workers: Int, relu: Bool
) {
    let g = plan.g
    let (C, OC, HW, ld, perImage) = (g.C, g.OC, g.H * g.W, plan.groupedTiles, plan.tilesH * plan.tilesW)
    let (v, m) = (scratch, scratch + 16 * C * ld)
    let padding = m + 16 * OC * ld
    BLASThreads.single {
        for first in stride(from: 0, to: N, by: plan.imagesPerGroup) {
            let images = min(plan.imagesPerGroup, N - first)
            let rows = images * plan.tilesH  // the group's tile rows, image by image
            // Each worker's share of the rows, cut where an image ends.
            func eachImageRows(_ w: Int, _ body: (_ image: Int, _ rows: Range<Int>) -> Void) {
                var r = rows * w / workers
                let end = rows * (w + 1) / workers
                while r < end {
                    let image = r / plan.tilesH
                    let stop = min(end, (image + 1) * plan.tilesH)
                    body(image, (r - image * plan.tilesH)..<(stop - image * plan.tilesH))
                    r = stop
                }
            }
            Engine.parallelFor(workers) { w in
                let padded = padding + w * 4 * plan.paddedWidth
                eachImageRows(w) { image, tileRows in
                    mm_winograd_input(
                        v + image * perImage + tileRows.lowerBound * plan.tilesW, ld, inp + (first + image) * C * HW,
                        Int32(C), Int32(g.H), Int32(g.W), Int32(plan.tilesW), Int32(tileRows.lowerBound),
                        Int32(tileRows.count), padded, Int32(plan.paddedWidth))
                }
            }
            let tiles = images * perImage
            Engine.parallelFor(workers) { w in
                for xi in (16 * w / workers)..<(16 * (w + 1) / workers) {
                    // M_xi (OC, tiles) = U_xi (OC, C) @ V_xi (C, tiles)
                    sgemm(
                        transA: false, transB: false, OC, tiles, C, u + xi * OC * C, lda: C, v + xi * C * ld,
                        ldb: ld, beta: 0, m + xi * OC * ld, ldc: ld)
                }
            }
            Engine.parallelFor(workers) { w in
                eachImageRows(w) { image, tileRows in
                    mm_winograd_output(
                        out + (first + image) * OC * HW, m + image * perImage + tileRows.lowerBound * plan.tilesW, ld,
                        bias, Int32(OC), Int32(g.H), Int32(g.W), Int32(plan.tilesW), Int32(tileRows.lowerBound),
                        Int32(tileRows.count), relu ? 1 : 0)
                }
            }
        }
    }
}

// The weight gradient by Winograd: with M_xi = U_xi @ V_xi and Y = A^T M A per tile,
//   dU_xi (OC, C) = sum over tiles dM_xi (OC, tiles) @ V_xi^T (tiles, C),   dM = A dY A^T,
// then dweight = G^T dU G for each kernel (U = G g G^T): 16 products of tile-deep sums where
// the direct gradient makes 36 (2.25x fewer multiplies again), and V is the forward's input
// transform, recomputed unit by unit (keeping it would cost 16 C floats a tile per layer).

extension WinogradPlan {
    /// The weight gradient's units (image x band, as forward cuts them) in contiguous shards,
    /// each with its own partial dU (16 OC C floats), summed in shard order: fixed by the batch
    /// and the geometry, never by the worker count, so every thread count gives the same bits.
    /// At most 16 shards, fewer where their partial sums would pass 8 M floats (32 MB).
    func gradientShards(images: Int) -> [Range<Int>] {
        let units = images * bandsPerImage
        let count = max(1, min(units, 16, (1 << 23) / (16 * g.OC * g.C)))
        return (0..<count).map { (units * $0 / count)..<(units * ($0 + 1) / count) }
    }

    /// Floats of scratch `conv2d_weight_gradient_winograd` needs: each worker's V, dM and padded
    /// rows, then each shard's partial dU.
    func weightGradientScratch(images: Int, workers: Int) -> Int {
        scratch(workers: workers) + gradientShards(images: images).count * transformedCount
    }
}

/// dweight (OC, C, 3, 3) += d(loss)/d(weight) of out = conv(inp, weight) (stride 1, padding 1)
/// given dout (N, OC, H, W), by Winograd F(2x2, 3x3) (above). scratch holds
/// `plan.weightGradientScratch(images: N, workers: workers)` floats.
func conv2d_weight_gradient_winograd(
    _ dweight: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ N: Int,
    _ plan: WinogradPlan, _ scratch: UnsafeMutablePointer<Float>, workers: Int
) {
    let g = plan.g
    let (C, OC, HW, ld) = (g.C, g.OC, g.H * g.W, plan.unitTiles)
    let shards = plan.gradientShards(images: N)
    let workers = min(workers, shards.count)
    let partials = scratch + plan.scratch(workers: workers)
    let walk = { (w: Int) in
        let v = scratch + w * plan.workerScratch
        let dm = v + 16 * C * ld
        let padded = dm + 16 * OC * ld
        for k in stride(from: w, to: shards.count, by: workers) {
            let du = partials + k * plan.transformedCount
            du.update(repeating: 0, count: plan.transformedCount)
            for unit in shards[k] {
                let (n, band) = (unit / plan.bandsPerImage, unit % plan.bandsPerImage)
                let rows = (band * plan.rowsPerBand)..<min(plan.tilesH, (band + 1) * plan.rowsPerBand)
                let (row0, count) = (Int32(rows.lowerBound), Int32(rows.count))
                mm_winograd_input(
                    v, ld, inp + n * C * HW, Int32(C), Int32(g.H), Int32(g.W), Int32(plan.tilesW), row0, count, padded,
                    Int32(plan.paddedWidth))
                mm_winograd_output_gradient(
                    dm, ld, dout + n * OC * HW, Int32(OC), Int32(g.H), Int32(g.W), Int32(plan.tilesW), row0, count,
                    padded, Int32(plan.paddedWidth))
                let tiles = rows.count * plan.tilesW
                for xi in 0..<16 {
                    // dU_xi (OC, C) += dM_xi (OC, tiles) @ V_xi^T (tiles, C)
                    sgemm(
                        transA: false, transB: true, OC, C, tiles, dm + xi * OC * ld, lda: ld, v + xi * C * ld, ldb: ld,
                        beta: 1, du + xi * OC * C, ldc: C)
                }
            }
        }
    }
    BLASThreads.single { Engine.parallelFor(workers, walk) }
    // The shards' dU summed in shard order, then dweight += G^T dU G kernel by kernel.
    nonisolated(unsafe) let dw = dweight
    let count = plan.transformedCount
    Engine.parallelFor(OC) { oc in
        for c in 0..<C {
            var d = SIMD16<Float>()
            for xi in 0..<16 {
                let at = (xi * OC + oc) * C + c
                var sum = partials[at]
                for k in 1..<shards.count { sum += partials[k * count + at] }
                d[xi] = sum
            }
            // t = G^T d (3 x 4), then t G (3 x 3); G^T's rows are (1, ½, ½, 0), (0, ½, -½, 0), (0, ½, ½, 1)
            var t = SIMD16<Float>()  // 12 used
            for j in 0..<4 {
                let (d0, d1, d2, d3) = (d[j], d[4 + j], d[8 + j], d[12 + j])
                t[j] = d0 + 0.5 * d1 + 0.5 * d2
                t[4 + j] = 0.5 * d1 - 0.5 * d2
                t[8 + j] = 0.5 * d1 + 0.5 * d2 + d3
            }
            let kernel = dw + (oc * C + c) * 9
            for p in 0..<3 {
                let (t0, t1, t2, t3) = (t[4 * p], t[4 * p + 1], t[4 * p + 2], t[4 * p + 3])
                kernel[3 * p] += t0 + 0.5 * t1 + 0.5 * t2
                kernel[3 * p + 1] += 0.5 * t1 - 0.5 * t2
                kernel[3 * p + 2] += 0.5 * t1 + 0.5 * t2 + t3
            }
        }
    }
}
