import Foundation
import XCTest

@testable import Host

/// mm.augment from Lua: native augmentations applied to buffers, pipelines, and augmentations
/// written in Lua (run in Lua states of their own).
final class LuaAugmentTests: XCTestCase {
    /// A prelude: `tone(hz, seconds)` a mono sine at 22.05 kHz, amplitude 0.5.
    static let tones = """
        local function tone(hz, seconds, amplitude)
          local n = math.floor((seconds or 1) * 22050)
          local t = {}
          for i = 1, n do t[i] = (amplitude or 0.5) * math.sin(2 * math.pi * hz * (i - 1) / 22050) end
          return mm.audio.new(t, 22050)
        end

        """

    func run(_ body: String, state: LuaState = LuaState()) throws -> [String?] { try state.evaluate(Self.tones + body) }

    func testGainScalesByExactlyItsDecibels() throws {
        let r = try run(
            """
            local buf = tone(440)
            local out = mm.augment.gain{db = 6}(buf)
            local worst = 0
            local a, b = buf:to_tensor(), out:to_tensor()
            for i = 1, #buf, 97 do worst = math.max(worst, math.abs(b:get(i) - a:get(i) * 10 ^ (6 / 20))) end
            return worst < 1e-6, out.frames, tostring(mm.augment.gain{db = {-6, 6}})
            """)
        XCTAssertEqual(r, ["true", "22050", "augmentation: gain"])
    }

    func testReverseAndPolarity() throws {
        let r = try run(
            """
            local buf = mm.audio.new({1, 2, 3, 4}, 22050)
            local rev = mm.augment.reverse{}:apply(buf):to_tensor()
            local neg = mm.augment.polarity{}(buf):to_tensor()
            return rev:get(1), rev:get(4), neg:get(2)
            """)
        XCTAssertEqual(r, ["4.0", "1.0", "-2.0"])
    }

    func testLowpassAttenuatesAHighToneAndKeepsALowOne() throws {
        let r = try run(
            """
            local lp = mm.augment.lowpass{cutoff = 1000}
            local high, low = tone(8000), tone(200)
            local function db(a, b) return 20 * math.log(a:rms() / b:rms(), 10) end
            return db(lp(high), high) < -30, math.abs(db(lp(low), low)) < 0.5,
                   db(mm.augment.highpass{cutoff = 1000}(low), low) < -20
            """)
        XCTAssertEqual(r, ["true", "true", "true"])
    }

    func testEveryOtherNativeAugmentationDoesWhatItSays() throws {
        let noiseFolder = try LuaDataFixture.root() + "/ESC-50-master/audio"
        let r = try run(
            """
            local buf = tone(440, 1)
            local rng = mm.augment.rng(1)
            local function db(a, b) return 20 * math.log(a:rms() / b:rms(), 10) end
            local function near(a, b, tolerance) return math.abs(a - b) <= tolerance end
            local added = function(out, snr) return near(db(buf, out:add(buf, -1)), snr, 0.01) end
            return
              mm.augment.time_stretch{rate = 2}(buf, rng).frames == 11025,
              near(mm.augment.loudness{level = -20}(buf, rng):rms(), 0.1, 1e-6),
              near(mm.augment.clip{threshold = 0.5}(buf, rng):peak(), 0.25, 1e-6),
              near(mm.augment.tanh{drive = 12}(buf, rng):peak(), buf:peak(), 1e-6),
              added(mm.augment.noise{color = 'pink', snr = 10}(buf, rng), 10),
              added(mm.augment.background{folder = '\(noiseFolder)', snr = 6}(buf, rng), 6),
              near(mm.augment.shift{max_seconds = 0.5}(buf, rng):rms(), buf:rms(), 1e-6),
              mm.augment.pitch_shift{semitones = 3}(buf, rng).frames == buf.frames,
              near(db(mm.augment.peaking{center = 440, gain = 6, q = 1}(buf, rng), buf), 6, 0.2),
              db(mm.augment.bandpass{center = 3000, q = 2}(buf, rng), buf) < -10,
              mm.augment.reverb{rt60 = 0.5, wet = 0.5}(buf, rng).frames == buf.frames
            """)
        XCTAssertEqual(r, [String?](repeating: "true", count: 11))
    }

    func testDrawsComeFromTheGivenGeneratorOrTheSeededProcess() throws {
        let r = try run(
            """
            local buf = tone(440)
            local gain = mm.augment.gain{db = {-12, 12}}
            local a = gain(buf, mm.augment.rng(5)):rms()
            local b = gain(buf, mm.augment.rng(5)):rms()
            local c = gain(buf, mm.augment.rng(6)):rms()
            mm.seed(3); local d = gain(buf):rms()
            mm.seed(3); local e = gain(buf):rms()
            return a == b, a == c, d == e
            """)
        XCTAssertEqual(r, ["true", "false", "true"])
    }

    func testSpecMaskZeroesBandsOfASpectrogram() throws {
        let r = try run(
            """
            local s = mm.dsp.logmel(tone(440, 2))
            local masked = mm.augment.spec_mask{axis = 'time', width = 10, count = 1}(s, mm.augment.rng(1))
            local zero_columns = 0
            for f = 1, masked.frames do
              local column = 0
              for b = 1, masked.bins do column = column + math.abs(masked:get(b, f)) end
              if column == 0 then zero_columns = zero_columns + 1 end
            end
            return zero_columns, mm.augment.spec_mask{axis = 'freq', width = {2, 4}}.kind
            """)
        XCTAssertEqual(r, ["10", "spectrogram"])
    }

    func testPipelineRunsStepsWithTheirProbabilitiesAndLuaFunctions() throws {
        let r = try run(
            """
            local buf = tone(440)
            local pipe = mm.augment.pipeline{
              mm.augment.gain{db = 6},
              {mm.augment.polarity{}, p = 0},
              {function(b, rng) return b:gain(-6) end, p = 1},
            }
            local out = pipe(buf, mm.augment.rng(1))
            return math.abs(out:rms() - buf:rms()) < 1e-6, math.abs(out:to_tensor():get(100) - buf:to_tensor():get(100)) < 1e-6, pipe.kind,
                   tostring(pipe):match('^augmentation: pipeline %(audio%): gain, polarity %(p 0.0%), lua function at ') ~= nil
            """)
        XCTAssertEqual(r, ["true", "true", "audio", "true"])
    }

    func testLuaAugmentationsCanUseUpvaluesThatCopy() throws {
        let r = try run(
            """
            local lp = mm.augment.lowpass{cutoff = 1000}
            local settings = {db = -6, names = {'a', 'b'}}
            local floor = math.floor
            local augment = mm.augment
            local f = function(b, rng)
              return lp(b, rng):gain(settings.db + floor(0.5)) end
            local out = mm.augment.lua(f)(tone(200))
            return math.abs(20 * math.log(out:rms() / tone(200):rms(), 10) + 6) < 0.5
            """)
        XCTAssertEqual(r, ["true"])
    }

    func testUpvaluesThatCannotCrossAreNamed() throws {
        let state = LuaState()
        let message = try XCTUnwrap(
            state.failure(
                """
                local weights = mm.zeros{2}
                return mm.augment.pipeline{ function(b) return b:gain(weights:get(1)) end }
                """))
        XCTAssertTrue(
            message.hasPrefix(
                "test:2: bad argument #1 to 'pipeline' (step 1: upvalue 'weights' of function at test:2: a mashup.tensor cannot be copied into another Lua state"
            ),
            message)
    }

    func testErrorsInsideALuaAugmentationNameIt() throws {
        let message = try XCTUnwrap(
            LuaState().failure(
                """
                local pipe = mm.augment.pipeline{ function(b) error('boom') end }
                return pipe(mm.audio.new({1, 2}, 22050))
                """))
        XCTAssertTrue(message.hasPrefix("test:2: augmentation function at test:1: test:1: boom"), message)
        let wrong = try XCTUnwrap(
            LuaState().failure("return mm.augment.lua(function(b) return 42 end)(mm.audio.new({1, 2}, 22050))"))
        XCTAssertTrue(wrong.hasSuffix("returned a number, expected an audio buffer"), wrong)
        let missing = try XCTUnwrap(LuaState().failure("return mm.augment.pipeline{'augment.no_such_module'}"))
        XCTAssertTrue(
            missing.hasPrefix(
                "test:1: bad argument #1 to 'pipeline' (step 1: cannot load module 'augment.no_such_module'"), missing)
    }

    func testRequiresSecondResultInAPipelineIsExplained() throws {
        let message = try XCTUnwrap(LuaState().failure("return mm.augment.pipeline{ require 'augment.crowd' }"))
        XCTAssertTrue(message.contains("step 2: cannot load module '"), message)
        XCTAssertTrue(
            message.hasSuffix("is the second value require returns: write {require 'm', p = 1} or (require 'm')))"),
            message)
        XCTAssertNil(LuaState().failure("return mm.augment.pipeline{ (require 'augment.crowd') }"))
    }

    func testShippedTelephoneKeepsTheVoiceBandAndTheLevel() throws {
        let r = try run(
            """
            local telephone = require 'augment.telephone'
            local buf = tone(1000, 1, 0.3):add(tone(6000, 1, 0.3)):add(tone(100, 1, 0.3))
            local out = mm.augment.lua('augment.telephone')(buf, mm.augment.rng(1))
            local above = mm.augment.highpass{cutoff = 5000}
            local below = mm.augment.lowpass{cutoff = 200}
            local function db(a, b) return 20 * math.log(a:rms() / b:rms(), 10) end
            return type(telephone), db(above(out), out) < -20, db(below(out), out) < -12, math.abs(db(out, buf)) < 0.01
            """)
        XCTAssertEqual(r, ["function", "true", "true", "true"])
    }

    func testShippedCrowdAddsABedBetween5And20DBDown() throws {
        let r = try run(
            """
            local crowd = mm.augment.pipeline{ {require 'augment.crowd', p = 1} }
            local buf = tone(440, 2)
            local ok = true
            for seed = 1, 5 do
              local out = crowd(buf, mm.augment.rng(seed))
              local snr = 20 * math.log(buf:rms() / out:add(buf, -1):rms(), 10)
              if snr < 5 - 0.1 or snr > 20 + 0.1 then ok = false end
            end
            return ok
            """)
        XCTAssertEqual(r, ["true"])
    }

    func testOptionErrorsNameTheField() {
        let state = LuaState()
        let cases: [(String, String)] = [
            (
                "mm.augment.lowpass{cutof = 2000}",
                "bad argument #1 to 'lowpass' (field 'cutof': unknown option, did you mean 'cutoff'? (options: cutoff, gain, q))"
            ),
            (
                "mm.augment.spec_mask{axis = 'time', widths = 4}",
                "bad argument #1 to 'spec_mask' (field 'widths': unknown option, did you mean 'width'?"
            ),
            (
                "mm.augment.lowpass{}",
                "bad argument #1 to 'lowpass' (field 'cutoff': a frequency in Hz (or a range {low, high}) expected, got nil)"
            ),
            (
                "mm.augment.lowpass{cutoff = 0}",
                "bad argument #1 to 'lowpass' (field 'cutoff': expected a range within 1.0...1000000.0, got 0.0...0.0)"
            ),
            (
                "mm.augment.gain{db = {6, -6}}",
                "bad argument #1 to 'gain' (field 'db': low <= high expected, got {6.0, -6.0})"
            ),
            (
                "mm.augment.gain{db = 100}",
                "bad argument #1 to 'gain' (field 'db': expected a range within -120.0...60.0, got 100.0...100.0)"
            ),
            (
                "mm.augment.noise{color = 'blue'}",
                "bad argument #1 to 'noise' (field 'color': 'white', 'pink', 'brown' expected, got 'blue')"
            ),
            (
                "mm.augment.spec_mask{axis = 'pitch'}",
                "bad argument #1 to 'spec_mask' (field 'axis': 'time', 'freq' expected, got 'pitch')"
            ),
            (
                "mm.augment.background{folder = '/no/such'}",
                "bad argument #1 to 'background' (field 'folder': /no/such: no noise files"
            ),
            (
                "mm.augment.pipeline{ {mm.augment.reverse{}, p = 2} }",
                "bad argument #1 to 'pipeline' (step 1: field 'p': a probability in [0, 1] expected)"
            ),
            (
                "mm.augment.pipeline{ 42 }",
                "bad argument #1 to 'pipeline' (step 1: an augmentation, a function, a module name or {step, p =} expected, got number)"
            ),
            (
                "mm.augment.pipeline{ mm.augment.gain{}, mm.augment.spec_mask{} }",
                "bad argument #1 to 'pipeline' (step 2: an audio augmentation expected, got a spectrogram one)"
            ),
            (
                "mm.augment.gain{}:apply(mm.zeros{2})",
                "bad argument #1 to 'apply' (mashup.audio expected, got mashup.tensor)"
            ),
        ]
        state.assertFailures(cases)
    }
}
