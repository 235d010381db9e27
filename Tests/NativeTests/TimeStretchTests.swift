import CFFTW3f
import XCTest

@testable import Native

final class TimeStretchTests: XCTestCase {
    let rate = 22_050

    func tone(_ f: Double, seconds: Double) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(0.5 * sin(2 * Double.pi * f * Double($0) / Double(rate))) }
    }

    /// The frequency of the largest FFT bin of a Hann-windowed 32768-point segment of x,
    /// refined by parabolic interpolation of the log magnitudes around it.
    func peakFrequency(_ x: [Float]) -> Double {
        let n = 32_768
        precondition(x.count >= n)
        let offset = (x.count - n) / 2
        var input = (0..<n).map { x[offset + $0] * Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        var output = [(Float, Float)](repeating: (0, 0), count: n / 2 + 1)
        let plan = fftwf_plan_dft_r2c_1d(Int32(n), &input, &output, UInt32(FFTW_ESTIMATE))
        fftwf_execute(plan)
        fftwf_destroy_plan(plan)
        let magnitude = output.map { Double(($0.0 * $0.0 + $0.1 * $0.1).squareRoot()) }
        let k = magnitude.indices.dropFirst().dropLast().max { magnitude[$0] < magnitude[$1] }!
        let (a, b, c) = (log(magnitude[k - 1]), log(magnitude[k]), log(magnitude[k + 1]))
        let shift = 0.5 * (a - c) / (a - 2 * b + c)
        return (Double(k) + shift) * Double(rate) / Double(n)
    }

    func testOutputLastsInputLengthOverRate() {
        let x = tone(440, seconds: 3)
        for r in [0.7, 0.9, 1.1, 1.25, 1.6, 2.5] {
            let y = timeStretch(x, rate: r, sampleRate: rate)
            XCTAssertEqual(y.count, Int((Double(x.count) / r).rounded()), "rate \(r)")
        }
    }

    func testPitchOfAToneIsKept() {
        let x = tone(440, seconds: 4)
        XCTAssertEqual(peakFrequency(x), 440, accuracy: 0.5)
        for r in [0.8, 1.25, 1.5] {
            let y = timeStretch(x, rate: r, sampleRate: rate)
            XCTAssertEqual(peakFrequency(y), 440, accuracy: 1.0, "rate \(r)")
        }
    }

    func testLevelOfAToneIsKept() {
        let x = tone(330, seconds: 3)
        let y = timeStretch(x, rate: 1.3, sampleRate: rate)
        let rms = { (v: ArraySlice<Float>) in (v.map { Double($0 * $0) }.reduce(0, +) / Double(v.count)).squareRoot() }
        // Away from the ends, WSOLA's windows sum to one and joins are in phase.
        XCTAssertEqual(rms(y[2_000..<(y.count - 2_000)]), rms(x[...]), accuracy: 0.02)
    }

    func testRateOneIsIdentity() {
        let x = tone(220, seconds: 1)
        XCTAssertEqual(timeStretch(x, rate: 1, sampleRate: rate), x)
    }

    func testPulseTrainTempoScales() {
        // Clicks every 0.5 s come out every 0.5 / rate s.
        var x = [Float](repeating: 0, count: 4 * rate)
        for k in 0..<8 {
            for i in 0..<200 { x[k * rate / 2 + i] = Float(sin(Double(i) * 0.3)) * Float(1 - Double(i) / 200) }
        }
        let y = timeStretch(x, rate: 1.25, sampleRate: rate)
        var onsets: [Int] = []
        var i = 0
        while i < y.count {
            if abs(y[i]) > 0.3 {
                onsets.append(i)
                i += rate / 5
            } else {
                i += 1
            }
        }
        XCTAssertGreaterThanOrEqual(onsets.count, 6)
        let gaps = zip(onsets.dropFirst(), onsets).map { Double($0 - $1) / Double(rate) }
        for gap in gaps.dropLast() { XCTAssertEqual(gap, 0.4, accuracy: 0.03) }
    }
}
