import Foundation
import XCTest

@testable import Host

final class LuaRuntimeTests: XCTestCase {
    func failure(_ source: String) -> LuaState.Failure? {
        do {
            _ = try LuaState().evaluate(source, name: "@chunk.lua")
            return nil
        } catch {
            return error as? LuaState.Failure
        }
    }

    func testChunkResultsComeBackAsLuaPrintsThem() throws {
        XCTAssertEqual(try LuaState().evaluate("return 1 + 1, 'x', 2.5, true, nil"), ["2", "x", "2.5", "true", nil])
    }

    func testRequireMashupIsTheGlobalMm() throws {
        XCTAssertEqual(try LuaState().evaluate("return require('mashup') == mm, type(mm.version)"), ["true", "string"])
    }

    func testStandardLibrariesAreOpen() throws {
        XCTAssertEqual(
            try LuaState().evaluate("return string.rep('a', 3), math.floor(2.5), type(io.write), type(os.time)"),
            ["aaa", "2", "function", "function"])
    }

    func testSyntaxErrorNamesChunkAndLine() {
        let f = failure("local x = 1\nlocal = 2")
        XCTAssertEqual(f?.message.hasPrefix("chunk.lua:2:"), true, f?.message ?? "no error")
    }

    func testRuntimeErrorCarriesPositionAndTraceback() {
        let f = failure("local function g() error('deep') end\nlocal function h() g() end\nh()")
        XCTAssertEqual(f?.message.hasPrefix("chunk.lua:1: deep"), true)
        XCTAssertEqual(f?.message.contains("stack traceback:"), true)
        XCTAssertEqual(
            f?.message.contains("in local 'h'") ?? false || f?.message.contains("in upvalue 'h'") ?? false
                || f?.message.contains("chunk.lua:2:") ?? false, true, f?.message ?? "")
        XCTAssertEqual(f?.interrupted, false)
    }

    func testBadArgumentTypeUsesLuaWording() {
        let f = failure("mm.threads('many')")
        XCTAssertEqual(
            f?.message.hasPrefix("chunk.lua:1: bad argument #1 to 'threads' (number expected, got string)"), true,
            f?.message ?? "no error")
    }

    func testBadArgumentValueExplainsWhatWasExpected() {
        let f = failure("mm.threads(0)")
        XCTAssertEqual(
            f?.message.hasPrefix("chunk.lua:1: bad argument #1 to 'threads' (thread count must be at least 1, got 0)"),
            true, f?.message ?? "no error")
    }

    func testFloatWithoutIntegerValueIsRejected() {
        let f = failure("mm.seed(1.5)")
        XCTAssertEqual(f?.message.contains("number has no integer representation"), true, f?.message ?? "no error")
    }

    func testNativeErrorBecomesLuaErrorWithPosition() {
        let f = failure("\nmm.random(1, 2, 3)")
        XCTAssertEqual(
            f?.message.hasPrefix("chunk.lua:2: wrong number of arguments to 'random'"), true, f?.message ?? "no error")
    }

    func testBindingErrorsAreCatchableByPcall() throws {
        // Lua names a function called through pcall by its module path.
        XCTAssertEqual(
            try LuaState().evaluate("local ok, e = pcall(mm.random, 'x'); return ok, e"),
            ["false", "bad argument #1 to 'mashup.random' (number expected, got string)"])
    }

    func testSeededRandomReproducesBitForBit() throws {
        let source =
            "mm.seed(42); local t = {} for i = 1, 5 do t[i] = mm.random() + mm.normal() + mm.random(1, 1000) end return table.concat(t, ',')"
        let a = try LuaState().evaluate(source)
        let b = try LuaState().evaluate(source)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, try LuaState().evaluate(source.replacingOccurrences(of: "42", with: "43")))
    }

    func testRandomRangesFollowMathRandom() throws {
        let r = try LuaState().evaluate(
            """
            local lo, hi, flo, fhi = math.huge, -math.huge, math.huge, -math.huge
            for i = 1, 2000 do
              local k = mm.random(3, 5); lo = math.min(lo, k); hi = math.max(hi, k)
              local f = mm.random(); flo = math.min(flo, f); fhi = math.max(fhi, f)
              assert(math.type(k) == 'integer')
            end
            return lo, hi, flo >= 0 and fhi < 1
            """)
        XCTAssertEqual(r, ["3", "5", "true"])
    }

    func testThreadsSetsTheEngineWorkerCount() throws {
        XCTAssertEqual(
            try LuaState().evaluate(
                "local before = mm.threads(); local n = mm.threads(1); mm.threads(before); return n"), ["1"])
    }

    func testClockIsMonotonicSeconds() throws {
        XCTAssertEqual(
            try LuaState().evaluate("local a = mm.clock(); local b = mm.clock(); return b >= a, a > 0"),
            ["true", "true"])
    }

    func testScriptArgumentsFollowTheLuaInterpreter() throws {
        let state = LuaState()
        try state.setScriptArguments(
            host: ["mashup", "--threads", "1", "run"], script: "x.lua", arguments: ["a", "--b"])
        XCTAssertEqual(
            try state.evaluate("return arg[0], arg[1], arg[2], #arg, arg[-1], arg[-4], arg[-5]"),
            ["x.lua", "a", "--b", "2", "run", "mashup", nil])
    }

    func testScriptFolderIsOnPackagePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-req-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "return { answer = 42 }".write(
            to: dir.appendingPathComponent("helper.lua"), atomically: true, encoding: .utf8)
        try "result = require('helper').answer + select('#', ...)".write(
            to: dir.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
        let state = LuaState()
        try state.runFile(dir.appendingPathComponent("main.lua").path, arguments: ["x", "y"])
        XCTAssertEqual(try state.evaluate("return result"), ["44"])
    }
}
