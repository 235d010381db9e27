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
}
