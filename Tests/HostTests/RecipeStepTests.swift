import XCTest

@testable import Host

/// `mashup.recipe` runs as named steps a script can replace one at a time.
final class RecipeStepTests: XCTestCase {
    func testRunCallsTheStepsInOrderAndTakesAScriptsOwn() throws {
        let r = try LuaState(quiet: true).evaluate(
            """
            local recipe = require "mashup.recipe"
            local calls, steps = {}, {}
            for _, name in ipairs{"open", "prepare", "build", "train", "validate", "predict", "score"} do
              assert(type(recipe[name]) == "function", name)
              steps[name] = function(ctx, script)
                calls[#calls + 1] = name
                if name == "open" then return {cfg = ctx} end
                if name == "train" then calls[#calls + 1] = script end
                if name == "score" then return {steps = #calls, cfg = ctx.cfg.tag} end
              end
            end
            local summary = recipe.run({tag = "mine"}, "my.lua", steps)
            return table.concat(calls, " "), summary.cfg
            """)
        XCTAssertEqual(r, ["open prepare build train my.lua validate predict score", "mine"])
    }

    /// `--help` explains every option of the canned recipe, not just its default.
    func testEveryRecipeOptionHasAHelpLine() throws {
        let r = try LuaState(quiet: true).evaluate(
            """
            local recipe = require "mashup.recipe"
            local missing = {}
            for name in pairs(recipe.kaggle) do
              if type(recipe.notes[name]) ~= "string" or #recipe.notes[name] < 8 then missing[#missing + 1] = name end
            end
            table.sort(missing)
            return table.concat(missing, " ")
            """)
        XCTAssertEqual(r, [""])
    }
}
