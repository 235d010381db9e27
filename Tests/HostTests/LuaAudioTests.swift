import Foundation
import XCTest

@testable import Host

/// mm.audio: buffers from files, their fields and methods, and the errors of bad input.
final class LuaAudioTests: XCTestCase {
    let wav = LuaFixtures.path("dsp/stereo44k.wav")
    let flac = LuaFixtures.path("dsp/mono48k_24.flac")

    func testLoadKeepsTheFileAsStored() throws {
        let r = try LuaState().evaluate(
            """
            local a = mm.audio.load('\(wav)')
            return a.rate, a.channels, a.frames, #a, a.duration, tostring(a)
            """)
        XCTAssertEqual(r, ["44100", "2", "11025", "11025", "0.25", "audio: 2 ch, 44100 Hz, 0.25 s"])
    }

    func testInfoReadsTheHeaderOnly() throws {
        let r = try LuaState().evaluate(
            """
            local i = mm.audio.info('\(flac)')
            return i.rate, i.channels, i.frames, i.format
            """)
        XCTAssertEqual(r, ["48000", "1", "14400", "FLAC PCM_24"])
    }

    func testMonoThenResampleIsLibrosaLoad() throws {
        // input.npy is librosa.load(path, sr=22050, mono=True) of the same file.
        let worst = try LuaState().number(
            """
            local y = mm.audio.load('\(wav)'):mono():resample(22050)
            local ref = mm.npy.load('\(LuaFixtures.path("dsp/stereo44k/input.npy"))')
            assert(y.frames == ref:numel(), 'length ' .. y.frames .. ' vs ' .. ref:numel())
            local d = y:to_tensor() - ref
            return math.sqrt((d * d):max())
            """)
        XCTAssertLessThanOrEqual(worst, 1e-4)
    }

    func testMonoAndResampleReturnTheSameBufferWhenNothingChanges() throws {
        let r = try LuaState().evaluate(
            """
            local m = mm.audio.load('\(flac)')
            return m:mono() == m, m:resample(48000) == m, m:resample(16000) ~= m, m:resample(16000, 'quick').rate
            """)
        XCTAssertEqual(r, ["true", "true", "true", "16000"])
    }

    func testSliceCutsSecondsToFrames() throws {
        let r = try LuaState().evaluate(
            """
            local a = mm.audio.load('\(wav)')
            local s = a:slice(0.1, 0.2)
            local tail = a:slice(0.2)
            return s.frames, s.channels, tail.frames, a:slice(0, 1).frames
            """)
        XCTAssertEqual(r, ["4410", "2", "2205", "11025"])
    }

    func testGainAndMixScaleTheSamples() throws {
        let r = try LuaState().evaluate(
            """
            local a = mm.audio.new({0.5, -0.25, 0.1, 0}, 8000)
            local half = a:gain(-20 * math.log(2, 10))
            local mixed = a:add(mm.audio.new({1, 1}, 8000), 0.5)
            local t = mixed:to_tensor()
            return a:peak(), half:peak(), t:get(1), t:get(2), t:get(3) == mm.tensor{0.1}:get(1), #mixed
            """)
        XCTAssertEqual(r, ["0.5", "0.25", "1.0", "0.25", "true", "4"])
    }

    func testRMSIsTheRootMeanSquareOfAllSamples() throws {
        let rms = try LuaState().number("return mm.audio.new({{3, 4}, {0, 0}}, 100):rms()")
        XCTAssertEqual(rms, (25.0 / 4).squareRoot(), accuracy: 1e-12)
    }

    func testSaveAndReloadRoundTripsPCM16() throws {
        let out = try LuaFixtures.scratch(self).appendingPathComponent("copy.wav").path
        let r = try LuaState().evaluate(
            """
            local a = mm.audio.load('\(wav)')
            a:save('\(out)')
            local b = mm.audio.load('\(out)')
            local d = a:to_tensor() - b:to_tensor()
            return b.rate, b.channels, b.frames, (d * d):max(), mm.audio.info('\(out)').format
            """)
        XCTAssertEqual(r, ["44100", "2", "11025", "0.0", "WAV PCM_16"])
    }

    func testOffsetAndDurationReadPartOfTheFile() throws {
        let r = try LuaState().evaluate(
            """
            local a = mm.audio.load('\(wav)', {offset = 0.05, duration = 0.1})
            return a.frames
            """)
        XCTAssertEqual(r, ["4410"])
    }

    func testBadInputNamesTheFileOrTheOption() throws {
        let state = LuaState()
        XCTAssertEqual(state.failure("mm.audio.load('/no/such.wav')"), "test:1: /no/such.wav: no such file")
        XCTAssertEqual(
            state.failure("mm.audio.load('\(wav)', {offset = -1})"),
            "test:1: bad argument #2 to 'load' (field 'offset': expected seconds >= 0, got -1.0)")
        XCTAssertEqual(
            state.failure("mm.audio.load('\(wav)', {duration = 'long'})"),
            "test:1: bad argument #2 to 'load' (field 'duration': number expected, got string)")
        XCTAssertEqual(
            state.failure("mm.audio.load('\(wav)', {start = 1})"),
            "test:1: bad argument #2 to 'load' (field 'start': unknown option (options: duration, offset))")
        XCTAssertEqual(
            state.failure("mm.audio.load('\(wav)'):resample(22050, 'best')"),
            "test:1: bad argument #2 to 'resample' (quality 'quick', 'low', 'medium', 'high' or 'very_high' expected, got 'best')"
        )
        XCTAssertEqual(
            state.failure("mm.audio.load('\(wav)'):resample()"),
            "test:1: bad argument #1 to 'resample' (number expected, got no value)")
        XCTAssertEqual(
            state.failure("mm.audio.load('\(wav)'):resample(0)"),
            "test:1: bad argument #1 to 'resample' (positive sample rate in Hz expected, got 0)")
        XCTAssertEqual(
            state.failure("local a = mm.audio.load('\(wav)'); a:add(a:mono())"),
            "test:1: other: expected 2 channels, got 1 (mono() or match them first)")
        let notAudio = LuaFixtures.path("dsp/manifest.json")
        XCTAssertEqual(
            state.failure("mm.audio.load('\(notAudio)')")?.hasPrefix("test:1: \(notAudio): not a readable audio file"),
            true)
    }

    /// NaN and infinite samples never get into a buffer, and a finite signal too loud for a
    /// float32 power spectrum is refused by the transform instead of giving an all-zero log-mel.
    func testNonFiniteAndOverflowingSamplesAreErrors() throws {
        let state = LuaState()
        XCTAssertEqual(
            state.failure("mm.audio.new({0.1, 0/0, 0.2}, 22050)"),
            "test:1: samples: sample 2 is NaN; expected finite samples")
        XCTAssertEqual(
            state.failure("mm.audio.new({0.1, 1/0}, 22050)"),
            "test:1: samples: sample 2 is inf; expected finite samples")
        XCTAssertEqual(
            state.failure("mm.audio.new({0.5, -0.25}, 22050):gain(1e10)"),
            "test:1: gain: 10000000000.0 dB takes the peak 0.5 beyond the largest float; expected a smaller gain")
        XCTAssertEqual(
            state.failure("local a = mm.audio.new({1, 1}, 8000); a:add(a, 3e38):add(a, 3e38)"),
            "test:1: gain: 3e+38 takes the sum beyond the largest float; expected a smaller factor")
        let loud = try XCTUnwrap(
            state.failure(
                "local t = {} for i = 1, 4096 do t[i] = 1e17 * math.sin(i) end mm.dsp.logmel(mm.audio.new(t, 22050))"))
        XCTAssertTrue(loud.contains("overflows the power spectrum for n_fft 2048 (expected peaks below 9.0"), loud)
        XCTAssertEqual(
            try state.number(
                "local t = {} for i = 1, 4096 do t[i] = 1e15 * math.sin(i) end return mm.dsp.logmel(mm.audio.new(t, 22050)):to_tensor():max()"
            ), 1)
    }

    func testTenThousandAudioErrorsUnderPcall() throws {
        try LuaState().assertErrorLoopSurvives([
            "mm.audio.load('/no/such.wav')",
            "mm.audio.load('\(wav)'):slice(5, 6)",
            "mm.audio.new({}, 100)",
            "mm.audio.info(42)",
        ])
    }
}
