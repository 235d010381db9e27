import Foundation
import XCTest

@testable import Host

/// Tensors from Lua: construction, indexing, arithmetic, reductions, views and errors.
final class LuaTensorTests: XCTestCase {
    func testNestedTablesGiveTheShape() throws {
        let r = try LuaState().evaluate(
            """
            local t = mm.tensor{{1, 2, 3}, {4, 5, 6}}
            return table.concat(t:shape(), 'x'), t:dim(), t:numel(), #t, t:size(2), t:size(-1), t:get(2, 3)
            """)
        XCTAssertEqual(r, ["2x3", "2", "6", "2", "3", "3", "6.0"])
    }

    func testConstructorsTakeAShapeTableOrSizes() throws {
        let r = try LuaState().evaluate(
            """
            local z, o = mm.zeros{2, 3, 4}, mm.ones(3, 2)
            return table.concat(z:shape(), 'x'), z:sum(), table.concat(o:shape(), 'x'), o:sum()
            """)
        XCTAssertEqual(r, ["2x3x4", "0.0", "3x2", "6.0"])
    }

    func testRandomTensorsFollowTheSeed() throws {
        let source =
            "mm.seed(5); local a = mm.randn{1000}; local u = mm.rand{1000}; return a:get(1), a:mean(), u:min() >= 0 and u:max() < 1"
        let first = try LuaState().evaluate(source)
        XCTAssertEqual(first, try LuaState().evaluate(source))
        XCTAssertEqual(first[2], "true")
        XCTAssertLessThan(abs(Double(first[1]!)!), 0.1, "mean of 1000 standard normals")
    }

    func testArithmeticIsElementWiseWithTensorsAndNumbers() throws {
        let r = try LuaState().evaluate(
            """
            local a, b = mm.tensor{1, 2, 3}, mm.tensor{4, 5, 6}
            local function list(t) return table.concat(t:totable(), ',') end
            return list(a + b), list(b - a), list(a * b), list(b / a), list(2 * a), list(a - 1), list(6 / a), list(-a)
            """)
        XCTAssertEqual(
            r,
            [
                "5.0,7.0,9.0", "3.0,3.0,3.0", "4.0,10.0,18.0", "4.0,2.5,2.0", "2.0,4.0,6.0", "0.0,1.0,2.0",
                "6.0,3.0,2.0", "-1.0,-2.0,-3.0",
            ])
    }

    func testReductionsSoftmaxAndArgmax() throws {
        let r = try LuaState().evaluate(
            """
            local t = mm.tensor{{1, 5, 2}, {7, 0, 3}}
            local p = mm.tensor{0, math.log(3)}:softmax()
            local columns = t:argmax(1)
            return t:sum(), t:mean(), t:max(), t:min(), table.concat(t:argmax(), ','), table.concat(columns, ','),
              mm.tensor{3, 9, 1}:argmax(), ('%.6f'):format(p:get(1)), ('%.6f'):format(p:get(2))
            """)
        XCTAssertEqual(r, ["18.0", "3.0", "7.0", "0.0", "2,1", "2,1,2", "2", "0.250000", "0.750000"])
    }

    func testReshapeAndBatchAreViewsAndCopyIsNot() throws {
        let r = try LuaState().evaluate(
            """
            local t = mm.zeros{4, 3}
            local flat, second, copy = t:reshape{-1}, t:batch(2, 2), t:copy()
            flat:set(7, 4)
            second:set(9, 2, 3)
            copy:fill(1)
            return t:get(2, 1), t:get(3, 3), t:sum(), table.concat(second:shape(), 'x'), table.concat(t:reshape(2, 6):shape(), 'x')
            """)
        XCTAssertEqual(r, ["7.0", "9.0", "16.0", "2x3", "2x6"])
    }

    func testMatmul() throws {
        let r = try LuaState().evaluate(
            """
            local c = mm.tensor{{1, 2}, {3, 4}}:matmul(mm.tensor{{5}, {6}})
            return table.concat(c:shape(), 'x'), c:get(1, 1), c:get(2, 1)
            """)
        XCTAssertEqual(r, ["2x1", "17.0", "39.0"])
    }

    func testPrintShowsValuesAndSize() throws {
        XCTAssertEqual(
            try LuaState().evaluate("return tostring(mm.tensor{{1, 2.5}, {-3, 4}})"),
            [" 1.0000  2.5000\n-3.0000  4.0000\n[tensor of size 2x2]"])
        XCTAssertEqual(
            try LuaState().evaluate("return tostring(mm.ones{2, 3, 4})"),
            ["1.0000 1.0000 1.0000 1.0000 1.0000 1.0000 1.0000 1.0000 ...\n[tensor of size 2x3x4]"])
    }

    func testBadTensorsAndIndicesAreExplained() throws {
        let state = LuaState()
        let cases: [(String, String)] = [
            (
                "mm.tensor{{1, 2}, {3}}",
                "bad argument #1 to 'tensor' (nested sequences of numbers expected: a sequence of 1 where the others at depth 2 have 2)"
            ),
            (
                "mm.tensor{1, 'x'}",
                "bad argument #1 to 'tensor' (nested sequences of numbers expected: a string value at depth 1, position 2)"
            ),
            ("mm.zeros{2, -1}", "bad argument #1 to 'zeros' (sizes >= 0 expected, got {2, -1})"),
            (
                "mm.zeros{100000, 100000, 100}",
                "bad argument #1 to 'zeros' (shape [100000, 100000, 100] holds more than 2147483648 elements)"
            ),
            ("mm.zeros{2, 2}:get(3, 1)", "bad argument #1 to 'get' (index 1 ... 2 expected for dimension 1, got 3)"),
            ("mm.zeros{2, 2}:get(1)", "tensor of shape [2, 2] takes 2 indices, got 1"),
            (
                "return mm.zeros{2} + mm.zeros{3}",
                "tensor + tensor: shapes [2] and [3] differ (add: shapes [2] and [3] differ)"
            ),
            ("return mm.zeros{2} + 'x'", "attempt to perform arithmetic '+' on a tensor and a string value"),
            ("mm.zeros{6}:reshape{4, -1}", "bad argument #1 to 'reshape' (cannot reshape [6] to [4, -1])"),
            ("mm.zeros{0}:mean()", "mean of an empty tensor (shape [0])"),
        ]
        for (source, message) in cases {
            XCTAssertEqual(state.failure(source), "test:1: " + message, source)
        }
        try state.assertErrorLoopSurvives([
            "mm.tensor{{1, 2}, {3}}", "mm.zeros{2, 2}:get(3, 1)", "return mm.zeros{2} * mm.zeros{3}", "mm.randn('x')",
        ])
    }
}
