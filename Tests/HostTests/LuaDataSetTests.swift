import Foundation
import XCTest

@testable import Host

/// mm.data.kaggle, its songs and test items, and the splits by song.
final class LuaDataSetTests: XCTestCase {
    func run(_ body: String) throws -> [String?] { try LuaState().evaluate(try LuaDataFixture.prelude() + body) }

    func testKaggleIndexesSongsNoiseAndTestMashups() throws {
        let root = try LuaDataFixture.root()
        let r = try run(
            """
            local songs, test, genres = ds:songs(), ds:test(), ds:genres()
            local s = songs[3]
            return #ds, #songs, ds.noise_clips, #test, #genres, genres[1], genres[10], ds.root,
                   s.index, s.genre, s.label, s.name, s.stems.vocals, s.rate,
                   test[1].id, test[1].path, #ds:fingerprint() > 0, tostring(ds), #ds:noise()
            """)
        XCTAssertEqual(
            r,
            [
                "20", "20", "3", "6", "10", "blues", "rock", root, "3", "classical", "2", "classical.00000",
                root + "/genres_stems/classical/classical.00000/vocals.wav", "44100", "1",
                root + "/mashups/song0001.wav", "true",
                "Messy Mashup data set \(root): 20 songs in 10 genres, 3 noise clips, 6 test mashups", "3",
            ])
    }

    func testABrokenLayoutListsEveryProblemInOneError() throws {
        let copy = try temporaryFolder(self).appendingPathComponent("broken").path
        try FileManager.default.copyItem(atPath: try LuaDataFixture.root(), toPath: copy)
        let fm = FileManager.default
        try fm.removeItem(atPath: copy + "/genres_stems/jazz")
        try fm.removeItem(atPath: copy + "/genres_stems/rock/rock.00001/bass.wav")
        try Data().write(
            to: URL(
                fileURLWithPath: copy + "/ESC-50-master/audio/"
                    + fm.contentsOfDirectory(atPath: copy + "/ESC-50-master/audio").sorted()[0]))
        try
            "id,filename\r\nsong0001,mashups/song0001.wav\r\nsong0001,mashups/song0002.wav\r\nsong0009,mashups/nope.wav\r\n"
            .write(toFile: copy + "/test.csv", atomically: true, encoding: .utf8)
        let message = try XCTUnwrap(LuaState().failure("mm.data.kaggle('\(copy)')"))
        XCTAssertTrue(message.hasPrefix("test:1: \(copy): not a valid Messy Mashup data set ("), message)
        for problem in [
            "genres_stems/jazz/: missing genre folder",
            "genres_stems/rock/rock.00001/: missing bass.wav",
            "test.csv line 3: duplicate id song0001 (first on line 2)",
            "test.csv line 4: id song0009: mashups/nope.wav does not exist",
            "ESC-50-master/audio/",
        ] {
            XCTAssertTrue(message.contains(problem), "missing '\(problem)' in:\n\(message)")
        }
    }

    func testAMissingFolderIsNamed() throws {
        let message = try XCTUnwrap(LuaState().failure("mm.data.kaggle('/no/such/set')"))
        XCTAssertTrue(message.contains("/no/such/set: not a valid Messy Mashup data set (1 problem)"), message)
        XCTAssertEqual(
            LuaState().failure("mm.data.kaggle()"),
            "test:1: bad argument #1 to 'kaggle' (string expected, got no value)")
    }

    func testSplitIsBySongWithoutLeakageStratifiedAndSeeded() throws {
        let r = try run(
            """
            local seen, genres, n = {}, {}, 0
            for _, s in ipairs(split.train:songs()) do seen[s.index] = 'train'; n = n + 1 end
            local leaked = 0
            for _, s in ipairs(split.val:songs()) do
              if seen[s.index] then leaked = leaked + 1 end
              seen[s.index] = 'val'; genres[s.genre] = true; n = n + 1
            end
            local covered = 0
            for _ in pairs(genres) do covered = covered + 1 end
            local again = ds:split{val = 0.15, seed = 1}
            local other = ds:split{val = 0.15, seed = 2}
            local function same(a, b)
              local x, y = a:indices(), b:indices()
              if #x ~= #y then return false end
              for i = 1, #x do if x[i] ~= y[i] then return false end end
              return true
            end
            return #split.train, #split.val, leaked, n, covered, same(split.val, again.val),
                   same(split.val, other.val), tostring(split.val):sub(1, 17)
            """)
        XCTAssertEqual(r, ["10", "10", "0", "20", "10", "true", "false", "songs: 10 of 20 ("])
    }

    func testFoldsValidateEverySongOnce() throws {
        let r = try run(
            """
            local folds = ds:folds{k = 4, seed = 3}
            local count = {}
            for _, f in ipairs(folds) do
              for _, i in ipairs(f.val:indices()) do count[i] = (count[i] or 0) + 1 end
              assert(#f.train + #f.val == 20)
            end
            local once = 0
            for i = 1, 20 do if count[i] == 1 then once = once + 1 end end
            return #folds, once
            """)
        XCTAssertEqual(r, ["4", "20"])
    }

    func testSplitOptionErrorsNameTheField() throws {
        let state = LuaState()
        let ds = "mm.data.kaggle('\(try LuaDataFixture.root())')"
        XCTAssertEqual(
            state.failure("\(ds):split{val = 1.5}"),
            "test:1: bad argument #1 to 'split' (field 'val': expected a fraction in [0, 1), got 1.5)")
        XCTAssertEqual(
            state.failure("\(ds):folds{k = 1}"),
            "test:1: bad argument #1 to 'folds' (field 'k': expected at least 2 folds, got 1)")
        XCTAssertEqual(
            state.failure("\(ds):split{seed = 'x'}"),
            "test:1: bad argument #1 to 'split' (field 'seed': integer expected, got string)")
    }
}
