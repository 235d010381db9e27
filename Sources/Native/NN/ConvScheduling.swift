// How a convolution of a batch is split into work: panels of columns, gradient shards and the
// workers that take them, fixed by the batch size so every thread count computes the same bits.

/// The workers a convolution of N images runs on. Its matrix products run single-threaded
/// inside our workers, never on OpenBLAS's threads: OpenBLAS splits a product differently for
/// each thread count, and the rounding with it, while our units of work (panels, gradient
/// shards, images) are fixed by N, so every thread count computes the same bits. The one
/// exception is the forward pass of a single image through a stride-1 "same" convolution (a
/// clip explored in the REPL), which has one unit and lets OpenBLAS thread it.
func convWorkers(_ N: Int, _ g: ConvGeometry, backward: Bool = false) -> Int {
    let units =
        backward ? gradientShards(g.panels(N)).count : g.isSameStrideOne ? N : g.panels(N).count
    return max(1, min(Engine.threads, units))
}

/// One panel: images `images` and, when it holds a single image, its output rows `rows`.
struct ConvPanel {
    let images: Range<Int>
    let rows: Range<Int>
    var columns: Int { images.count * rows.count }
}

/// The shards a batch's panels are split into for the weight gradient, as ranges of `panels`:
/// each shard's panels sum into a dweight of its own, and the shards are added in order. Like
/// the panels, the split never depends on the worker count, so a batch's gradient is the same
/// bits on any number of threads (`--threads 1` and `--threads 8` train the same weights).
/// Eight shards let eight workers run and cost one more pass over the gradient each.
///
/// When images are cut into bands of rows, a shard holds whole images: two bands of one image
/// scatter into the input rows their kernels share (col2im's +=), so they must run on one
/// worker, in order; shards of whole images never write the same input gradient.
func gradientShards(_ panels: [ConvPanel]) -> [Range<Int>] {
    let images = panels.last.map { $0.images.upperBound } ?? 0
    if panels.count > images, images > 0 {
        let count = min(images, 8)
        var starts = [0]
        for k in 1..<count {
            let firstImage = images * k / count
            starts.append(panels.firstIndex { $0.images.lowerBound >= firstImage }!)
        }
        return (0..<count).map { starts[$0]..<($0 + 1 < count ? starts[$0 + 1] : panels.count) }
    }
    let count = max(1, min(panels.count, 8))
    return (0..<count).map { (panels.count * $0 / count)..<(panels.count * ($0 + 1) / count) }
}

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
