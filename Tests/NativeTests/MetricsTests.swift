import Foundation
import Native
import XCTest

/// One case written by tools/reference/metrics.py: inputs and what scikit-learn computed.
private struct SklearnCase: Decodable {
    var classes: Int
    var names: [String]
    var truth: [Int]
    var predicted: [Int]
    var accuracy: Double
    var precision: [Double]
    var recall: [Double]
    var f1: [Double]
    var support: [Int]
    var macro: [Double]
    var weighted: [Double]
    var confusion: [[Int]]
    var report: String

    enum CodingKeys: String, CodingKey {
        case classes, names, accuracy, precision, recall, f1, support, macro, weighted, confusion, report
        case truth = "y_true"
        case predicted = "y_pred"
    }

    static func load(_ name: String) throws -> SklearnCase {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/metrics/\(name).json")
        return try JSONDecoder().decode(SklearnCase.self, from: Data(contentsOf: url))
    }
}

final class MetricsTests: XCTestCase {
    static let cases = ["random", "imbalanced", "never_predicted", "perfect", "long_names"]

    private func assertMatches(_ ours: [Double], _ theirs: [Double], _ what: String, _ name: String) {
        XCTAssertEqual(ours.count, theirs.count, "\(name) \(what) length")
        for (i, (a, b)) in zip(ours, theirs).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-12, "\(name) \(what)[\(i)]: ours \(a), sklearn \(b)")
        }
    }

    func testEveryFixtureMatchesScikitLearnTo1e12() throws {
        for name in Self.cases {
            let expected = try SklearnCase.load(name)
            let m = try ClassificationMetrics(
                truth: expected.truth, predicted: expected.predicted, classes: expected.classes)
            XCTAssertEqual(m.accuracy, expected.accuracy, accuracy: 1e-12, name)
            assertMatches(m.precision, expected.precision, "precision", name)
            assertMatches(m.recall, expected.recall, "recall", name)
            assertMatches(m.f1, expected.f1, "f1", name)
            XCTAssertEqual(m.support, expected.support, name)
            assertMatches([m.macro.precision, m.macro.recall, m.macro.f1], expected.macro, "macro", name)
            assertMatches(
                [m.weighted.precision, m.weighted.recall, m.weighted.f1], expected.weighted, "weighted", name)
            let rows = (0..<expected.classes).map { t in
                (0..<expected.classes).map { m.confusion[truth: t, predicted: $0] }
            }
            XCTAssertEqual(rows, expected.confusion, name)
        }
    }

    func testReportIsScikitLearnsTextCharacterForCharacter() throws {
        for name in Self.cases {
            let expected = try SklearnCase.load(name)
            let m = try ClassificationMetrics(
                truth: expected.truth, predicted: expected.predicted, classes: expected.classes)
            XCTAssertEqual(try m.report(classNames: expected.names), expected.report, name)
        }
    }

    func testNeverPredictedClassHasZeroPrecisionAndF1AndAbsentClassCountsInMacro() throws {
        let expected = try SklearnCase.load("never_predicted")
        let m = try ClassificationMetrics(truth: expected.truth, predicted: expected.predicted, classes: 10)
        // disco (3) has samples but is never predicted; jazz (5) appears nowhere.
        XCTAssertGreaterThan(m.support[3], 0)
        XCTAssertEqual(m.confusion.predictedCounts[3], 0)
        XCTAssertEqual([m.precision[3], m.recall[3], m.f1[3]], [0, 0, 0])
        XCTAssertEqual([m.support[5], m.confusion.predictedCounts[5]], [0, 0])
        XCTAssertEqual(m.macroF1, m.f1.reduce(0, +) / 10, accuracy: 1e-15)
    }

    func testHandComputedThreeClassExample() throws {
        // truth 0 0 1 1 2 2, predicted 0 1 1 1 0 2: tp = (1, 2, 1), support = (2, 2, 2), predicted = (2, 3, 1).
        let m = try ClassificationMetrics(truth: [0, 0, 1, 1, 2, 2], predicted: [0, 1, 1, 1, 0, 2], classes: 3)
        XCTAssertEqual(m.accuracy, 4.0 / 6.0)
        XCTAssertEqual(m.precision, [0.5, 2.0 / 3.0, 1])
        XCTAssertEqual(m.recall, [0.5, 1, 0.5])
        XCTAssertEqual(m.f1, [2.0 / 4.0, 4.0 / 5.0, 2.0 / 3.0])
        XCTAssertEqual(m.confusion.rowNormalised, [0.5, 0.5, 0, 0, 1, 0, 0.5, 0, 0.5])
    }

    /// A perfect classifier's F1 cannot vary under resampling; a coin-flip between two classes
    /// varies as a binomial proportion does, sqrt(p (1 - p) / n) for each class's recall.
    func testMacroF1StandardErrorIsZeroForAPerfectClassifierAndBinomialForACoinFlip() throws {
        let perfect = try ConfusionMatrix(truth: [0, 1, 2, 0, 1, 2], predicted: [0, 1, 2, 0, 1, 2], classes: 3)
        XCTAssertEqual(try perfect.macroF1StandardError(), 0)
        // Two classes of 400; each half right, half predicted as the other class.
        let truth = [Int](repeating: 0, count: 400) + [Int](repeating: 1, count: 400)
        let predicted = (0..<800).map { $0 % 2 }
        let coin = try ConfusionMatrix(truth: truth, predicted: predicted, classes: 2)
        let se = try coin.macroF1StandardError(resamples: 400)
        // F1 of each class moves with its recall; macro F1 averages two independent ones.
        let expected = (0.25 / 400).squareRoot() / 2.squareRoot()
        XCTAssertEqual(se, expected, accuracy: 0.3 * expected)
        XCTAssertEqual(se, try coin.macroF1StandardError(resamples: 400), "deterministic for a seed")
        XCTAssertThrowsError(try coin.macroF1StandardError(resamples: 1))
    }

    func testConfusionMatrixAccumulatesBatches() throws {
        var c = try ConfusionMatrix(classes: 2)
        try c.add(truth: [0, 1], predicted: [0, 0])
        try c.add(truth: [1], predicted: [1])
        XCTAssertEqual(c.counts, [1, 0, 1, 1])
        XCTAssertEqual(c.total, 3)
        XCTAssertEqual(c.support, [1, 2])
        XCTAssertEqual(c.predictedCounts, [2, 1])
    }

    func testConfusionMatrixFromRowsOfCountsAndAsRowsAndText() throws {
        let c = try ConfusionMatrix(rows: [[2, 0], [1, 10]])
        XCTAssertEqual(
            c,
            try ConfusionMatrix(
                truth: [0, 0, 1] + Array(repeating: 1, count: 10),
                predicted: [0, 0, 0] + Array(repeating: 1, count: 10), classes: 2))
        XCTAssertEqual(c.rows, [[2, 0], [1, 10]])
        XCTAssertEqual(c.normalisedRows, [[1, 0], [1.0 / 11, 10.0 / 11]])
        XCTAssertEqual(
            c.text(classNames: ["jazz", "rock"]),
            "confusion matrix: 2 classes, 13 samples (rows true, columns predicted)\njazz   2   0\nrock   1  10")
        XCTAssertThrowsError(try ConfusionMatrix(rows: [[1, 0], [1]]))
        XCTAssertThrowsError(try ConfusionMatrix(rows: [[1, -1], [0, 1]]))
    }

    func testBadInputNamesTheArgument() throws {
        XCTAssertThrowsError(try ClassificationMetrics(truth: [0, 1], predicted: [0], classes: 2)) {
            XCTAssertEqual("\($0)", "predicted: expected one prediction per true label (2), got 1")
        }
        XCTAssertThrowsError(try ClassificationMetrics(truth: [0, 2], predicted: [0, 1], classes: 2)) {
            XCTAssertEqual("\($0)", "truth: label 2 at position 1 is not a class index in 0..<2")
        }
        XCTAssertThrowsError(try ClassificationMetrics(truth: [0], predicted: [-1], classes: 2)) {
            XCTAssertEqual("\($0)", "predicted: label -1 at position 0 is not a class index in 0..<2")
        }
        XCTAssertThrowsError(try ClassificationMetrics(truth: [], predicted: [], classes: 2)) {
            XCTAssertEqual("\($0)", "truth: expected at least one sample to score, got none")
        }
        XCTAssertThrowsError(try ConfusionMatrix(classes: 0)) {
            XCTAssertEqual("\($0)", "classes: expected 1 to 16384 classes, got 0")
        }
        let m = try ClassificationMetrics(truth: [0], predicted: [0], classes: 2)
        XCTAssertThrowsError(try m.report(classNames: ["only one"])) {
            XCTAssertEqual("\($0)", "classNames: expected 2 names, one per class, got 1")
        }
    }
}
