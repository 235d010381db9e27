import Foundation

// ----------------------------------------------------------------------------
// conv2d: N images, C input channels of H x W, OC output channels, KH x KW kernel, stride S,
// zero padding PT, PB rows above and below and PL, PR columns left and right, output OH x OW,
// P = OH*OW positions, CKK = C*KH*KW. As a matrix product (im2col) over a panel of columns,
// i.e. of (image, output position) pairs:
//   col (CKK, cols)   col[(c*KH + kh)*KW + kw][j] = inp[n][c][oh*S - PT + kh][ow*S - PL + kw]
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
    let C: Int, H: Int, W: Int, OC: Int, KH: Int, KW: Int, S: Int
    let PT: Int, PB: Int, PL: Int, PR: Int
    let OH: Int, OW: Int

    init(C: Int, H: Int, W: Int, OC: Int, KH: Int, KW: Int, S: Int, PT: Int, PB: Int, PL: Int, PR: Int) {
        (self.C, self.H, self.W, self.OC, self.KH, self.KW, self.S) = (C, H, W, OC, KH, KW, S)
        (self.PT, self.PB, self.PL, self.PR) = (PT, PB, PL, PR)
        OH = (H + PT + PB - KH) / S + 1
        OW = (W + PL + PR - KW) / S + 1
    }

    /// A square kernel with the same padding on every side.
    init(C: Int, H: Int, W: Int, OC: Int, K: Int, S: Int, PAD: Int) {
        self.init(C: C, H: H, W: W, OC: OC, KH: K, KW: K, S: S, PT: PAD, PB: PAD, PL: PAD, PR: PAD)
    }

    /// The side and padding of a square, evenly padded kernel (`isSquare`).
    var K: Int { KH }
    var PAD: Int { PT }
    var isSquare: Bool { KH == KW && PT == PB && PL == PR && PT == PL }

    var P: Int { OH * OW }
    var CKK: Int { C * KH * KW }
    var isPointwise: Bool { KH == 1 && KW == 1 && S == 1 && PT == 0 && PB == 0 && PL == 0 && PR == 0 }
    /// Stride 1 with an output the size of its input ("same" padding) and a square kernel:
    /// forward needs no im2col.
    var isSameStrideOne: Bool { isSquare && S == 1 && K > 1 && OW == W && OH == H }

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
        let shards = gradientShards(panels(images)).count
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

    /// The output columns ow whose input column ow*S - PL + kw lies inside 0..<W.
    func validColumns(_ kw: Int) -> Range<Int> {
        let shift = kw - PL  // iw = ow*S + shift
        let lo = shift >= 0 ? 0 : min(OW, (-shift + S - 1) / S)
        let hi = W - 1 - shift < 0 ? 0 : min(OW, (W - 1 - shift) / S + 1)
        return lo..<max(lo, hi)
    }
}
