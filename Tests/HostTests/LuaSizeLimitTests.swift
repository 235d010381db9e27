import XCTest

@testable import Host

/// Sizes a script asks for that no machine holds, or whose arithmetic wraps, are Lua errors
/// naming what was asked for; before, each crashed the process (issue 13's reproductions).
final class LuaSizeLimitTests: XCTestCase {
    func testLayersLargerThanTheMachineAreErrors() {
        LuaState(quiet: true).assertFailures([
            ("mm.nn.Linear(1e6, 1e6)", "Linear(1000000, 1000000) weight of shape [1000000, 1000000]: "),
            ("mm.nn.Conv2d(100000, 100000, 3)", "Conv2d(100000, 100000, 3) weight of shape [100000, 100000, 3, 3]: "),
            ("mm.nn.BatchNorm2d(2^40)", "BatchNorm2d(1099511627776) weight of shape [1099511627776]: "),
            ("mm.nn.seresnet{widths = {1e6, 1e6, 1e6, 1e6}}", "Conv2d(1000000, 1000000, 3) weight"),
        ])
        let message = LuaState(quiet: true).failure("mm.nn.Linear(1e6, 1e6)") ?? ""
        XCTAssertTrue(message.contains("GiB, more than this machine's"), message)
    }

    func testClassCountsThatWouldNotFitAreErrors() {
        LuaState(quiet: true).assertFailures([
            ("mm.metrics.confusion(1e9)", "classes: expected 1 to 16384 classes, got 1000000000"),
            ("mm.metrics.confusion(2^32):add({3}, {3})", "classes: expected 1 to 16384 classes, got 4294967296"),
            (
                "mm.data.mixup(mm.zeros(2, 1, 4, 4), {1, 2}, {classes = 2^40})",
                "the soft targets of shape [2, 1099511627776]: "
            ),
        ])
    }

    /// A legal tensor that the process may not have (an address-space limit below its 4 GiB) is
    /// a Lua error the script can catch, and the script goes on.
    func testOutOfMemoryIsACatchableError() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [
            "-c",
            "ulimit -v 4000000; exec \"$0\" -e \"local ok, err = pcall(mm.zeros, 2^30) print(ok, err) print(#mm.zeros(1000):totable())\"",
            mashupBinary.path,
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertTrue(
            text.contains("false\ttensor of shape [1073741824]: out of memory allocating 4294967296 bytes"), text)
        XCTAssertTrue(text.hasSuffix("1000\n"), text)
    }

    func testAFittingLayerIsStillBuilt() throws {
        XCTAssertEqual(try LuaState(quiet: true).number("return mm.nn.Linear(512, 10):parameter_count()"), 5130)
    }
}
