import Foundation
import XCTest

@testable import Host

/// Errors raised from Swift bindings unwind only C and Lua frames (the trampoline raises after
/// the Swift frame returned). If a longjmp crossed Swift frames, ARC releases would be skipped
/// and memory would grow with every error, or the process would crash.
final class ErrorBoundaryTests: XCTestCase {
    private func residentBytes() -> Int {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
        let pages = Int(statm.split(separator: " ")[1]) ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testHundredThousandBindingErrorsNeitherCrashNorLeak() throws {
        let state = LuaState()
        let loop = """
            local n = ...
            local kinds = {
              function() mm.random('x') end,          -- type error
              function() mm.threads(0) end,           -- argument error
              function() mm.random(1, 2, 3) end,      -- plain error with position
              function() mm.seed(0.5) end,            -- integer representation
            }
            local caught = 0
            for i = 1, tonumber(n) do
              local ok, message = pcall(kinds[i % #kinds + 1])
              if not ok and type(message) == 'string' then caught = caught + 1 end
            end
            collectgarbage()
            collectgarbage()
            return caught
            """
        XCTAssertEqual(
            try state.evaluate(
                "local f = load(...) return f('20000')".replacingOccurrences(of: "...", with: "[==[\(loop)]==]")),
            ["20000"])
        let before = residentBytes()
        XCTAssertEqual(
            try state.evaluate(
                "local f = load(...) return f('100000')".replacingOccurrences(of: "...", with: "[==[\(loop)]==]")),
            ["100000"])
        let growth = residentBytes() - before
        XCTAssertLessThan(growth, 4 << 20, "resident memory grew by \(growth) bytes over 100,000 errors")
    }
}
