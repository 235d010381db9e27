import Foundation
import XCTest

@testable import Host

/// mm.dsp against the librosa 0.11 fixtures of tools/reference/dsp.py (the stereo 44.1 kHz
/// WAV, loaded as librosa.load(sr=22050, mono=True) loads it).
final class LuaDSPTests: XCTestCase {
    let load = "local y = mm.audio.load('\(LuaFixtures.path("dsp/stereo44k.wav"))'):mono():resample(22050)\n"

    func ref(_ name: String) -> String { "mm.npy.load('\(LuaFixtures.path("dsp/stereo44k/\(name).npy"))')" }

    /// max |a - b| of two tensors, as a Lua expression.
    let maxAbs = "local function maxabs(a, b) local d = a - b return math.sqrt((d * d):max()) end\n"

    func testMelspecDefaultsAreTheSeedRecipeAndMatchLibrosa() throws {
        let r = try LuaState().evaluate(
            load + maxAbs + """
                local s = mm.dsp.melspec(y, {})
                local same = mm.dsp.melspec(y, {n_mels = 128, n_fft = 2048, hop = 512, fmin = 20, fmax = 8000, power = 2})
                local ref = \(ref("mel"))
                local ours = s:to_tensor():reshape{128, 11}
                local points = {{1, 1}, {10, 3}, {64, 5}, {100, 11}, {128, 7}}
                local worst = 0
                for _, p in ipairs(points) do
                  local a, b = s:get(p[1], p[2]), ref:get(p[1], p[2])
                  worst = math.max(worst, math.abs(a - b) / math.abs(b))
                end
                return s.bins, s.frames, worst, maxabs(ours, ref) / ref:max(), maxabs(ours, same:to_tensor():reshape{128, 11})
                """)
        XCTAssertEqual(r[0], "128")
        XCTAssertEqual(r[1], "11")
        XCTAssertLessThanOrEqual(Double(r[2]!)!, 1e-4, "relative error at the sampled points")
        XCTAssertLessThanOrEqual(Double(r[3]!)!, 1e-5, "max error relative to the largest power")
        XCTAssertEqual(r[4], "0.0")
    }

    func testPowerToDBWithMaxReferenceMatchesLibrosaWithin0_01dB() throws {
        let worst = try LuaState().number(
            load + maxAbs + """
                local db = mm.dsp.power_to_db(mm.dsp.melspec(y), {ref = 'max', top_db = 80})
                return maxabs(db:to_tensor():reshape{128, 11}, \(ref("db")))
                """)
        XCTAssertLessThanOrEqual(worst, 0.01)
    }

    func testLogmelIsTheModelInputWithin1e4() throws {
        let r = try LuaState().evaluate(
            load + maxAbs + """
                local l = mm.dsp.logmel(y)
                local chain = mm.dsp.minmax(mm.dsp.power_to_db(mm.dsp.melspec(y), {ref = 'max'}))
                return maxabs(l:to_tensor():reshape{128, 11}, \(ref("minmax"))), maxabs(l:to_tensor(), chain:to_tensor()),
                  l:to_tensor():min(), l:to_tensor():max()
                """)
        XCTAssertLessThanOrEqual(Double(r[0]!)!, 1e-4)
        XCTAssertEqual(Array(r[1...]), ["0.0", "0.0", "1.0"])
    }

    func testPowerToDBDefaultsAreLibrosas() throws {
        // ref 1: dB = 10 log10(S), ref 'max' shifts by 10 log10(max S); top_db floors the range
        // at top_db below the peak (80 by default: this clip spans 57.6 dB, so nothing changes),
        // top_db = false leaves it; amin floors silence at -100 dB.
        let r = try LuaState().evaluate(
            load + """
                local s = mm.dsp.melspec(y)
                local peak = s:to_tensor():max()
                local absolute, relative = mm.dsp.power_to_db(s), mm.dsp.power_to_db(s, {ref = 'max'})
                local open = mm.dsp.power_to_db(s, {top_db = false}):to_tensor()
                local floored = mm.dsp.power_to_db(s, {top_db = 30}):to_tensor()
                local silence = mm.dsp.power_to_db(mm.dsp.melspec(mm.audio.new(mm.zeros{4096}, 22050)), {top_db = false})
                return math.abs(absolute:get(5, 5) - relative:get(5, 5) - 10 * math.log(peak, 10)) < 1e-4,
                  math.abs((absolute:to_tensor() - open):max()) < 1e-9, floored:max() - floored:min(),
                  open:max() - open:min() > 57,
                  math.abs(silence:get(1, 1) + 100) < 1e-4
                """)
        XCTAssertEqual(r, ["true", "true", "30.0", "true", "true"])
    }

    func testFeaturesAreTheMeansOfLibrosasFeatures() throws {
        let r = try LuaState().evaluate(
            load + """
                local f = mm.dsp.features(y)
                local function rel(a, b) return math.abs(a - b) / math.abs(b) end
                local mfcc = \(ref("mfcc"))
                local worst_mfcc = 0
                for c = 1, 20 do
                  local mean = 0
                  for t = 1, 11 do mean = mean + mfcc:get(c, t) / 11 end
                  worst_mfcc = math.max(worst_mfcc, rel(f.mfcc[c], mean))
                end
                return rel(f.rms, \(ref("rms")):mean()), rel(f.zcr, \(ref("zcr")):mean()),
                  rel(f.centroid, \(ref("centroid")):mean()), rel(f.flatness, \(ref("flatness")):mean()), worst_mfcc,
                  #f.mfcc, f.frames.rms:numel(), f.frames.mfcc.bins, f.frames.mfcc.frames
                """)
        for (i, name) in ["rms", "zcr", "centroid", "flatness", "mfcc"].enumerated() {
            XCTAssertLessThanOrEqual(Double(r[i]!)!, 1e-4, name)
        }
        XCTAssertEqual(Array(r[5...]), ["20", "11", "20", "11"])
    }

    func testSpectrogramsKnowWhatTheirValuesAre() throws {
        let r = try LuaState().evaluate(
            load + """
                local mel = mm.dsp.melspec(y)
                return mel.unit, mm.dsp.power_to_db(mel).unit, mm.dsp.minmax(mm.dsp.power_to_db(mel)).unit,
                    mm.dsp.logmel(y).unit, mm.dsp.stft(y, {power = 1}).unit, mm.dsp.stft(y).unit,
                    mm.augment.spec_mask{axis = "time", width = 8}:apply(mm.dsp.logmel(y), mm.augment.rng(1)).unit
                """)
        XCTAssertEqual(
            r,
            [
                "power", "dB", "min-max scaled, 0 to 1", "min-max scaled, 0 to 1", "magnitude", "power",
                "min-max scaled, 0 to 1",
            ])
    }

    func testSTFTPutsASineInItsBin() throws {
        // A sine at exactly bin 100 of a 2048-point FFT at 22050 Hz.
        let r = try LuaState().evaluate(
            """
            local n, f = 22050, 100 * 22050 / 2048
            local x = {}
            for i = 1, n do x[i] = math.sin(2 * math.pi * f * (i - 1) / 22050) end
            local s = mm.dsp.stft(mm.audio.new(x, 22050))
            local column = {}
            for k = 1, s.bins do column[k] = s:get(k, 20) end
            return s.bins, s.frames, mm.tensor(column):argmax(), tostring(s)
            """)
        XCTAssertEqual(r, ["1025", "44", "101", "spectrogram: 1025 bins x 44 frames"])
    }

    func testBadOptionsNameTheField() throws {
        let state = LuaState()
        _ = try state.evaluate(load + "buffer = y")
        let cases: [(String, String)] = [
            (
                "mm.dsp.melspec(buffer, {n_fft = 'x'})",
                "bad argument #2 to 'melspec' (field 'n_fft': integer expected, got string)"
            ),
            (
                "mm.dsp.melspec(buffer, {n_fft = 0})",
                "bad argument #2 to 'melspec' (field 'n_fft': expected 2 ... 1048576 points, got 0)"
            ),
            (
                "mm.dsp.melspec(buffer, {hop = 4096})",
                "bad argument #2 to 'melspec' (field 'hop': expected at most n_fft (2048), got 4096)"
            ),
            (
                "mm.dsp.stft(buffer, {power = -1})",
                "bad argument #2 to 'stft' (field 'power': expected an exponent > 0 (2 for power, 1 for magnitude), got -1.0)"
            ),
            (
                "mm.dsp.power_to_db(mm.dsp.melspec(buffer), {ref = 'min'})",
                "bad argument #2 to 'power_to_db' (field 'ref': 'max' expected, got 'min')"
            ),
            (
                "mm.dsp.power_to_db(mm.dsp.melspec(buffer), {top_db = true})",
                "bad argument #2 to 'power_to_db' (field 'top_db': a number or false expected, got boolean)"
            ),
            (
                "mm.dsp.melspec(mm.audio.load('\(LuaFixtures.path("dsp/stereo44k.wav"))'))",
                "bad argument #1 to 'melspec' (mono audio expected, got 2 channels (call :mono() first))"
            ),
            ("mm.dsp.melspec(mm.zeros{3})", "bad argument #1 to 'melspec' (mashup.audio expected, got mashup.tensor)"),
            ("mm.dsp.melspec(buffer):get(129, 1)", "bad argument #1 to 'get' (bin 1 ... 128 expected, got 129)"),
            (
                "mm.dsp.melspec(buffer, {n_mel = 64})",
                "bad argument #2 to 'melspec' (field 'n_mel': unknown option, did you mean 'n_mels'? (options: fmax, fmin, hop, htk, n_fft, n_mels, power))"
            ),
            (
                "mm.dsp.logmel(buffer, {sr = 22050})",
                "bad argument #2 to 'logmel' (field 'sr': unknown option (options: fmax, fmin, hop, htk, n_fft, n_mels, power))"
            ),
            (
                "mm.dsp.stft(buffer, {[1] = 2048})",
                "bad argument #2 to 'stft' (field '[number key]': unknown option (options: hop, n_fft, power))"
            ),
            (
                "mm.dsp.power_to_db(mm.dsp.melspec(buffer), {topdb = 60})",
                "bad argument #2 to 'power_to_db' (field 'topdb': unknown option, did you mean 'top_db'? (options: amin, ref, top_db))"
            ),
            (
                "mm.dsp.melspec(buffer):png('x.png', {colourbar = 'dB'})",
                "bad argument #2 to 'png' (field 'colourbar': unknown option, did you mean 'colorbar'? (options: colorbar, fmax, fmin, height, hop, htk, rate, scale, title, width))"
            ),
        ]
        for (source, message) in cases {
            XCTAssertEqual(state.failure(source), "test:1: " + message, source)
        }
        let fmax = state.failure("mm.dsp.melspec(buffer:resample(8000))")
        XCTAssertEqual(fmax?.hasPrefix("test:1: bad argument #2 to 'melspec' (field 'fmax':"), true, fmax ?? "no error")
    }

    func testTenThousandDSPErrorsUnderPcall() throws {
        let state = LuaState()
        _ = try state.evaluate(load + "buffer = y")
        try state.assertErrorLoopSurvives([
            "mm.dsp.melspec(buffer, {n_fft = 0})",
            "mm.dsp.stft(buffer, {hop = 'x'})",
            "mm.dsp.power_to_db(buffer)",
            "mm.dsp.features(mm.audio.new({1}, 22050), {n_mfcc = 500})",
        ])
    }
}
