import Foundation
import XCTest

@testable import Native

/// The vector log used by power_to_db, against the C library's double-precision log10.
final class DSPMathTests: XCTestCase {
    func testFastLog10AgreesWithLog10AcrossTheDecibelRange() {
        // amin = 1e-10 up to huge powers, on a dense geometric grid.
        var worst: Double = 0
        var x = 1e-12
        while x < 1e12 {
            let v = Float(x)
            worst = max(worst, abs(Double(fastLog10(v)) - log10(Double(v))))
            x *= 1.000_37
        }
        // About 2 ulp of a float result near 12 (10 log10 gives 2e-5 dB).
        XCTAssertLessThan(worst, 2e-6, "max |fastLog10 - log10|")
    }

    func testFastLog10IsExactAtPowersOfTen() {
        XCTAssertEqual(fastLog10(Float(1)), 0)
        XCTAssertEqual(fastLog10(Float(10)), 1, accuracy: 1e-7)
        XCTAssertEqual(fastLog10(Float(1e-10)), -10, accuracy: 1e-6)
    }

    func testPowerToDBRejectsNaNAndInfinity() {
        for bad: Float in [.nan, .infinity] {
            let s = Spectrogram(values: [1, 2, bad, 4, 5, 6, 7, 8, 9], bins: 3, frames: 3)
            XCTAssertThrowsError(try s.powerToDB()) { XCTAssertTrue("\($0)".contains("index 2"), "\($0)") }
        }
    }
}
