import Foundation
import Native
import XCTest

/// rms, zero_crossing_rate, spectral_centroid, spectral_flatness and mfcc against librosa 0.11.
/// "Within 1e-4 relative" means |ours - ref| <= 1e-4 * max(|ref|, floor), where floor is the
/// stated fraction of the largest |ref| of that clip and feature (values near zero, such as
/// the first or last frame of a clip, are compared on that absolute scale).
final class DSPFeatureTests: XCTestCase {
    func compare(
        _ name: String, floor: Float, file: StaticString = #filePath, line: UInt = #line,
        _ ours: ([Float]) throws -> [Float]
    ) throws {
        for clip in DSPMelTests.clips {
            let expected = try DSPFixtures.array(clip, name)
            let values = try ours(DSPMelTests.input(clip))
            let scale = expected.values.map(abs).max() ?? 0
            assertRelativelyClose(
                values, expected.values, relative: 1e-4, floor: max(scale * floor, 1e-12), "\(clip) \(name)",
                file: file, line: line)
        }
    }

    func testRMSMatchesLibrosa() throws {
        try compare("rms", floor: 1e-3) { try DSP.rms($0) }
    }

    func testZeroCrossingRateMatchesLibrosa() throws {
        try compare("zcr", floor: 1e-3) { try DSP.zeroCrossingRate($0) }
    }

    func testSpectralCentroidMatchesLibrosa() throws {
        try compare("centroid", floor: 1e-3) { try DSP.spectralCentroid($0, rate: 22050) }
    }

    func testSpectralFlatnessMatchesLibrosa() throws {
        try compare("flatness", floor: 1e-3) { try DSP.spectralFlatness($0) }
    }

    func testMFCCMatchesLibrosa() throws {
        try compare("mfcc", floor: 1e-3) { try DSP.mfcc($0, coefficients: 20).values }
    }

    func testSilenceHasZeroRMSZeroCentroidAndUnitFlatness() throws {
        let silence = [Float](repeating: 0, count: 4096)
        XCTAssertEqual(try DSP.rms(silence), [0, 0, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try DSP.spectralCentroid(silence), [Float](repeating: 0, count: 9))
        XCTAssertEqual(try DSP.spectralFlatness(silence), [Float](repeating: 1, count: 9))
        XCTAssertEqual(try DSP.zeroCrossingRate(silence), [Float](repeating: 0, count: 9))
    }

    /// rms sums chunks of gcd(hop, frame_length) samples: any framing equals the definition
    /// frame by frame, and silence after loud audio is exactly 0.
    func testRMSOfAnyFramingIsTheMeanSquareOfEachFrame() throws {
        var random = Random(seed: 4)
        var y = (0..<3001).map { _ in Float(random.normal()) * 100 }
        for i in 2000..<3001 { y[i] = 0 }
        for (frameLength, hop, center) in [(300, 120, true), (300, 120, false), (2048, 512, true), (97, 97, false)] {
            let ours = try DSP.rms(y, frameLength: frameLength, hop: hop, center: center)
            let offset = center ? frameLength / 2 : 0
            for (t, value) in ours.enumerated() {
                let start = t * hop - offset
                var sum = 0.0
                for j in max(0, start)..<min(y.count, start + frameLength) { sum += Double(y[j]) * Double(y[j]) }
                let expected = Float((sum / Double(frameLength)).squareRoot())
                XCTAssertEqual(value, expected, accuracy: 1e-6 * max(expected, 1), "\(frameLength)/\(hop) frame \(t)")
                if start >= 2000 { XCTAssertEqual(value, 0, "\(frameLength)/\(hop) frame \(t) is silent") }
            }
        }
    }

    func testAlternatingSignCrossesEverySample() throws {
        let y: [Float] = (0..<64).map { $0 % 2 == 0 ? 1 : -1 }
        // A frame of 8 has 7 neighbouring pairs; the edge padding repeats the end values.
        let zcr = try DSP.zeroCrossingRate(y, frameLength: 8, hop: 8, center: false)
        XCTAssertEqual(zcr, [Float](repeating: 7.0 / 8.0, count: 8))
    }

    func testFeatureOptionsAreValidated() {
        XCTAssertThrowsError(try DSP.rms([1, 2, 3], frameLength: 0)) {
            XCTAssertTrue("\($0)".hasPrefix("frame_length:"), "\($0)")
        }
        XCTAssertThrowsError(try DSP.rms([1, 2, 3], frameLength: 4, hop: 8)) {
            XCTAssertTrue("\($0)".hasPrefix("hop:"), "\($0)")
        }
        XCTAssertThrowsError(try DSP.rms([])) { XCTAssertTrue("\($0)".hasPrefix("samples:"), "\($0)") }
        XCTAssertThrowsError(try DSP.spectralFlatness([1], amin: 0)) {
            XCTAssertTrue("\($0)".hasPrefix("amin:"), "\($0)")
        }
        XCTAssertThrowsError(try DSP.mfcc([1, 2], coefficients: 200)) {
            XCTAssertTrue("\($0)".hasPrefix("n_mfcc:"), "\($0)")
        }
        XCTAssertThrowsError(try DSP.spectralCentroid([1], rate: 0)) {
            XCTAssertTrue("\($0)".hasPrefix("rate:"), "\($0)")
        }
    }
}
