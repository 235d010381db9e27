import Foundation
import Native
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
            assertRelativelyClose(ours.values, expected.values, relative: 1e-4, floor: max(peak * 1e-6, 1e-30), "\(clip) mel")
        }
    }

    func testLogMelMatchesLibrosaWithin0_01dB() throws {
        let mel = try MelSpectrogram()
        for clip in Self.clips {
            let expected = try DSPFixtures.array(clip, "db")
            let db = try mel(Self.input(clip)).powerToDB(DecibelOptions(ref: .max, topDB: 80))
            assertClose(db.values, expected.values, within: 0.01, "\(clip) power_to_db")
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
