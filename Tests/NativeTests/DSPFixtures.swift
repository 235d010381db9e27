import Foundation
import Native
import XCTest

/// The golden files written by tools/reference/dsp.py (librosa 0.11; versions in manifest.json).
enum DSPFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("dsp")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func array(_ clip: String, _ name: String) throws -> NpyArray {
        try Npy.read(path("\(clip)/\(name).npy"))
    }

    /// A scratch folder removed when the test ends.
    static func scratch(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-dsp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// The largest |a - b|, and where; fails when the lengths differ.
func maxAbsDifference(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) -> (Float, Int) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    var worst: (Float, Int) = (0, -1)
    for i in 0..<min(a.count, b.count) where abs(a[i] - b[i]) > worst.0 || a[i].isNaN != b[i].isNaN {
        worst = (a[i].isNaN || b[i].isNaN ? .infinity : abs(a[i] - b[i]), i)
    }
    return worst
}

/// Asserts |a - b| <= tolerance everywhere, printing the first values and the worst element.
func assertClose(
    _ a: [Float], _ b: [Float], within tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    let (worst, at) = maxAbsDifference(a, b, file: file, line: line)
    XCTAssertLessThanOrEqual(
        worst, tolerance,
        "\(what): max |diff| \(worst) at \(at) (ours \(at >= 0 ? a[at] : 0), ref \(at >= 0 ? b[at] : 0)); first ours \(a.prefix(4)) ref \(b.prefix(4))",
        file: file, line: line)
}

/// Asserts |a - b| <= relative * max(|b|, floor) everywhere.
func assertRelativelyClose(
    _ a: [Float], _ b: [Float], relative: Float, floor: Float, _ what: String, file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "\(what): lengths differ", file: file, line: line)
    var worst: (ratio: Float, at: Int) = (0, -1)
    for i in 0..<min(a.count, b.count) {
        let ratio = abs(a[i] - b[i]) / max(abs(b[i]), floor)
        if !(ratio <= worst.ratio) { worst = (ratio.isNaN ? .infinity : ratio, i) }
    }
    XCTAssertLessThanOrEqual(
        worst.ratio, relative,
        "\(what): worst relative error \(worst.ratio) at \(worst.at) (ours \(worst.at >= 0 ? a[worst.at] : 0), ref \(worst.at >= 0 ? b[worst.at] : 0))",
        file: file, line: line)
}
