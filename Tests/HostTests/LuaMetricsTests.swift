import Foundation
import XCTest

@testable import Host

/// One case of Tests/Fixtures/metrics (tools/reference/metrics.py): labels 0-based, and what
/// scikit-learn computed from them.
private struct SklearnCase: Decodable {
    var classes: Int
    var names: [String]
    var y_true: [Int]
    var y_pred: [Int]
    var accuracy: Double
    var precision: [Double]
    var recall: [Double]
    var f1: [Double]
    var support: [Int]
    var macro: [Double]
    var weighted: [Double]
    var confusion: [[Int]]
    var report: String

    static func load(_ name: String) throws -> SklearnCase {
        try JSONDecoder().decode(
            SklearnCase.self,
            from: Data(contentsOf: LuaFixtures.fixtures.appendingPathComponent("metrics/\(name).json")))
    }

    /// Lua source that sets `truth`, `predicted` (1-based) and `names`.
    var luaPrelude: String {
        func list(_ labels: [Int]) -> String { "{" + labels.map { String($0 + 1) }.joined(separator: ",") + "}" }
        return """
            local truth, predicted = \(list(y_true)), \(list(y_pred))
            local names = {\(names.map { "'\($0)'" }.joined(separator: ","))}
            """
    }
}

final class LuaMetricsTests: XCTestCase {
    /// Truth a a b c c c, predicted a b b c a c: per class (tp, predicted, support) =
    /// a (1, 2, 2), b (1, 2, 1), c (2, 2, 3), so precision .5 .5 1, recall .5 1 2/3,
    /// F1 = 2 tp / (support + predicted) = .5 2/3 .8; accuracy 4/6.
    private let handChecked = """
        local names = {'a', 'b', 'c'}
        local truth, predicted = {'a', 'a', 'b', 'c', 'c', 'c'}, {1, 2, 2, 3, 1, 3}
        """

    func testClassifyMatchesAHandCheckedCase() throws {
        let lua = LuaState()
        let r = try lua.evaluate(
            handChecked + """
                local m = mm.metrics.classify(truth, predicted, {names = names})
                local c = m.per_class
                return m.accuracy, m.macro_f1, m.macro.precision, m.macro.recall, m.weighted.f1, m.samples,
                       c[1].precision, c[1].recall, c[1].f1, c[2].precision, c[2].recall, c[2].f1,
                       c[3].precision, c[3].recall, c[3].f1, c[3].support, c[3].predicted, c[2].name, c[2].label
                """)
        let expected: [Double] = [
            4.0 / 6, (0.5 + 2.0 / 3 + 0.8) / 3, 2.0 / 3, (0.5 + 1 + 2.0 / 3) / 3, (2 * 0.5 + 2.0 / 3 + 3 * 0.8) / 6, 6,
            0.5, 0.5, 0.5, 0.5, 1, 2.0 / 3, 1, 2.0 / 3, 0.8, 3, 2,
        ]
        for (i, value) in expected.enumerated() {
            XCTAssertEqual(Double(r[i] ?? "") ?? .nan, value, accuracy: 1e-12, "result \(i + 1)")
        }
        XCTAssertEqual(Array(r[17...]), ["b", "2"])
        XCTAssertEqual(
            try lua.number(handChecked + "return mm.metrics.macro_f1(truth, predicted, names)"),
            (0.5 + 2.0 / 3 + 0.8) / 3, accuracy: 1e-12)
    }

    func testEveryScikitLearnFixtureMatchesThroughLua() throws {
        let lua = LuaState()
        for name in ["random", "imbalanced", "never_predicted", "perfect", "long_names"] {
            let expected = try SklearnCase.load(name)
            let r = try lua.evaluate(
                expected.luaPrelude + """
                    local m = mm.metrics.classify(truth, predicted, {names = names})
                    local out = {m.accuracy, m.macro.precision, m.macro.recall, m.macro.f1,
                                 m.weighted.precision, m.weighted.recall, m.weighted.f1}
                    for _, c in ipairs(m.per_class) do
                      for _, v in ipairs{c.precision, c.recall, c.f1, c.support} do out[#out + 1] = v end
                    end
                    for _, row in ipairs(m.confusion:matrix()) do
                      for _, v in ipairs(row) do out[#out + 1] = v end
                    end
                    return table.unpack(out)
                    """
            ).map { Double($0 ?? "") ?? .nan }
            var want = [expected.accuracy] + expected.macro + expected.weighted
            for c in 0..<expected.classes {
                want += [expected.precision[c], expected.recall[c], expected.f1[c], Double(expected.support[c])]
            }
            want += expected.confusion.flatMap { $0.map(Double.init) }
            XCTAssertEqual(r.count, want.count, name)
            for (i, (ours, sklearn)) in zip(r, want).enumerated() {
                XCTAssertEqual(ours, sklearn, accuracy: 1e-12, "\(name) value \(i + 1)")
            }
            let report = try lua.evaluate(expected.luaPrelude + "return mm.metrics.report(truth, predicted, names)")
            XCTAssertEqual(report, [expected.report], name)
        }
    }

    func testConfusionAccumulatedOverBatchesEqualsOneShotAndTakesTensors() throws {
        let r = try LuaState().evaluate(
            handChecked + """
                local cm = mm.metrics.confusion(names)
                cm:add({1, 1, 2}, mm.tensor{1, 2, 2})
                cm:add({'c', 'c', 'c'}, {'c', 'a', 'c'})
                local once = mm.metrics.confusion(truth, predicted, names)
                local a, b = cm:matrix(), once:matrix()
                local same = true
                for t = 1, 3 do for p = 1, 3 do same = same and a[t][p] == b[t][p] end end
                local n = cm:normalised()
                return same, cm.total, cm.classes, cm.names[3], a[3][1], n[3][3], n[2][2],
                       cm:classify().macro_f1 == once:classify().macro_f1
                """)
        XCTAssertEqual(r, ["true", "6", "3", "c", "1", "0.66666666666667", "1.0", "true"])
    }

    func testReportFromAConfusionIsTheSameText() throws {
        let lua = LuaState()
        let fromLabels = try lua.evaluate(
            handChecked + "return mm.metrics.report(truth, predicted, names, {digits = 2})")
        let fromConfusion = try lua.evaluate(
            handChecked + "return mm.metrics.confusion(truth, predicted, names):report{digits = 2}")
        XCTAssertEqual(fromLabels, fromConfusion)
        XCTAssertTrue(
            fromLabels[0]!.contains("           c       1.00      0.67      0.80         3\n"), fromLabels[0]!)
        // Without names the classes are called by their Lua labels.
        let numbered = try lua.evaluate("return mm.metrics.report({1, 2}, {1, 2}, 2)")
        XCTAssertTrue(numbered[0]!.contains("           2     1.0000    1.0000    1.0000         1"), numbered[0]!)
    }

    func testBadLabelsAndClassesAreErrorsThatSayWhat() {
        let lua = LuaState()
        let cases: [(String, String)] = [
            (
                "mm.metrics.classify({1, 2}, {1}, 2)",
                "bad argument #2 to 'classify' (2 predictions expected (one per true label), got 1)"
            ),
            (
                "mm.metrics.classify({1, 5}, {1, 1}, 2)",
                "bad argument #1 to 'classify' (label 2 is 5, expected a class 1 ... 2)"
            ),
            (
                "mm.metrics.classify({1, 0.5}, {1, 1}, 2)",
                "bad argument #1 to 'classify' (label 2: integer expected, got number)"
            ),
            (
                "mm.metrics.classify({'a', 'x'}, {1, 1}, {'a', 'b'})",
                "bad argument #1 to 'classify' (label 'x' is not a class name; expected one of a, b)"
            ),
            (
                "mm.metrics.classify({'a'}, {1}, 2)",
                "bad argument #1 to 'classify' (label 1: integer expected, got string)"
            ),
            (
                "mm.metrics.classify({1}, {1})",
                "bad argument #3 to 'classify' (a class count, a list of class names or {classes = n, names = {...}} expected, got no value)"
            ),
            (
                "mm.metrics.classify({1}, {1}, {classes = 3, names = {'a'}})",
                "bad argument #3 to 'classify' (field 'names': 3 names expected (one per class), got 1)"
            ),
            ("mm.metrics.classify({}, {}, 3)", "metrics: expected at least one sample to score, got none"),
            (
                "mm.metrics.classify(mm.tensor{{0.1, 0.9}}, {2}, 2)",
                "bad argument #1 to 'classify' (a 1-D tensor of labels expected, got shape [1, 2] (t:argmax() gives the labels of scores))"
            ),
            (
                "mm.metrics.confusion({'a', 'a'})",
                "bad argument #1 to 'confusion' (class names must differ; 'a' appears twice)"
            ),
            ("mm.metrics.confusion(0)", "bad argument #1 to 'confusion' (at least 1 class expected, got 0)"),
            (
                "mm.metrics.report(5)",
                "bad argument #1 to 'report' (confusion, table of labels or tensor expected, got number)"
            ),
        ]
        for (source, message) in cases {
            XCTAssertEqual(lua.failure(source), "test:1: " + message, source)
        }
    }

    func testErrorsRaisedInALoopLeaveTheStateUsable() throws {
        try LuaState().assertErrorLoopSurvives([
            "mm.metrics.classify({1, 9}, {1, 1}, 2)", "mm.metrics.confusion(3):add({1}, {'x'})",
            "mm.metrics.report({}, {}, 2)",
        ])
    }
}
