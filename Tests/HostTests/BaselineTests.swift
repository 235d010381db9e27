import Foundation
import XCTest

@testable import Host

/// scripts/lib/mashup/baseline.lua: the mel-statistics + logistic-regression baseline that the
/// generalisation benchmark scores beside the CNN.
final class BaselineTests: XCTestCase {
    func testFeaturesAreEachBandsMeanThenStandardDeviationOverTime() throws {
        let state = LuaState(quiet: true)
        // Two examples, two bands, four frames: band values chosen so mean and std are exact.
        let r = try state.evaluate(
            """
            local baseline = require "mashup.baseline"
            local x = mm.tensor{{{{1, 1, 1, 1}, {0, 2, 0, 2}}}, {{{4, 0, 4, 0}, {3, 3, 3, 3}}}}
            local rows = baseline.features(x, {})
            local function row(t) return table.concat(t, ",") end
            return #rows, row(rows[1]), row(rows[2])
            """)
        XCTAssertEqual(r, ["2", "1.0,1.0,0.0,1.0", "2.0,3.0,2.0,0.0"])
    }

    func testLogisticRegressionSeparatesSeparableClasses() throws {
        let state = LuaState(quiet: true)
        // Three clusters around (4, 0), (0, 4), (-4, -4), unit spread: a linear rule gets all right.
        let r = try state.evaluate(
            """
            local baseline = require "mashup.baseline"
            mm.seed(3)
            local centres = {{4, 0}, {0, 4}, {-4, -4}}
            local rows, labels = {}, {}
            for i = 1, 150 do
              local c = (i - 1) % 3 + 1
              rows[i] = {centres[c][1] + mm.normal(), centres[c][2] + mm.normal()}
              labels[i] = c
            end
            local standardize = baseline.standardizer(rows)
            local x = standardize(rows)
            local layer = baseline.fit(x, labels, {classes = 3, steps = 300})
            local predicted, correct = layer:forward(x):argmax(), 0
            for i = 1, #labels do if predicted[i] == labels[i] then correct = correct + 1 end end
            return correct, math.abs(x:mean()) < 1e-5
            """)
        XCTAssertEqual(r, ["150", "true"])
    }

    /// The whole baseline on a tiny synthetic set: validation and test F1 (against the hidden
    /// answers) come back, as the generalisation benchmark reads them.
    func testRunScoresValidationAndTestMashups() throws {
        let scratch = try LuaFixtures.scratch(self)
        let set = scratch.appendingPathComponent("set").path
        let state = LuaState(quiet: true)
        let r = try state.evaluate(
            """
            mm.data.synth{out = '\(set)', songs_per_genre = 2, test_songs_per_genre = 1, seconds = 3, mashups = 10,
                          noise_clips = 2, seed = 3, progress = false}
            local recipe, baseline = require "mashup.recipe", require "mashup.baseline"
            local cfg = {}
            for k, v in pairs(recipe.kaggle) do cfg[k] = v end
            cfg.data, cfg.duration, cfg.val_mashups_per_song, cfg.workers = '\(set)', 3, 1, 2
            cfg.cache_folder = '\(scratch.path)/cache'
            local s = baseline.run(cfg, {examples = 20, steps = 50})
            local function f1(v) return v >= 0 and v <= 1 end
            return f1(s.best_val_f1), f1(s.test_f1), s.test_acc >= 0
            """)
        XCTAssertEqual(r, ["true", "true", "true"])
    }
}
