import Foundation
import Native
import Synchronization
import XCTest

/// Mel spectrogram, power_to_db and min-max against librosa 0.11 (tools/reference/dsp.py).
final class DSPMelTests: XCTestCase {
    static let clips = ["sine_mix", "chirp", "silence", "stereo44k", "mono48k_24"]

    /// The mono 22050 Hz signal of a fixture clip (silence is stored as its length only).
    static func input(_ clip: String) throws -> [Float] {
        if clip == "silence" { return [Float](repeating: 0, count: 8192) }
        return try DSPFixtures.array(clip, "input").values
    }

    func testMelSpectrogramMatchesLibrosa() throws {
        let mel = try MelSpectrogram()
        for clip in Self.clips {
            let expected = try DSPFixtures.array(clip, "mel")
            let ours = try mel(Self.input(clip))
            XCTAssertEqual(ours.shape, expected.shape, clip)
            // Powers span many decades: compare relative to each value, with a floor of 1e-6 of
            // the clip's peak power (below that the FFT's float32 rounding dominates).
            let peak = expected.values.max() ?? 0
            assertRelativelyClose(
                ours.values, expected.values, relative: 1e-4, floor: max(peak * 1e-6, 1e-30), "\(clip) mel")
        }
    }

    func testLogMelMatchesLibrosaWithin0_01dB() throws {
        try Self.assertLogMelMatchesLibrosa()
    }

    /// power_to_db(melspectrogram(clip), ref=max, top_db=80) within 0.01 dB of librosa's, for
    /// every fixture clip, on the kernels' current code path (`label` names it).
    static func assertLogMelMatchesLibrosa(
        _ label: String = "", file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let mel = try MelSpectrogram()
        for clip in clips {
            let expected = try DSPFixtures.array(clip, "db")
            let db = try mel(input(clip)).powerToDB(DecibelOptions(ref: .max, topDB: 80))
            assertClose(db.values, expected.values, within: 0.01, "\(label)\(clip) power_to_db", file: file, line: line)
        }
    }

    func testMinMaxMatchesWithin1e4() throws {
        let mel = try MelSpectrogram()
        for clip in Self.clips {
            let expected = try DSPFixtures.array(clip, "minmax")
            let scaled = try mel(Self.input(clip)).powerToDB(DecibelOptions(ref: .max)).minMaxScaled()
            assertClose(scaled.values, expected.values, within: 1e-4, "\(clip) minmax")
        }
    }
}

final class DSPMelOptionTests: XCTestCase {
    func testSlaneyFilterbankMatchesLibrosa() throws {
        let expected = try DSPFixtures.array("filters", "slaney")  // sr 22050, n_fft 256, 32 bands, 20-8000 Hz
        let bank = try MelFilterbank(rate: 22050, nFFT: 256, bands: 32, fmin: 20, fmax: 8000)
        XCTAssertEqual([bank.bands, bank.bins], expected.shape)
        assertRelativelyClose(bank.weights, expected.values, relative: 1e-6, floor: 1e-6, "slaney filterbank")
    }

    func testHTKFilterbankMatchesLibrosa() throws {
        let expected = try DSPFixtures.array("filters", "htk")  // sr 16000, n_fft 256, 24 bands, 0 Hz to Nyquist
        let bank = try MelFilterbank(rate: 16000, nFFT: 256, bands: 24, htk: true)
        XCTAssertEqual([bank.bands, bank.bins], expected.shape)
        assertRelativelyClose(bank.weights, expected.values, relative: 1e-6, floor: 1e-6, "htk filterbank")
    }

    func testFrameCountIsOnePlusLengthOverHop() throws {
        let mel = try MelSpectrogram()
        XCTAssertEqual(try mel([Float](repeating: 0.1, count: 22050 * 30)).shape, [128, 1292])
        XCTAssertEqual(try mel([Float](repeating: 0.1, count: 511)).frames, 1)
        XCTAssertEqual(try mel([Float](repeating: 0.1, count: 512)).frames, 2)
    }

    func expectOptionError(
        _ option: String, file: StaticString = #filePath, line: UInt = #line, _ change: (inout MelOptions) -> Void
    ) {
        var options = MelOptions()
        change(&options)
        XCTAssertThrowsError(try MelSpectrogram(options), file: file, line: line) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(option):"), "\(error)", file: file, line: line)
        }
    }

    func testBadOptionsNameTheOption() {
        expectOptionError("n_fft") { $0.nFFT = 0 }
        expectOptionError("hop") { $0.hop = 0 }
        expectOptionError("hop") { $0.hop = 4096 }
        expectOptionError("fmax") { $0.fmax = 12000 }
        expectOptionError("fmin") { $0.fmin = 9000 }
        expectOptionError("fmin") { $0.fmin = -1 }
        expectOptionError("n_mels") { $0.bands = 0 }
        expectOptionError("rate") { $0.rate = 0 }
        expectOptionError("power") { $0.power = 0 }
    }

    func testAudioMustBeMonoAtTheConfiguredRate() throws {
        let mel = try MelSpectrogram()
        XCTAssertThrowsError(try mel(Audio(samples: [0, 0], channels: 2, rate: 22050))) {
            XCTAssertTrue("\($0)".contains("mono"), "\($0)")
        }
        XCTAssertThrowsError(try mel(Audio(samples: [0, 0], channels: 1, rate: 44100))) {
            XCTAssertTrue("\($0)".contains("22050 Hz"), "\($0)")
        }
        XCTAssertThrowsError(try mel([Float]())) { XCTAssertTrue("\($0)".hasPrefix("samples:"), "\($0)") }
    }

    func testPowerToDBWithAFixedReference() throws {
        let s = Spectrogram(values: [1, 10, 100, 0], bins: 2, frames: 2)
        let db = try s.powerToDB(DecibelOptions(ref: .value(10), topDB: nil))
        assertClose(db.values, [-10, 0, 10, -110], within: 1e-4, "ref 10, no floor")
        let floored = try s.powerToDB(DecibelOptions(ref: .value(1), topDB: 15))
        assertClose(floored.values, [5, 10, 20, 5], within: 1e-4, "ref 1, top_db 15")
    }

    func testPowerToDBRejectsBadOptionsAndNegativePowers() {
        let s = Spectrogram(values: [1], bins: 1, frames: 1)
        XCTAssertThrowsError(try s.powerToDB(DecibelOptions(amin: 0))) {
            XCTAssertTrue("\($0)".hasPrefix("amin:"), "\($0)")
        }
        XCTAssertThrowsError(try s.powerToDB(DecibelOptions(topDB: -1))) {
            XCTAssertTrue("\($0)".hasPrefix("top_db:"), "\($0)")
        }
        XCTAssertThrowsError(try Spectrogram(values: [-1], bins: 1, frames: 1).powerToDB())
    }

    func testMinMaxOfAConstantIsAllZeros() {
        let constant = Spectrogram(values: [Float](repeating: -100, count: 6), bins: 2, frames: 3)
        XCTAssertEqual(constant.minMaxScaled().values, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Spectrogram(values: [2, 4, 3], bins: 1, frames: 3).minMaxScaled().values, [0, 1, 0.5])
    }

    func testBatchEqualsOneByOneForAnyThreadCount() throws {
        let mel = try MelSpectrogram()
        var random = Random(seed: 7)
        let clips = (0..<5).map { i in (0..<(6000 + 700 * i)).map { _ in Float(random.uniform(-1, 1)) } }
        let single = try clips.map { try mel($0).powerToDB(DecibelOptions(ref: .max)).minMaxScaled() }
        let saved = Engine.threads
        defer { Engine.threads = saved }
        for threads in [1, 2, 3] {
            Engine.threads = threads
            XCTAssertEqual(
                try mel.batch(clips, decibels: DecibelOptions(ref: .max), minMax: true), single, "\(threads) threads")
        }
    }

    func testBatchNamesTheClipThatIsTooShort() throws {
        XCTAssertThrowsError(try MelSpectrogram().batch([[0.5], []])) {
            XCTAssertTrue("\($0)".hasPrefix("clip 2 of 2:"), "\($0)")
        }
    }
}

final class DSPSpectrogramTests: XCTestCase {
    func testRowMajorIndexing() {
        let s = Spectrogram(values: [1, 2, 3, 4, 5, 6], bins: 2, frames: 3)
        XCTAssertEqual(s[1, 0], 4)
        XCTAssertEqual(Array(s.row(0)), [1, 2, 3])
        XCTAssertEqual(s.shape, [2, 3])
    }

    func testCheckingInitRejectsAMismatchedShape() {
        XCTAssertThrowsError(try Spectrogram(checking: [1, 2, 3], bins: 2, frames: 2)) {
            XCTAssertTrue("\($0)".contains("needs 4 values, got 3"), "\($0)")
        }
    }

    func testNpyRoundTripKeepsTheShape() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("s.npy").path
        let s = Spectrogram(values: [1, 2, 3, 4, 5, 6], bins: 2, frames: 3)
        try Npy.write(s.values, shape: s.shape, to: path)
        let back = try Npy.read(path)
        XCTAssertEqual(try Spectrogram(checking: back.values, bins: back.shape[0], frames: back.shape[1]), s)
    }
}

final class DSPThreadingTests: XCTestCase {
    /// Plans for new sizes are made under the planner lock while other threads execute theirs.
    func testConcurrentPlanningAndExecutionAgreeWithSerial() throws {
        let sizes = [256, 384, 512, 1000, 1024, 2048, 3000, 4096]
        var random = Random(seed: 11)
        let y = (0..<20_000).map { _ in Float(random.uniform(-1, 1)) }
        @Sendable func options(_ n: Int) -> MelOptions {
            var o = MelOptions()
            o.nFFT = n
            o.hop = n / 4
            o.bands = 40
            return o
        }
        let results = Mutex<[Int: Spectrogram]>([:])
        DispatchQueue.concurrentPerform(iterations: sizes.count * 4) { i in
            let n = sizes[i % sizes.count]
            guard let s = try? MelSpectrogram(options(n))(y) else { return XCTFail("n_fft \(n) threw") }
            results.withLock { r in
                if let previous = r[n] { XCTAssertEqual(previous, s, "n_fft \(n)") } else { r[n] = s }
            }
        }
        for n in sizes {
            XCTAssertEqual(results.withLock { $0[n] }, try MelSpectrogram(options(n))(y), "n_fft \(n)")
        }
    }
}

final class DSPAbsurdOptionTests: XCTestCase {
    func testHugeSizesThrowInsteadOfAllocating() {
        var options = MelOptions()
        options.nFFT = 1 << 40
        XCTAssertThrowsError(try MelSpectrogram(options)) { XCTAssertTrue("\($0)".hasPrefix("n_fft:"), "\($0)") }
        options = MelOptions()
        options.bands = 1_000_000
        XCTAssertThrowsError(try MelSpectrogram(options)) { XCTAssertTrue("\($0)".hasPrefix("n_mels:"), "\($0)") }
        let audio = Audio(samples: [Float](repeating: 0, count: 1000), channels: 1, rate: 1)
        XCTAssertThrowsError(try audio.resampled(to: 1_000_000_000)) {
            XCTAssertTrue("\($0)".hasPrefix("rate:"), "\($0)")
        }
    }
}
