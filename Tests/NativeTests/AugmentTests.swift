import Foundation
import XCTest

@testable import Native

/// Each augmentation's effect, measured.
final class AugmentTests: XCTestCase {
    let rate = 22_050

    func tone(_ hz: Double, seconds: Double = 1, amplitude: Double = 0.5) -> Audio {
        let n = Int(seconds * Double(rate))
        return Audio(
            samples: (0..<n).map { Float(amplitude * sin(2 * .pi * hz * Double($0) / Double(rate))) }, channels: 1,
            rate: rate)
    }

    func noise(_ seconds: Double = 1, seed: UInt64 = 1) -> Audio {
        var r = Random(seed: seed)
        return Audio(
            samples: (0..<Int(seconds * Double(rate))).map { _ in Float(0.1 * r.normal()) }, channels: 1, rate: rate)
    }

    func db(_ x: ArraySlice<Float>) -> Double { 10 * log10(meanSquare(Array(x))) }

    func apply<A: Augmentation>(_ a: A, _ value: A.Value, seed: UInt64 = 3) throws -> A.Value {
        var r = Random(seed: seed)
        return try a.apply(value, random: &r, worker: 0)
    }

    func testPolarityNegatesAndReverseReverses() throws {
        let x = noise()
        XCTAssertEqual(try apply(PolarityInversion(), x).samples, x.samples.map { -$0 })
        XCTAssertEqual(try apply(Reverse(), x).samples, x.samples.reversed())
        let stereo = Audio(samples: [1, 10, 2, 20, 3, 30], channels: 2, rate: rate)
        XCTAssertEqual(try apply(Reverse(), stereo).samples, [3, 30, 2, 20, 1, 10])
    }

    func testGainScalesByTheDrawnDecibels() throws {
        let y = try apply(Gain(decibels: -6...(-6)), tone(440))
        XCTAssertEqual(db(y.samples[...]) - db(tone(440).samples[...]), -6, accuracy: 1e-4)
    }

    func testTimeShiftRollsOrFillsWithSilence() {
        XCTAssertEqual(TimeShift.shifted([1, 2, 3, 4, 5], by: 2, rollover: true), [4, 5, 1, 2, 3])
        XCTAssertEqual(TimeShift.shifted([1, 2, 3, 4, 5], by: -2, rollover: false), [3, 4, 5, 0, 0])
    }

    func testLowPassAttenuatesAHighToneAsDesigned() throws {
        let filter = try BiquadFilter(.lowpass, frequency: 1000...1000)
        let designed = filter.design(frequency: 1000, gain: 0, rate: rate).response(at: 8000, rate: Double(rate))
        XCTAssertLessThan(designed, -35)
        let x = tone(8000)
        let y = try apply(filter, x)
        // Past the first 0.1 s the filter is in its steady state.
        XCTAssertEqual(db(y.samples[2205...]) - db(x.samples[2205...]), designed, accuracy: 0.1)
        XCTAssertEqual(
            db(try apply(filter, tone(100)).samples[2205...]) - db(tone(100).samples[2205...]), 0, accuracy: 0.1)
    }

    func testHighPassBandPassAndPeakingMatchTheirResponses() throws {
        for (filter, probe, expected) in [
            (try BiquadFilter(.highpass, frequency: 2000...2000), 200.0, -40.0),
            (try BiquadFilter(.bandpass, frequency: 1000...1000, q: 2), 1000.0, 0.0),
            (try BiquadFilter(.peaking, frequency: 1000...1000, q: 1, gain: 6...6), 1000.0, 6.0),
        ] {
            let designed = filter.design(frequency: 1000 * (filter.kind == .highpass ? 2 : 1), gain: 6, rate: rate)
                .response(at: probe, rate: Double(rate))
            XCTAssertEqual(designed, expected, accuracy: filter.kind == .highpass ? 2 : 0.01)
            let y = try apply(filter, tone(probe))
            XCTAssertEqual(
                db(y.samples[4410...]) - db(tone(probe).samples[4410...]), designed, accuracy: 0.1, "\(filter.kind)")
        }
    }

    /// A shelf moves one side of its corner by its gain and leaves the other at 0 dB, as
    /// designed and as measured on tones.
    func testShelvesBoostOneSideOfTheirCornerAndLeaveTheOther() throws {
        let low = try BiquadFilter(.lowshelf, frequency: 300...300, gain: 6...6)
        let high = try BiquadFilter(.highshelf, frequency: 3000...3000, gain: -9...(-9))
        for (filter, probe, expected) in [
            (low, 40.0, 6.0), (low, 6000.0, 0.0), (high, 9000.0, -9.0), (high, 100.0, 0.0),
        ] {
            let f = filter.kind == .lowshelf ? 300.0 : 3000.0
            let g = filter.kind == .lowshelf ? 6.0 : -9.0
            let designed = filter.design(frequency: f, gain: g, rate: rate).response(at: probe, rate: Double(rate))
            XCTAssertEqual(designed, expected, accuracy: 0.3, "\(filter.kind) at \(probe) Hz")
            let y = try apply(filter, tone(probe))
            XCTAssertEqual(db(y.samples[4410...]) - db(tone(probe).samples[4410...]), designed, accuracy: 0.15)
        }
    }

    /// The random equaliser changes a sound's balance within its gains and draws the same
    /// filters for the same generator.
    func testEqualizerColoursWithinItsGainsAndRepeatsForASeed() throws {
        let eq = try Equalizer(gain: -6...6)
        let x = noise(2)
        let a = try apply(eq, x, seed: 11)
        XCTAssertEqual(a.samples, try apply(eq, x, seed: 11).samples)
        XCTAssertNotEqual(a.samples, try apply(eq, x, seed: 12).samples)
        // Three sections of at most 6 dB each: at most 18 dB either way at any frequency.
        let level = db(a.samples[...]) - db(x.samples[...])
        XCTAssertLessThan(abs(level), 18)
        XCTAssertNotEqual(level, 0, accuracy: 0.01)
        XCTAssertThrowsError(try Equalizer(gain: -40...6))
    }

    func testColouredNoiseAtTheRequestedSNR() throws {
        let x = tone(440, seconds: 2)
        for colour in ColouredNoise.Colour.allCases {
            let y = try apply(ColouredNoise(colour, snr: 7.5...7.5), x)
            let added = zip(y.samples, x.samples).map { $0 - $1 }
            XCTAssertEqual(10 * log10(meanSquare(x.samples) / meanSquare(added)), 7.5, accuracy: 0.1, "\(colour)")
        }
    }

    func testNoiseColoursTiltTheSpectrum() {
        // Share of the power below 500 Hz: white about 500/11025, pink more, brown nearly all.
        var shares: [Double] = []
        for colour in ColouredNoise.Colour.allCases {
            var r = Random(seed: 5)
            let n = ColouredNoise.generate(colour, count: 4 * rate, rate: rate, &r)
            let low = Biquad.lowpass(500, rate: Double(rate)).filter(n)
            shares.append(meanSquare(low) / meanSquare(n))
        }
        XCTAssertEqual(shares[0], 500.0 / 11025, accuracy: 0.01)
        XCTAssertGreaterThan(shares[1], 3 * shares[0])
        XCTAssertGreaterThan(shares[2], 0.9)
    }

    func testBackgroundNoiseFromAFolderAtTheRequestedSNR() throws {
        let folder = NSTemporaryDirectory() + "noise-folder-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AudioFile.write(noise(0.5, seed: 9), to: folder + "/hiss.wav", format: .wavFloat)
        let augmentation = try BackgroundNoise(folder: folder, snr: 12...12)
        let x = tone(300, seconds: 2)
        let y = try apply(augmentation, x)
        let added = zip(y.samples, x.samples).map { $0 - $1 }
        XCTAssertEqual(10 * log10(meanSquare(x.samples) / meanSquare(added)), 12, accuracy: 0.1)
        XCTAssertThrowsError(try BackgroundNoise(folder: folder + "/none")) { error in
            XCTAssertTrue("\(error)".hasSuffix("none: no noise files in the folder (or no such folder)"))
        }
    }

    func testFFTConvolutionEqualsDirectConvolution() {
        var r = Random(seed: 2)
        let x = (0..<3000).map { _ in Float(r.normal()) }
        let h = (0..<700).map { _ in Float(r.normal()) }
        let fast = convolve(x, h)
        XCTAssertEqual(fast.count, 3699)
        for t in stride(from: 0, to: 3699, by: 37) {
            var direct: Double = 0
            for k in max(0, t - 2999)...min(699, t) { direct += Double(h[k]) * Double(x[t - k]) }
            XCTAssertEqual(Double(fast[t]), direct, accuracy: 1e-3)
        }
    }

    func testReverbTailDecaysSixtyDecibelsInRT60() throws {
        var r = Random(seed: 4)
        let h = Reverb.impulseResponse(rt60: 0.5, rate: rate, &r)
        XCTAssertEqual(meanSquare(h) * Double(h.count), 1, accuracy: 1e-4)
        let window = 1102  // 50 ms
        let start = db(h[0..<window])
        let end = db(h[(h.count - window)...])
        // Energy over the first and last 50 ms: 60 dB apart less the 0.45 s between their centres' shortfall.
        XCTAssertEqual(start - end, 60 * (0.5 - 0.05) / 0.5, accuracy: 3)
        let impulse = Audio(samples: [1] + [Float](repeating: 0, count: rate - 1), channels: 1, rate: rate)
        let y = try apply(Reverb(rt60: 0.5...0.5, wet: 1...1), impulse)
        XCTAssertEqual(y.samples.count, rate)
        XCTAssertGreaterThan(meanSquare(Array(y.samples[1..<2205])), 0)
    }

    func testClippingAndTanhDistortion() throws {
        let x = tone(440)
        let clipped = try apply(Clipping(threshold: 0.5...0.5), x)
        XCTAssertEqual(peak(clipped.samples), 0.25, accuracy: 1e-6)
        let driven = try apply(TanhDistortion(drive: 12...12), x)
        XCTAssertEqual(peak(driven.samples), 0.5, accuracy: 1e-4)
        XCTAssertGreaterThan(meanSquare(driven.samples), 1.5 * meanSquare(x.samples))
    }

    func testLoudnessNormalizationSetsTheRMS() throws {
        let y = try apply(LoudnessNormalization(decibels: -23...(-23)), noise())
        XCTAssertEqual(10 * log10(meanSquare(y.samples)), -23, accuracy: 1e-3)
    }

    /// Upward zero crossings per second: the frequency of a pure tone.
    func frequency(_ x: [Float]) -> Double {
        let middle = x[(x.count / 4)..<(3 * x.count / 4)]
        let crossings = zip(middle, middle.dropFirst()).filter { $0 < 0 && $1 >= 0 }.count
        return Double(crossings) / (Double(middle.count) / Double(rate))
    }

    func testPitchShiftMovesAToneByTheSemitonesAndKeepsTheLength() throws {
        let x = tone(440, seconds: 2)
        let up = try apply(PitchShift(semitones: 12...12), x)
        XCTAssertEqual(up.samples.count, x.samples.count)
        XCTAssertEqual(frequency(up.samples), 880, accuracy: 880 * 0.01)
        let down = try apply(PitchShift(semitones: -3...(-3)), x)
        XCTAssertEqual(frequency(down.samples), 440 * pow(2, -3.0 / 12), accuracy: 4)
        let faster = try apply(TimeStretch(rate: 1.25...1.25), x)
        XCTAssertEqual(faster.samples.count, Int((Double(x.samples.count) / 1.25).rounded()))
        XCTAssertEqual(frequency(faster.samples), 440, accuracy: 4.4)
    }

    func testMasksZeroTheDrawnBands() throws {
        let ones = Spectrogram(values: [Float](repeating: 1, count: 128 * 100), bins: 128, frames: 100)
        let f = try apply(SpectrogramMask(.frequency, width: 10...10), ones)
        XCTAssertEqual(f.values.filter { $0 == 0 }.count, 10 * 100)
        let t = try apply(SpectrogramMask(.time, width: 7...7), ones)
        XCTAssertEqual(t.values.filter { $0 == 0 }.count, 7 * 128)
        let zeroColumns = (0..<100).filter { c in (0..<128).allSatisfy { t[$0, c] == 0 } }
        XCTAssertEqual(zeroColumns.count, 7)
        XCTAssertEqual(zeroColumns.last! - zeroColumns.first!, 6)
    }

    func testBetaDrawsHaveTheBetaMoments() {
        var r = Random(seed: 8)
        let draws = (0..<20_000).map { _ in r.beta(0.4, 0.4) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
        XCTAssertEqual(mean, 0.5, accuracy: 0.01)
        XCTAssertEqual(variance, 0.16 / (0.64 * 1.8), accuracy: 0.005)
        XCTAssertTrue(draws.allSatisfy { (0...1).contains($0) })
    }

    func batch() throws -> Batch {
        let spectrograms = (0..<4).map { n in
            Spectrogram(values: [Float](repeating: Float(n), count: 8 * 20), bins: 8, frames: 20)
        }
        return try Batch.stack(spectrograms, labels: [0, 3, 5, 9])
    }

    func testMixupBlendsInputsAndLabelsByOneLambda() throws {
        let mixed = try apply(BatchMix(.mixup, alpha: 0.4), try batch())
        let targets = try XCTUnwrap(mixed.targets)
        for n in 0..<4 {
            let row = (0..<10).map { targets[n * 10 + $0] }
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-6)
            // Example n is λ n + (1-λ) partner; its own label's share is λ (plus 1-λ if paired with itself).
            let lambda = row[[0, 3, 5, 9][n]]
            let value = mixed.x[n * 160]
            let partner = [0, 3, 5, 9].firstIndex { $0 != [0, 3, 5, 9][n] && row[$0] > 0 }
            let expected = partner.map { lambda * Float(n) + (1 - lambda) * Float($0) } ?? Float(n)
            XCTAssertEqual(value, expected, accuracy: 1e-5)
        }
    }

    func testCutMixReplacesATimeBandAndWeightsLabelsByItsShare() throws {
        let mixed = try apply(BatchMix(.cutmix, alpha: 1), try batch(), seed: 11)
        let targets = try XCTUnwrap(mixed.targets)
        for n in 0..<4 {
            let foreign = (0..<20).filter { mixed.x[n * 160 + $0] != Float(n) }.count
            let own = targets[n * 10 + [0, 3, 5, 9][n]]
            if foreign > 0 { XCTAssertEqual(own, 1 - Float(foreign) / 20, accuracy: 1e-6) }
            XCTAssertEqual((0..<10).map { targets[n * 10 + $0] }.reduce(0, +), 1, accuracy: 1e-6)
        }
    }

    func testPipelineAppliesStepsByProbabilityAndAcceptsCustomSteps() throws {
        /// What a Lua-backed step looks like to the pipeline: any value conforming to Augmentation.
        struct HalfAmplitude: Augmentation {
            func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
                Audio(samples: audio.samples.map { $0 / 2 }, channels: 1, rate: audio.rate)
            }
        }
        let x = noise()
        let always = try AudioPipeline([(PolarityInversion(), probability: 1), (HalfAmplitude(), probability: 1)])
        XCTAssertEqual(try apply(always, x).samples, x.samples.map { -$0 / 2 })
        let never = try AudioPipeline([(HalfAmplitude(), probability: 0)])
        XCTAssertEqual(try apply(never, x).samples, x.samples)
        let half = try AudioPipeline([(PolarityInversion(), probability: 0.5)])
        var r = Random(seed: 1)
        let flipped = try (0..<1000).filter { _ in try half.apply(x, random: &r, worker: 0).samples[0] == -x.samples[0]
        }.count
        XCTAssertEqual(Double(flipped), 500, accuracy: 50)
        XCTAssertThrowsError(try AudioPipeline([(HalfAmplitude(), probability: 1.5)])) { error in
            XCTAssertEqual("\(error)", "probability: expected a probability in [0, 1], got 1.5")
        }
    }
}
