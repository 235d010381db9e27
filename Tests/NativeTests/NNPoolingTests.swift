import XCTest

@testable import Native

/// MaxPool2d against a direct scan of each window in row-major order, on values with many ties:
/// the first maximum wins, as in PyTorch, whether or not the forward records its winners.
final class NNPoolingTests: XCTestCase {
    func testMaxPoolTakesTheFirstMaximumOfEachWindow() throws {
        // 37 columns: the stem pool's 8-wide vectors, its first column and a scalar tail
        let (n, c, h, w) = (2, 3, 9, 37)
        var rng = Random(seed: 4)
        let x = try Tensor(shape: [n, c, h, w], values: (0..<(n * c * h * w)).map { _ in Float(rng.below(4)) })
        let pool = try MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        let out = try pool.forward(x)
        let (oh, ow) = (out.shape[2], out.shape[3])
        let dout = randomTensor(out.shape, seed: 5)
        let dx = try pool.backward(dout)
        var expected = [Float](repeating: 0, count: out.count)
        var dxExpected = [Float](repeating: 0, count: x.count)
        for p in 0..<(n * c) {
            for y in 0..<oh {
                for z in 0..<ow {
                    var (best, at) = (-Float.infinity, -1)
                    for iy in max(0, 2 * y - 1)..<min(h, 2 * y + 2) {
                        for ix in max(0, 2 * z - 1)..<min(w, 2 * z + 2) where x[p * h * w + iy * w + ix] > best {
                            (best, at) = (x[p * h * w + iy * w + ix], iy * w + ix)
                        }
                    }
                    expected[(p * oh + y) * ow + z] = best
                    dxExpected[p * h * w + at] += dout[(p * oh + y) * ow + z]
                }
            }
        }
        XCTAssertEqual(out.array, expected)
        XCTAssertEqual(dx.array, dxExpected)
        XCTAssertEqual(try pool.workspace.withoutRecording { try pool.forward(x) }.array, expected)
    }

    /// Windows, strides and padding that differ between rows and columns (musicnn's VGG pools
    /// 4 x 1 windows every 2 x 2), against the direct scan, forward and backward.
    func testRectangularWindowsAndStrides() throws {
        for (window, stride, padding) in [((4, 1), (2, 2), (0, 0)), ((2, 3), (1, 2), (1, 1)), ((4, 4), (4, 4), (0, 0))]
        {
            let (n, c, h, w) = (2, 2, 11, 13)
            var rng = Random(seed: 5)
            let x = try Tensor(shape: [n, c, h, w], values: (0..<(n * c * h * w)).map { _ in Float(rng.below(5)) })
            let pool = try MaxPool2d(window: window, stride: stride, padding: padding)
            let out = try pool.forward(x)
            let (oh, ow) = (
                (h + 2 * padding.0 - window.0) / stride.0 + 1, (w + 2 * padding.1 - window.1) / stride.1 + 1
            )
            XCTAssertEqual(out.shape, [n, c, oh, ow])
            let dout = randomTensor(out.shape, seed: 6)
            let dx = try pool.backward(dout)
            var expectedDx = [Float](repeating: 0, count: x.count)
            for p in 0..<(n * c) {
                for i in 0..<oh {
                    for j in 0..<ow {
                        var (best, at) = (-Float.infinity, -1)
                        for a in 0..<window.0 {
                            for b in 0..<window.1 {
                                let (y, z) = (i * stride.0 - padding.0 + a, j * stride.1 - padding.1 + b)
                                guard y >= 0, y < h, z >= 0, z < w else { continue }
                                let v = x[(p * h + y) * w + z]
                                if v > best { (best, at) = (v, (p * h + y) * w + z) }
                            }
                        }
                        let o = (p * oh + i) * ow + j
                        XCTAssertEqual(out[o], best, "\(window) \(stride) \(padding)")
                        expectedDx[at] += dout[o]
                    }
                }
            }
            XCTAssertEqual(dx.array, expectedDx, "\(window) \(stride) \(padding)")
            let inference = try pool.workspace.withoutRecording { try pool.forward(x) }
            XCTAssertEqual(inference.array, out.array, "\(window) \(stride) \(padding) without recording")
        }
    }

    /// Inference's column-first pass gives what the recording pass gives where NaN and
    /// infinities sit in the windows: NaN never wins, an all-NaN window gives -infinity.
    func testNaNAndInfinitiesPoolAlikeWithAndWithoutRecording() throws {
        let (n, c, h, w) = (1, 2, 7, 19)
        var rng = Random(seed: 7)
        let special: [Float] = [.nan, .infinity, -.infinity]
        var values = (0..<(n * c * h * w)).map { _ in Float(rng.uniform(-1, 1)) }
        for i in stride(from: 0, to: values.count, by: 5) { values[i] = special[i % 3] }
        for i in 0..<9 { values[(i / 3) * w + i % 3] = .nan }  // the first window: NaN only
        let x = try Tensor(shape: [n, c, h, w], values: values)
        let pool = try MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        let recorded = try pool.forward(x).array
        let inferred = try pool.workspace.withoutRecording { try pool.forward(x) }.array
        XCTAssertFalse(recorded.contains { $0.isNaN })
        XCTAssertEqual(inferred, recorded)
    }
}
