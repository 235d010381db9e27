import Foundation
import XCTest

@testable import Native

/// Tests/Fixtures/nn, found from this file's location.
let nnFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/nn")

/// Largest |a - b| / max(|b|, floor) over two equally long sequences, with the index it occurs at.
func maxRelativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-3) -> (error: Float, at: Int) {
    var worst: (Float, Int) = (0, 0)
    for i in a.indices {
        let e = abs(a[i] - b[i]) / max(abs(b[i]), floor)
        if e > worst.0 { worst = (e, i) }
    }
    return worst
}

/// Asserts that `got` matches `expected` element-wise to relative `tolerance` (absolute below
/// `floor`); on failure prints, as llm.c's test does, the first values and the max difference.
@discardableResult
func assertClose(
    _ got: [Float], _ expected: [Float], _ name: String, tolerance: Float, floor: Float = 1e-3,
    file: StaticString = #filePath, line: UInt = #line
) -> Float {
    guard got.count == expected.count else {
        XCTFail("\(name): \(got.count) values, expected \(expected.count)", file: file, line: line)
        return .infinity
    }
    let (err, at) = maxRelativeError(got, expected, floor: floor)
    if err > tolerance {
        let maxDiff = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
        print(
            "MISMATCH \(name): max relative error \(err) at \(at) (got \(got[at]), expected \(expected[at])), max |diff| \(maxDiff)"
        )
        print("  first got:      \(got.prefix(5))")
        print("  first expected: \(expected.prefix(5))")
        XCTFail("\(name): relative error \(err) > \(tolerance)", file: file, line: line)
    }
    return err
}

/// A tensor of standard normal values drawn from a fixed seed.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = Random(seed: seed)
    let t = Tensor(shape: shape)
    for i in 0..<t.count { t[i] = Float(rng.normal()) * scale }
    return t
}

extension SafeTensors.File {
    func f32(_ name: String) throws -> Tensor {
        guard case .f32(let t)? = tensors[name] else { throw NNError("fixture lacks float tensor \(name)") }
        return t
    }
}
