import XCTest

@testable import Native

final class RandomTests: XCTestCase {
    func testSameSeedGivesSameSequence() {
        var a = Random(seed: 42)
        var b = Random(seed: 42)
        for _ in 0..<1000 { XCTAssertEqual(a.next(), b.next()) }
    }

    func testDifferentSeedsDiverge() {
        var a = Random(seed: 1)
        var b = Random(seed: 2)
        XCTAssertNotEqual((0..<8).map { _ in a.next() }, (0..<8).map { _ in b.next() })
    }

    func testUniformMomentsAndRange() {
        var r = Random(seed: 7)
        let xs = (0..<100_000).map { _ in r.uniform() }
        XCTAssertTrue(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = xs.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.01)
    }

    func testNormalMoments() {
        var r = Random(seed: 11)
        let xs = (0..<100_000).map { _ in r.normal() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
    }

    func testBelowCoversRangeWithoutBias() {
        var r = Random(seed: 3)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[Int(r.below(6))] += 1 }
        for c in counts { XCTAssertEqual(Double(c), 10_000, accuracy: 500) }
    }

    func testStreamsAreReproducibleAndDistinct() {
        let base = Random(seed: 5)
        var s1 = base.stream(1)
        var s1again = base.stream(1)
        var s2 = base.stream(2)
        let a = s1.next()
        XCTAssertEqual(a, s1again.next())
        XCTAssertNotEqual(a, s2.next())
    }

    func testStateRoundTripResumesSequence() {
        var r = Random(seed: 9)
        _ = r.next()
        var copy = Random(state: r.state)
        XCTAssertEqual(r.next(), copy.next())
    }

    func testParallelForVisitsEveryIndexOnce() {
        var hits = [Int](repeating: 0, count: 1003)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            Engine.parallelFor(1003) { i in p[i] += 1 }
        }
        XCTAssertEqual(hits, [Int](repeating: 1, count: 1003))
    }
}
