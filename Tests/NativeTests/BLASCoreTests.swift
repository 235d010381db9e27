import XCTest

@testable import Native

/// The kernels asked of OpenBLAS when it falls back below the CPU (`BLASCore.better`).
final class BLASCoreTests: XCTestCase {
    func testAFallbackIsReplacedByWhatTheCPUCanRun() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        XCTAssertEqual(BLASCore.better(chosen: "Prescott", flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCore.better(chosen: "Prescott", flags: ["avx2", "fma", "sse3"]), "Haswell")
        XCTAssertNil(BLASCore.better(chosen: "Prescott", flags: ["sse3", "ssse3"]), "nothing better to ask for")
        XCTAssertNil(BLASCore.better(chosen: "Haswell", flags: avx512), "OpenBLAS's own choice stands")
        XCTAssertNil(BLASCore.better(chosen: "Zen", flags: ["avx2", "fma"]))
    }
}
