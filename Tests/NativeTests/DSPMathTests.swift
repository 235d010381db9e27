import CKernels
import Foundation
import XCTest

@testable import Native

/// The vector log inside power_to_db (CKernels' mm_power_to_db), against the C library's
/// double-precision log10, on this CPU's code path and on the generic one.
final class DSPMathTests: XCTestCase {
    /// 10 log10(x) / 10 for every x, through mm_power_to_db with ref 1, no floor, no scaling.
    func kernelLog10(_ x: [Float]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { mm_power_to_db($0.baseAddress!, $0.count, 1, 1e-30, -1, 0) }
        return y.map { $0 / 10 }
    }

    func testKernelLog10AgreesWithLog10AcrossTheDecibelRange() {
        defer { mm_kernels_cap(Int32(MM_ISA_AVX512)) }
        // amin = 1e-10 up to huge powers, on a dense geometric grid.
        var grid: [Float] = []
        var x = 1e-12
        while x < 1e12 {
            grid.append(Float(x))
            x *= 1.000_37
        }
        for isa in [MM_ISA_AVX512, MM_ISA_AVX2, MM_ISA_GENERIC] {
            mm_kernels_cap(Int32(isa))
            let ours = kernelLog10(grid)
            var worst: Double = 0
            for (v, l) in zip(grid, ours) { worst = max(worst, abs(Double(l) - log10(Double(v)))) }
            // About 2 ulp of a float result near 12 (10 log10 gives 2e-5 dB).
            XCTAssertLessThan(worst, 2e-6, "max |log10 - log10| on \(LaneFFT.isa)")
        }
    }

    /// The signal check's peak (CKernels' mm_peak_magnitude) on every code path: the largest
    /// magnitude wherever it lies (a negative one too), and infinity for a NaN or an infinity in
    /// the vector body or the tail, for lengths around both vector widths.
    func testPeakMagnitudeFindsThePeakAndEveryNonFiniteValue() {
        defer { mm_kernels_cap(Int32(MM_ISA_AVX512)) }
        var random = Random(seed: 3)
        for isa in [MM_ISA_AVX512, MM_ISA_AVX2, MM_ISA_GENERIC] {
            mm_kernels_cap(Int32(isa))
            let path = String(cString: mm_kernels_isa())
            XCTAssertEqual([Float]().withUnsafeBufferPointer(peakMagnitude), 0, path)
            for count in [1, 7, 8, 15, 16, 17, 33, 1000] {
                var x = (0..<count).map { _ in Float(random.uniform(-1, 1)) }
                for at in Set([0, count / 2, count - 1]) {
                    var y = x
                    y[at] = -3
                    XCTAssertEqual(y.withUnsafeBufferPointer(peakMagnitude), 3, "\(path) \(count) at \(at)")
                    for bad in [Float.nan, .infinity, -.infinity] {
                        y[at] = bad
                        XCTAssertEqual(
                            y.withUnsafeBufferPointer(peakMagnitude), .infinity, "\(path) \(count) \(bad) at \(at)")
                    }
                }
                x = x.map { $0 * 0.5 }
                XCTAssertEqual(x.withUnsafeBufferPointer(peakMagnitude), x.map(abs).max(), "\(path) \(count)")
            }
        }
    }

    func testKernelLog10IsExactAtPowersOfTen() {
        let ours = kernelLog10([1, 10, 1e-10, 7])  // 7: a tail shorter than a vector
        XCTAssertEqual(ours[0], 0)
        XCTAssertEqual(ours[1], 1, accuracy: 1e-7)
        XCTAssertEqual(ours[2], -10, accuracy: 1e-6)
        XCTAssertEqual(ours[3], Float(log10(7.0)), accuracy: 1e-6)
    }

    func testPowerToDBRejectsNaNAndInfinity() {
        for bad: Float in [.nan, .infinity] {
            let s = Spectrogram(values: [1, 2, bad, 4, 5, 6, 7, 8, 9], bins: 3, frames: 3)
            XCTAssertThrowsError(try s.powerToDB()) { XCTAssertTrue("\($0)".contains("index 2"), "\($0)") }
        }
    }
}
