import CKernels
import Foundation
import XCTest

@testable import Native

/// The lane-parallel FFT kernel (CKernels, 8 or 16 frames at a time) against FFTW in double
/// precision, on every code path this CPU has (AVX-512, AVX2, the baseline), and the mel step on
/// each path against librosa.
final class DSPLaneFFTTests: XCTestCase {
    /// Runs `body` once on each code path this CPU runs, best first.
    func onEveryPath(_ body: (String) throws -> Void) rethrows {
        defer { mm_kernels_cap(Int32(MM_ISA_AVX512)) }
        var seen: Set<String> = []
        for isa in [MM_ISA_AVX512, MM_ISA_AVX2, MM_ISA_GENERIC] {
            mm_kernels_cap(Int32(isa))
            guard seen.insert(LaneFFT.isa).inserted else { continue }
            try body(LaneFFT.isa)
        }
    }

    /// |DFT(x w)[k]|^2 by FFTW in double precision.
    func referencePower(_ x: [Float], window: [Float]) -> [Double] {
        let fft = RealFFT<Double>.plan(size: x.count)
        let buffers = RealFFT<Double>.Buffers(size: x.count)
        for i in x.indices { buffers.input[i] = Double(x[i]) * Double(window[i]) }
        fft.transform(buffers)
        return (0..<fft.bins).map {
            buffers.output[2 * $0] * buffers.output[2 * $0] + buffers.output[2 * $0 + 1] * buffers.output[2 * $0 + 1]
        }
    }

    func testPowerSpectraMatchDoublePrecisionFFTWForEverySize() throws {
        var random = Random(seed: 11)
        try onEveryPath { isa in
            for bits in 4...13 {
                let n = 1 << bits
                let fft = try XCTUnwrap(LaneFFT.plan(size: n))
                let window = STFT<Float>.hann(n)
                let scratch = LaneFFT.Scratch(size: n)
                let frames = (0..<scratch.lanes).map { _ in (0..<n).map { _ in Float(random.normal()) } }
                // Lane 5 is a nil frame: zeros.
                let storage = frames.map { frame -> UnsafeMutablePointer<Float> in
                    let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
                    p.initialize(from: frame, count: n)
                    return p
                }
                defer { for p in storage { p.deallocate() } }
                for l in 0..<scratch.lanes { scratch.frames[l] = l == 5 ? nil : UnsafePointer(storage[l]) }
                window.withUnsafeBufferPointer {
                    fft.power(frames: scratch.frames, window: $0.baseAddress!, bins: n / 2 + 1, scratch: scratch)
                }
                for l in 0..<scratch.lanes {
                    let expected =
                        l == 5 ? [Double](repeating: 0, count: n / 2 + 1) : referencePower(frames[l], window: window)
                    let peak = max(expected.max() ?? 0, 1e-30)
                    var worst = 0.0
                    for k in 0...(n / 2) {
                        worst = max(worst, abs(Double(scratch.power[k * scratch.lanes + l]) - expected[k]) / peak)
                    }
                    // Single-precision rounding: a few ulp of the peak.
                    XCTAssertLessThan(worst, 2e-6, "\(isa) n=\(n) lane \(l)")
                }
            }
        }
    }

    /// The kernel's blocks equal FFTW frame by frame for hops that are not multiples of 8 or
    /// equal the frame, with and without centring, on signals whose end falls inside a block.
    func testBlocksEqualFFTWFramesForAnyHopAndPadding() throws {
        var random = Random(seed: 13)
        let long = (0..<30011).map { _ in Float(random.normal()) }
        // 1,024 and 2,048 points fuse the first two stages with the frames' load, which takes
        // evenly spaced frames (hop n/4, away from the ends) by shifting one transpose.
        let cases = [
            (512, 100, true), (512, 100, false), (512, 512, true), (512, 333, true), (512, 37, false),
            (1024, 256, false), (1024, 256, true), (1024, 300, true), (2048, 512, true), (2048, 500, false),
        ]
        for (nFFT, hop, center) in cases {
            try onEveryPath { path in
                let y = nFFT == 512 ? Array(long[..<5003]) : long  // blocks of interior frames for the larger
                let bins = nFFT / 2 + 1
                let stft = try STFT<Float>(nFFT: nFFT, hop: hop, center: center)
                XCTAssertNotNil(stft.lanes)
                let scratch = STFT<Float>.Scratch(nFFT: nFFT)
                var expected: [[Float]] = []
                y.withUnsafeBufferPointer { y in
                    stft.forEachFrame(y, power: 2, scratch: scratch, used: bins) { _, spectrum in
                        expected.append(Array(UnsafeBufferPointer(start: spectrum, count: bins)))
                    }
                }
                var (seen, peak): (Int, Float) = (0, 0)
                y.withUnsafeBufferPointer { y in
                    peak = stft.forEachBlock(y, power: 2, scratch: scratch, used: bins) { t0, frames, block, width in
                        for j in 0..<frames {
                            let peak = max(expected[t0 + j].max() ?? 0, 1e-30)
                            for k in 0..<bins {
                                XCTAssertEqual(
                                    block[k * width + j], expected[t0 + j][k], accuracy: 2e-6 * peak,
                                    "\(path) n_fft \(nFFT) hop \(hop) center \(center) frame \(t0 + j) bin \(k)")
                            }
                        }
                        seen += frames
                    }
                }
                XCTAssertEqual(seen, expected.count, "\(path) n_fft \(nFFT) hop \(hop) center \(center)")
                XCTAssertEqual(peak, y.map(abs).max(), "the peak of every sample, hop \(hop) center \(center)")
            }
        }
    }

    /// The blocks take the signal's peak as they go, every sample once: a NaN or a loud sample
    /// anywhere (the first, one past every frame's end without centring, the last) is found, and
    /// the mel step refuses the signal naming it.
    func testTheBlockPeakSeesEverySample() throws {
        var random = Random(seed: 14)
        let clean = (0..<5003).map { _ in Float(random.normal()) * 0.1 }
        for (hop, center) in [(512, true), (100, false), (37, false)] {
            let stft = try STFT<Float>(nFFT: 512, hop: hop, center: center)
            let scratch = STFT<Float>.Scratch(nFFT: 512)
            let lastFrameEnd = (stft.frameCount(samples: clean.count) - 1) * hop + (center ? 0 : 512)
            for at in Set([0, 2500, min(lastFrameEnd, clean.count - 1), clean.count - 1]) {
                for bad in [Float.nan, -Float.infinity, -1e18] {
                    var y = clean
                    y[at] = bad
                    let peak = y.withUnsafeBufferPointer { y in
                        stft.forEachBlock(y, power: 2, scratch: scratch, used: 257) { _, _, _, _ in }
                    }
                    XCTAssertEqual(
                        peak, bad.isFinite ? abs(bad) : .infinity, "sample \(at), hop \(hop) center \(center)")
                    XCTAssertThrowsError(try stft.checkPeak(peak, of: y))
                }
            }
        }
        var y = [Float](repeating: 0.1, count: 22050)
        y[22049] = .nan
        XCTAssertThrowsError(try MelSpectrogram().logMel(y)) { error in
            XCTAssertEqual((error as? DSPError)?.reason, "sample 22050 is NaN; expected finite samples")
        }
        XCTAssertThrowsError(try MelSpectrogram().batch([[0.1, 0.2], y])) { error in
            XCTAssertEqual("\(error)", "clip 2 of 2: sample 22050 is NaN; expected finite samples")
        }
    }

    /// A frame's power spectrum and mel bands are the same bits in 16 lanes as in 8 on every
    /// path (with AVX-512: its 16 lanes against AVX2's 8).
    func testSixteenLanesEqualEightBitForBit() throws {
        var random = Random(seed: 12)
        let y = (0..<(22050 * 3)).map { _ in Float(random.normal()) * 0.3 }
        let mel = try MelSpectrogram()
        func logMel(lanes: Int) -> [Float] {
            let scratch = STFT<Float>.Scratch(nFFT: 2048)
            scratch.lanes = LaneFFT.Scratch(size: 2048, lanes: lanes)
            return mel.logMel(y, decibels: DecibelOptions(ref: .max, topDB: 80), scratch: scratch).values
        }
        onEveryPath { isa in
            let eight = logMel(lanes: 8)
            let sixteen = logMel(lanes: 16)
            XCTAssertEqual(eight.count, 128 * 130)
            XCTAssertTrue(eight == sixteen, "\(isa): 16 lanes differ from 8")
        }
    }

    func testUnsupportedSizesFallBackToFFTW() {
        XCTAssertNil(LaneFFT.plan(size: 1536))
        XCTAssertNil(LaneFFT.plan(size: 8))
        XCTAssertNotNil(LaneFFT.plan(size: 2048))
    }

    func testLogMelMatchesLibrosaOnEveryCodePath() throws {
        try onEveryPath { isa in try DSPMelTests.assertLogMelMatchesLibrosa("\(isa): ") }
    }

    /// A size the kernel does not take (FFTW frame by frame) gives the projection of FFTW's
    /// power spectrogram, so both routes into the filterbank agree.
    func testNonPowerOfTwoMelEqualsTheFilterbankTimesThePowerSpectrogram() throws {
        var options = MelOptions()
        (options.nFFT, options.hop, options.bands) = (1500, 375, 40)
        let mel = try MelSpectrogram(options)
        XCTAssertNil(mel.stft.lanes)
        let y = try DSPMelTests.input("sine_mix")
        let ours = try mel(y)
        let power = try DSP.powerSpectrogram(y, nFFT: 1500, hop: 375)
        let bank = mel.filterbank
        XCTAssertEqual(ours.frames, power.frames)
        let peak = ours.values.max() ?? 1
        for m in 0..<bank.bands {
            for t in 0..<power.frames {
                var sum: Float = 0
                for k in 0..<bank.bins { sum += bank.weights[m * bank.bins + k] * power.values[k * power.frames + t] }
                XCTAssertEqual(ours.values[m * ours.frames + t], sum, accuracy: 1e-5 * peak, "band \(m) frame \(t)")
            }
        }
    }

    func testMagnitudeSpectraTakeTheSquareRootOnTheKernelPath() throws {
        var options = MelOptions()
        options.power = 1
        let magnitude = try MelSpectrogram(options)
        let y = try DSPMelTests.input("chirp")
        let frames = try DSP.powerSpectrogram(y, nFFT: 2048, hop: 512, power: 1)
        let bank = magnitude.filterbank
        let ours = try magnitude(y)
        let peak = ours.values.max() ?? 1
        for t in stride(from: 0, to: frames.frames, by: 37) {
            for m in stride(from: 0, to: bank.bands, by: 9) {
                var sum: Float = 0
                for k in 0..<bank.bins { sum += bank.weights[m * bank.bins + k] * frames.values[k * frames.frames + t] }
                XCTAssertEqual(ours.values[m * ours.frames + t], sum, accuracy: 1e-5 * peak, "band \(m) frame \(t)")
            }
        }
    }

    /// The fused end of the mel step (decibels, floor, min-max in two passes) equals the
    /// separate steps, for odd lengths, a fixed reference, no floor, and constant input.
    func testFusedDecibelsAndMinMaxEqualTheSeparateSteps() throws {
        var random = Random(seed: 5)
        for count in [1, 7, 8, 9, 1001] {
            let values = (0..<count).map { _ in Float(pow(10, random.uniform(-14, 3))) }
            for options in [
                DecibelOptions(ref: .max, topDB: 80), DecibelOptions(ref: .value(3), topDB: nil),
                DecibelOptions(ref: .value(1), amin: 1e-5, topDB: 20),
            ] {
                let s = Spectrogram(values: values, bins: 1, frames: count)
                var fused = s
                fused.applyDecibels(options, minMax: true)
                let separate = try s.powerToDB(options).minMaxScaled()
                assertClose(fused.values, separate.values, within: 1e-6, "\(count) values, \(options)")
                XCTAssertTrue(fused.values.allSatisfy { $0 >= 0 && $0 <= 1 })
            }
        }
        var silence = Spectrogram(zeros: 3, frames: 5)
        silence.applyDecibels(DecibelOptions(ref: .max), minMax: true)
        XCTAssertEqual(silence.values, [Float](repeating: 0, count: 15))
    }
}
