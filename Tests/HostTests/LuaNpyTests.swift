import Foundation
import Native
import XCTest

@testable import Host

/// mm.npy: every array the engine holds goes to NumPy's format and comes back as a tensor.
final class LuaNpyTests: XCTestCase {
    func testTensorRoundTripKeepsShapeAndValues() throws {
        let file = try LuaFixtures.scratch(self).appendingPathComponent("t.npy").path
        let r = try LuaState().evaluate(
            """
            local t = mm.tensor{{{1, 2}, {3, 4}, {5, 6}}}
            mm.npy.save('\(file)', t)
            local u = mm.npy.load('\(file)')
            return table.concat(u:shape(), 'x'), u:get(1, 3, 2), (u - t):sum()
            """)
        XCTAssertEqual(r, ["1x3x2", "6.0", "0.0"])
        // What Python would read: a float32 array of that shape.
        let array = try Npy.read(file)
        XCTAssertEqual(array.shape, [1, 3, 2])
        XCTAssertEqual(array.values, [1, 2, 3, 4, 5, 6])
    }

    func testAudioIsFramesByChannelsAndMonoIsFrames() throws {
        let folder = try LuaFixtures.scratch(self)
        _ = try LuaState().evaluate(
            """
            local a = mm.audio.load('\(LuaFixtures.path("dsp/stereo44k.wav"))')
            mm.npy.save('\(folder.path)/stereo.npy', a)
            mm.npy.save('\(folder.path)/mono.npy', a:mono())
            """)
        let stereo = try Npy.read(folder.path + "/stereo.npy")
        let mono = try Npy.read(folder.path + "/mono.npy")
        XCTAssertEqual(stereo.shape, [11025, 2])
        XCTAssertEqual(mono.shape, [11025])
        XCTAssertEqual(mono.values[100], (stereo.values[200] + stereo.values[201]) / 2)
    }

    func testSpectrogramIsBinsByFrames() throws {
        let file = try LuaFixtures.scratch(self).appendingPathComponent("mel.npy").path
        let r = try LuaState().evaluate(
            """
            local y = mm.audio.load('\(LuaFixtures.path("dsp/stereo44k.wav"))'):mono():resample(22050)
            local s = mm.dsp.melspec(y)
            mm.npy.save('\(file)', s)
            local back = mm.npy.load('\(file)')
            return table.concat(back:shape(), 'x'), back:get(64, 5) == s:get(64, 5)
            """)
        XCTAssertEqual(r, ["128x11", "true"])
    }

    func testLoadReadsLibrosaFixtures() throws {
        let r = try LuaState().evaluate(
            """
            local x = mm.npy.load('\(LuaFixtures.path("dsp/stereo44k/zcr.npy"))')
            return table.concat(x:shape(), 'x'), x:get(1, 1)
            """)
        // zcr.npy is float64 in the file; 0.04296875 = 88 / 2048 is exact in float32.
        XCTAssertEqual(r, ["1x11", "0.04296875"])
    }

    func testErrorsNameTheFileAndTheArgument() throws {
        let state = LuaState()
        XCTAssertEqual(
            state.failure("mm.npy.load('/no/such.npy')"),
            "test:1: /no/such.npy: cannot read the file (missing or unreadable)")
        XCTAssertEqual(
            state.failure("mm.npy.save('/tmp/x.npy', {1, 2})"),
            "test:1: bad argument #2 to 'save' (audio, spectrogram or tensor expected, got table)")
        XCTAssertEqual(
            state.failure("mm.npy.load('\(LuaFixtures.path("dsp/stereo44k.wav"))')")?.contains("stereo44k.wav:"), true)
        try state.assertErrorLoopSurvives([
            "mm.npy.load('/no/such.npy')", "mm.npy.save('/tmp/x.npy', 1)", "mm.npy.save(nil, mm.zeros{1})",
        ])
    }
}
