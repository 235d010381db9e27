import XCTest

@testable import Native

/// Conv2d against a direct (seven nested loops, double) convolution, on shapes that take each
/// path of the panel kernel: bands of output rows, groups of images, pointwise without im2col.
final class NNConvolutionTests: XCTestCase {
    private func compareWithDirect(
        n: Int, c: Int, h: Int, w: Int, oc: Int, k: Int, stride: Int, padding: Int, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        try compareWithDirect(
            n: n, c: c, h: h, w: w, oc: oc, kernel: (k, k), stride: stride, pad: (padding, padding, padding, padding),
            file: file, line: line)
    }

    private func compareWithDirect(
        n: Int, c: Int, h: Int, w: Int, oc: Int, kernel: (Int, Int), stride: Int, pad: (Int, Int, Int, Int),
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        Engine.seed(3)
        let (kh, kw) = kernel
        let conv = try Conv2d(c, oc, kernel: kernel, stride: stride, pad: pad)
        let x = randomTensor([n, c, h, w], seed: 1)
        let out = try conv.forward(x)
        let (oh, ow) = (out.shape[2], out.shape[3])
        let dout = randomTensor(out.shape, seed: 2)
        conv.zeroGrad()
        let dx = try conv.backward(dout)
        var expected = [Double](repeating: 0, count: out.count)
        var dxExpected = [Double](repeating: 0, count: x.count)
        var dwExpected = [Double](repeating: 0, count: conv.weight.value.count)
        let wt = conv.weight.value
        for b in 0..<n {
            for o in 0..<oc {
                for y in 0..<oh {
                    for z in 0..<ow {
                        let oi = ((b * oc + o) * oh + y) * ow + z
                        var acc = Double(conv.bias!.value[o])
                        for ci in 0..<c {
                            for i in 0..<kh {
                                for j in 0..<kw {
                                    let (iy, ix) = (y * stride - pad.0 + i, z * stride - pad.2 + j)
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let xi = ((b * c + ci) * h + iy) * w + ix
                                    let wi = ((o * c + ci) * kh + i) * kw + j
                                    acc += Double(x[xi]) * Double(wt[wi])
                                    dxExpected[xi] += Double(dout[oi]) * Double(wt[wi])
                                    dwExpected[wi] += Double(dout[oi]) * Double(x[xi])
                                }
                            }
                        }
                        expected[oi] = acc
                    }
                }
            }
        }
        // float32 sums of O(1) terms: outputs and input gradients (up to C*K*K terms) are judged
        // relative to 1e-2 when smaller, weight gradients (N*OH*OW terms, O(100)) relative to 1
        assertClose(
            out.array, expected.map(Float.init), "forward", tolerance: 1e-4, floor: 1e-2, file: file, line: line)
        assertClose(
            dx.array, dxExpected.map(Float.init), "dinput", tolerance: 1e-4, floor: 1e-2, file: file, line: line)
        assertClose(
            conv.weight.grad.array, dwExpected.map(Float.init), "dweight", tolerance: 1e-4, floor: 1, file: file,
            line: line)
    }

    func testBandsOfOutputRows() throws {
        // C*K*K*OW = 144 * 128 columns: 1 M-float panels hold 56 rows, so 3 bands for 130 rows
        try compareWithDirect(n: 2, c: 16, h: 130, w: 128, oc: 3, k: 3, stride: 1, padding: 1)
    }

    /// Kernels that are not square and padding that differs by side, as musicnn's layers have
    /// them: a tall temporal kernel with TensorFlow's "same" padding (one more row below), a
    /// wide timbral one padded in time only, a one-column kernel over channels; in bands of rows
    /// and in groups of images, stride 1 and 2.
    func testRectangularKernelsAndUnevenPadding() throws {
        try compareWithDirect(n: 2, c: 1, h: 40, w: 12, oc: 3, kernel: (16, 1), stride: 1, pad: (7, 8, 0, 0))
        try compareWithDirect(n: 2, c: 1, h: 20, w: 24, oc: 4, kernel: (7, 9), stride: 1, pad: (3, 3, 0, 0))
        try compareWithDirect(n: 3, c: 5, h: 18, w: 1, oc: 4, kernel: (7, 1), stride: 1, pad: (3, 3, 0, 0))
        try compareWithDirect(n: 2, c: 3, h: 11, w: 13, oc: 2, kernel: (3, 5), stride: 2, pad: (0, 2, 1, 3))
        // bands: 120 kernel taps times 200 columns: 43 rows a band, 3 bands
        try compareWithDirect(n: 1, c: 2, h: 100, w: 200, oc: 2, kernel: (15, 4), stride: 1, pad: (7, 7, 2, 1))
    }

    /// Bands of one image scatter into shared input rows in backward: they run on one worker,
    /// so the input gradient is the same bits on 1 and on 4 threads, run after run (a race
    /// between two bands once gave wrong input gradients under load).
    func testBandsOfOneImageNeverRaceInBackward() throws {
        let saved = Engine.threads
        defer { Engine.threads = saved }
        func gradients(threads: Int) throws -> [Float] {
            Engine.threads = threads
            Engine.seed(3)
            let conv = try Conv2d(16, 3, kernelSize: 3, padding: 1)
            _ = try conv.forward(randomTensor([3, 16, 130, 128], seed: 1))
            return try conv.backward(randomTensor([3, 3, 130, 128], seed: 2)).array + conv.weight.grad.array
        }
        let one = try gradients(threads: 1)
        for _ in 0..<12 { XCTAssertEqual(try gradients(threads: 4), one) }
    }

    func testGroupsOfImagesStrideTwo() throws {
        try compareWithDirect(n: 5, c: 3, h: 9, w: 11, oc: 4, k: 3, stride: 2, padding: 1)
    }

    func testStrideTwoGathersEvenColumnsEightAtATime() throws {
        try compareWithDirect(n: 2, c: 2, h: 6, w: 41, oc: 3, k: 3, stride: 2, padding: 1)
        try compareWithDirect(n: 2, c: 2, h: 5, w: 40, oc: 2, k: 1, stride: 2, padding: 0)
    }

    func testPointwiseBands() throws {
        try compareWithDirect(n: 1, c: 64, h: 70, w: 300, oc: 2, k: 1, stride: 1, padding: 0)
    }

    func testStemSevenBySeven() throws {
        try compareWithDirect(n: 3, c: 1, h: 20, w: 33, oc: 4, k: 7, stride: 2, padding: 3)
    }

    func testSameConvolutionsCopyShiftedPlanes() throws {
        // stride 1 with OW == W: im2col copies whole shifted planes, in groups and in bands
        try compareWithDirect(n: 4, c: 3, h: 6, w: 7, oc: 2, k: 3, stride: 1, padding: 1)
        try compareWithDirect(n: 2, c: 2, h: 5, w: 4, oc: 3, k: 5, stride: 1, padding: 2)
    }

    func testSameConvolutionsOfPlanesNarrowerThanTheShift() throws {
        // a 5x5 kernel over 1- and 2-column planes: shifts of 2 columns move everything out
        try compareWithDirect(n: 3, c: 2, h: 4, w: 1, oc: 2, k: 5, stride: 1, padding: 2)
        try compareWithDirect(n: 2, c: 2, h: 2, w: 2, oc: 2, k: 5, stride: 1, padding: 2)
    }

    func testOneImageUsesThreadedBLAS() throws {
        try compareWithDirect(n: 1, c: 4, h: 12, w: 10, oc: 5, k: 3, stride: 1, padding: 1)
    }
}
