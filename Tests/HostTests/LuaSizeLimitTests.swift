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

    func testAFittingLayerIsStillBuilt() throws {
        XCTAssertEqual(try LuaState(quiet: true).number("return mm.nn.Linear(512, 10):parameter_count()"), 5130)
    }
}
