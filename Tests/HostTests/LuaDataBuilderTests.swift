import Foundation
import XCTest

@testable import Host

/// mm.data.bank, mm.data.builder and batch mixing from Lua.
final class LuaDataBuilderTests: XCTestCase {
    func run(_ body: String, state: LuaState = LuaState()) throws -> [String?] {
        try state.evaluate(try LuaDataFixture.prelude() + body)
    }

    func testExampleIsAMonoMashupWithItsGenreLabelAndDraws() throws {
        let r = try run(
            """
            local b = mm.data.builder(ds, split.train, opts{seed = 4, noise_clips = {1, 3}})
            local buf, genre, label, draws = b:example(1)
            local genres = ds:genres()
            local volumes_ok, songs_ok = true, true
            local train = {}
            for _, i in ipairs(split.train:indices()) do train[i] = true end
            for _, stem in ipairs{'drums', 'vocals', 'bass', 'other'} do
              local d = draws.stems[stem]
              if d.volume < 0.4 or d.volume > 1.0 then volumes_ok = false end
              if not train[d.song] or ds:songs()[d.song].genre ~= genre then songs_ok = false end
            end
            return buf.channels, buf.rate, buf.duration >= 1 and buf.duration <= 2, genres[label] == genre,
                   volumes_ok, songs_ok, #draws.noise >= 1 and #draws.noise <= 3, draws.noise_mode,
                   math.abs(buf:peak() - 0.98) < 1e-6, #b, b.bins, b.frames
            """)
        XCTAssertEqual(r, ["1", "22050", "true", "true", "true", "true", "true", "peak", "true", "10", "128", "87"])
    }

    func testExamplesAreDeterministicForASeed() throws {
        let r = try run(
            """
            local function signature(b, i)
              local buf, genre = b:example(i)
              local t = buf:to_tensor()
              return string.format('%s %d %.9g %.9g', genre, buf.frames, t:sum(), t:get(1000))
            end
            local a = mm.data.builder(ds, split.train, opts{seed = 9})
            local b = mm.data.builder(ds, ds:all(), opts{seed = 9})
            local c = mm.data.builder(ds, split.train, opts{seed = 9})
            local d = mm.data.builder(ds, split.train, opts{seed = 10})
            return signature(a, 3) == signature(c, 3), signature(a, 3) == signature(a, 4),
                   signature(a, 3) == signature(d, 3), signature(a, 2) == signature(a, 2)
            """)
        XCTAssertEqual(r, ["true", "false", "false", "true"])
    }

    func testLogmelIsTheModelInput() throws {
        let r = try run(
            """
            local b = mm.data.builder(ds, split.train, {seed = 1, crop_seconds = {1, 2}})
            local s, genre, label = b:logmel(2)
            local t = s:to_tensor()
            local small = mm.data.builder(ds, nil, opts{seed = 1})
            return s.bins, s.frames, t:min(), t:max(), ds:genres()[label] == genre, small:logmel(1).frames
            """)
        XCTAssertEqual(r, ["128", "1292", "0.0", "1.0", "true", "87"])
    }

    /// representation = "musicnn": the pretrained networks' input from a 16 kHz bank, mel-first
    /// (96 bands; 187 frames for musicnn's 2.976 s patch), its values log10(1 + 10000 x) >= 0;
    /// the test set the same.
    func testMusicnnRepresentationIsTheModelInput() throws {
        let r = try run(
            """
            local bank = mm.data.bank(ds, {rate = 16000})
            local b = mm.data.builder(bank, split.train, {seed = 1, crop_seconds = {1, 2}, seconds = 2.976,
                                      representation = 'musicnn'})
            local s = b:logmel(1)
            local test = mm.data.test_set(ds, {rate = 16000, seconds = 3, representation = 'musicnn'})
            local _, views = test:batch(1, 1)
            return s.bins, s.frames, s:to_tensor():min() >= 0, s:to_tensor():max() > 0.1,
              table.concat(views[1]:shape(), 'x')
            """)
        XCTAssertEqual(r, ["96", "187", "true", "true", "1x1x96x188"])
        let state = LuaState()
        let ds = "mm.data.kaggle('\(try LuaDataFixture.root())')"
        XCTAssertEqual(
            state.failure("mm.data.builder(\(ds), nil, {representation = 'musicnn'})"),
            "test:1: bad argument #3 to 'builder' (field 'representation': audio at 16000 Hz for musicnn's input "
                + "(make the stem bank with {rate = 16000}), got 22050 Hz)")
        XCTAssertEqual(
            state.failure("mm.data.test_set(\(ds), {rate = 16000, representation = 'musicnn', n_mels = 96})"),
            "test:1: bad argument #2 to 'test_set' (field 'n_mels': nothing: musicnn's input fixes its mel settings "
                + "(leave n_mels out))")
        XCTAssertEqual(
            state.failure("mm.data.test_set(\(ds), {representation = 'mfcc'})"),
            "test:1: bad argument #2 to 'test_set' (field 'representation': 'decibels', 'musicnn' expected, got 'mfcc')"
        )
    }

    func testRecipeOptionsReachTheNativeBuilder() throws {
        let r = try run(
            """
            local b = mm.data.builder(ds, split.train, opts{seed = 2, noise_clips = 0, stem_volume = {0.5, 0.5},
                                     stem_dropout = 1, keep_stems = {'bass'}, normalization = 'none'})
            local dropped, kept = 0, 0
            for i = 1, 5 do
              local _, _, _, draws = b:example(i)
              for stem, d in pairs(draws.stems) do
                if d.dropped then dropped = dropped + 1 elseif stem == 'bass' then kept = kept + 1 end
                assert(d.volume == 0.5)
              end
              assert(#draws.noise == 0)
            end
            return dropped, kept
            """)
        XCTAssertEqual(r, ["15", "5"])
    }

    func testBankPrecisionAndBudget() throws {
        let r = try run(
            """
            local full = mm.data.bank(ds)
            local half = mm.data.bank(ds, {precision = 'float16'})
            local b = mm.data.builder(half, split.train, opts{seed = 3})
            return full.bytes == 2 * half.bytes, half.precision, b:example(1).rate
            """)
        XCTAssertEqual(r, ["true", "float16", "22050"])
        let message = try XCTUnwrap(
            LuaState().failure(try LuaDataFixture.prelude() + "mm.data.bank(ds, {budget_gb = 0.001})"))
        XCTAssertTrue(
            message.contains("bad argument #2 to 'bank' (field 'budget_gb': the 83 stems and noise clips need"), message
        )
        XCTAssertTrue(message.contains(" GiB at float16 ("), message)
        XCTAssertTrue(message.hasSuffix("raise budget_gb)"), message)
        let single = try XCTUnwrap(
            LuaState().failure(
                try LuaDataFixture.prelude() + "mm.data.bank(ds, {budget_gb = 0.001, precision = 'float32'})"))
        XCTAssertTrue(single.contains("raise budget_gb or choose precision float16)"), single)
        XCTAssertEqual(try run("return mm.data.bank(ds, {precision = 'auto'}).precision"), ["float32"])
    }

    func testBuilderOptionErrorsNameTheField() throws {
        let state = LuaState()
        let ds = "mm.data.kaggle('\(try LuaDataFixture.root())')"
        let cases: [(String, String)] = [
            ("stem_volume = {1, 0.5}", "field 'stem_volume': low <= high expected, got {1.0, 0.5}"),
            ("noise_mode = 'loud'", "field 'noise_mode': 'peak', 'snr' expected, got 'loud'"),
            (
                "keep_stems = {'piano'}",
                "field 'keep_stems': stem names 'drums', 'vocals', 'bass' or 'other' expected, got 'piano'"
            ),
            ("crop_seconds = {0, 1}", "field 'crop_seconds': expected a range within 0.1...600.0, got 0.0...1.0"),
            ("same_song = 2", "field 'same_song': expected a range within 0.0...1.0, got 2.0...2.0"),
            ("n_fft = 0", "field 'n_fft': "),
            ("seconds = -1", "field 'seconds': expected an input length of 0 to 600 seconds, got -1.0"),
            ("noise_intensty = {0.1, 0.2}", "field 'noise_intensty': unknown option, did you mean 'noise_intensity'?"),
            (
                "rate = 16000",
                "field 'rate': the stem bank holds audio at 22050 Hz (make it with mm.data.bank(ds, {rate = 16000})), got 16000"
            ),
        ]
        for (option, expected) in cases {
            let message = state.failure("mm.data.builder(\(ds), nil, {\(option)})") ?? "no error"
            XCTAssertTrue(
                message.hasPrefix("test:1: bad argument #3 to 'builder' (\(expected)"), "\(option): \(message)")
        }
        // The other functions that take a recipe or its parts reject misspelt fields too.
        let others: [(String, String)] = [
            (
                "mm.data.cache{dataset = \(ds), folder = os.tmpname(), per_songs = 2}",
                "bad argument #1 to 'cache' (field 'per_songs': unknown option, did you mean 'per_song'?"
            ),
            (
                "mm.data.loader{source = mm.data.builder(\(ds)), batch_size = 4}",
                "bad argument #1 to 'loader' (field 'batch_size': unknown option"
            ),
            (
                "mm.data.test_set(\(ds), {view = 3})",
                "bad argument #2 to 'test_set' (field 'view': unknown option, did you mean 'views'?"
            ),
            (
                "mm.data.test_set(\(ds), {rate = 10})",
                "bad argument #2 to 'test_set' (field 'rate': a sample rate of 1000 ... 384000 Hz expected, got 10)"
            ),
        ]
        state.assertFailures(others)
        XCTAssertEqual(
            state.failure("mm.data.builder(42)"),
            "test:1: bad argument #1 to 'builder' (data set (mm.data.kaggle) or stem bank (mm.data.bank) expected, got number)"
        )
        XCTAssertEqual(
            state.failure("local b = mm.data.builder(\(ds), nil, {seed = 1}); b:example(0)"),
            "test:1: bad argument #1 to 'example' (example index >= 1 expected, got 0)")
    }

    func testMixupSoftTargetsSumToOneAndMixTheInputs() throws {
        let r = try LuaState().evaluate(
            """
            local x = mm.zeros{4, 1, 2, 3}
            for n = 1, 4 do for j = 1, 3 do x:set(n, n, 1, 1, j) end end
            local mixed, y = mm.data.mixup(x, {1, 2, 3, 10}, {alpha = 0.4, seed = 7})
            local rows_ok, in_hull = true, true
            for n = 1, 4 do
              local sum = 0
              for c = 1, 10 do sum = sum + y:get(n, c) end
              if math.abs(sum - 1) > 1e-6 then rows_ok = false end
              local v = mixed:get(n, 1, 1, 1)
              if v < 1 - 1e-6 or v > 4 + 1e-6 then in_hull = false end
            end
            local shape = table.concat(y:shape(), 'x')
            local _, again = mm.data.mixup(x, {1, 2, 3, 10}, {alpha = 0.4, seed = 7})
            local _, cut = mm.data.cutmix(x, y, {alpha = 1, seed = 3})
            local cut_sum = 0
            for c = 1, 10 do cut_sum = cut_sum + cut:get(2, c) end
            return rows_ok, in_hull, shape, again:get(1, 1) == y:get(1, 1), x:get(2, 1, 1, 1), math.abs(cut_sum - 1) < 1e-6
            """)
        XCTAssertEqual(r, ["true", "true", "4x10", "true", "2.0", "true"])
        XCTAssertEqual(
            LuaState().failure("mm.data.mixup(mm.zeros{2, 1, 2, 2}, {1, 11})"),
            "test:1: bad argument #2 to 'mixup' (label 2 is 11, expected a class 1 ... 10)")
        XCTAssertEqual(
            LuaState().failure("mm.data.mixup(mm.zeros{2, 1, 2, 2}, {1, 2}, {alpha = 0})"),
            "test:1: bad argument #3 to 'mixup' (field 'alpha': expected a range within 0.001...1000.0, got 0.0...0.0)")
    }
}
