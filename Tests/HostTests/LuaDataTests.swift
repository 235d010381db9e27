import Foundation
import Native
import XCTest

@testable import Host

final class LuaDataTests: XCTestCase {
    func testSynthWritesTheKaggleLayoutFromLua() throws {
        let dir = try temporaryFolder(self).appendingPathComponent("set")
        let r = try LuaState().evaluate(
            """
            local s = mm.data.synth{out = '\(dir.path)', scale = 'tiny', songs_per_genre = 1,
                                    seconds = 2, mashups = 3, noise_clips = 2, seed = 5}
            return s.songs, s.mashups, s.noise_clips, s.labels
            """)
        XCTAssertEqual(r, ["10", "3", "2", dir.path + ".labels.csv"])
        for path in [
            "test.csv", "sample_submission.csv", "ESC-50-master/meta/esc50.csv",
            "genres_stems/jazz/jazz.00000/vocals.wav",
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path), path)
        }
        try? FileManager.default.removeItem(atPath: dir.path + ".labels.csv")
        try? FileManager.default.removeItem(atPath: dir.path + ".synth.json")
    }

    func testSynthOptionErrorsNameTheLuaField() {
        XCTAssertThrowsError(try LuaState().evaluate("mm.data.synth{out = '/tmp/never', mashups = -1}")) { error in
            XCTAssertTrue(
                "\(error)".contains("bad argument #1 to 'synth' (field 'mashups': expected 0 to 9999"), "\(error)")
        }
        XCTAssertThrowsError(try LuaState().evaluate("mm.data.synth{out = '/tmp/never', scale = 'huge'}")) { error in
            XCTAssertTrue(
                "\(error)".contains("field 'scale': 'tiny', 'small' or 'full' expected, got 'huge'"), "\(error)")
        }
        XCTAssertThrowsError(try LuaState().evaluate("mm.data.synth{}")) { error in
            XCTAssertTrue("\(error)".contains("field 'out'"), "\(error)")
        }
    }

    func testSynthCommandRejectsBadCountsWithTheFlagName() throws {
        let r = try runMashup(["synth", "/tmp/never", "--noise-clips", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--noise-clips: expected 1 to 99999 noise clips, got 0"), r.stderr)
    }
}

/// The tiny synthetic data set the Lua data tests read (2 songs per genre of 3 s, 6 test
/// mashups, 3 noise clips), generated once per test process.
enum LuaDataFixture {
    static let made: Result<String, any Error> = Result {
        let dir = NSTemporaryDirectory() + "lua-data-tests-\(getpid())/messy_mashup"
        try? FileManager.default.removeItem(atPath: dir)
        var config = SynthConfig(scale: .tiny, seed: 11)
        (config.songsPerGenre, config.seconds, config.mashups, config.noiseClips) = (2, 3, 6, 3)
        _ = try Synth.generate(config, into: dir)
        return dir
    }

    static func root() throws -> String { try made.get() }

    /// A Lua prelude: `ds` the data set, `split` its default split, `small` input options
    /// (2 s, so 128 x 87) merged into any options table by `opts{...}`.
    static func prelude() throws -> String {
        """
        local ds = mm.data.kaggle('\(try root())')
        local split = ds:split{val = 0.15, seed = 1}
        local function opts(t)
          t = t or {}
          if t.seconds == nil then t.seconds = 2 end
          if t.crop_seconds == nil then t.crop_seconds = {1, 2} end
          return t
        end

        """
    }
}
