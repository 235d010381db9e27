import Foundation

/// How sure a model was of its predictions on unlabelled data: the mean top probability, how
/// many examples fall below a threshold, and per predicted class the count and mean top
/// probability. Low-confidence classes are where a test set differs from the training data.
public struct ConfidenceReport: Sendable {
    public struct ClassRow: Sendable, Equatable {
        public var name: String
        /// Examples predicted as this class.
        public var count: Int
        /// Their mean top probability; NaN when the class was never predicted.
        public var meanConfidence: Double
    }

    public struct Prediction: Sendable, Equatable {
        /// The predicted class, 0-based.
        public var label: Int
        /// Its probability.
        public var confidence: Double
    }

    public let examples: Int
    public let meanTopProbability: Double
    public let threshold: Double
    public let belowThreshold: Int
    public let perClass: [ClassRow]
    /// Per example, in order.
    public let predictions: [Prediction]

    /// `probabilities` holds N rows of C class probabilities (softmax outputs), row-major.
    public init(probabilities: [Float], classNames: [String], threshold: Double = 0.5) throws {
        let classes = classNames.count
        guard classes > 0 else { throw ReportError("classNames", "expected at least one class name") }
        guard probabilities.count % classes == 0, !probabilities.isEmpty else {
            throw ReportError(
                "probabilities", "expected N x \(classes) values (one row per example), got \(probabilities.count)")
        }
        guard (0...1).contains(threshold) else { throw ReportError("threshold", "expected 0 to 1, got \(threshold)") }
        let n = probabilities.count / classes
        var predictions: [Prediction] = []
        for i in 0..<n {
            let row = probabilities[(i * classes)..<((i + 1) * classes)]
            let sum = row.reduce(0.0) { $0 + Double($1) }
            guard row.allSatisfy({ $0.isFinite && $0 >= 0 }), abs(sum - 1) <= 1e-3 else {
                throw ReportError(
                    "probabilities",
                    "row \(i + 1) sums to \(sum) or has values outside [0, 1]; expected softmax probabilities")
            }
            let best = row.indices.max { row[$0] < row[$1] }!
            predictions.append(Prediction(label: best - i * classes, confidence: Double(row[best])))
        }
        self.examples = n
        self.threshold = threshold
        self.predictions = predictions
        meanTopProbability = predictions.reduce(0) { $0 + $1.confidence } / Double(n)
        belowThreshold = predictions.filter { $0.confidence < threshold }.count
        perClass = classNames.enumerated().map { c, name in
            let mine = predictions.filter { $0.label == c }.map(\.confidence)
            return ClassRow(
                name: name, count: mine.count,
                meanConfidence: mine.isEmpty ? .nan : mine.reduce(0, +) / Double(mine.count))
        }
    }

    /// `probabilities` is an N x C tensor.
    public init(probabilities: Tensor, classNames: [String], threshold: Double = 0.5) throws {
        guard probabilities.shape.count == 2, probabilities.shape[1] == classNames.count else {
            throw ReportError(
                "probabilities", "expected a tensor of shape [N, \(classNames.count)], got \(probabilities.shape)")
        }
        try self.init(probabilities: probabilities.array, classNames: classNames, threshold: threshold)
    }

    /// The report as a table for the terminal:
    ///
    ///     200 examples: mean top probability 0.873, 14 below 0.50 (7.0%)
    ///     predicted   count   share   mean confidence
    ///     blues          21   10.5%             0.912
    public var table: String {
        let width = max(9, perClass.map(\.name.count).max() ?? 0)
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let space = String(repeating: " ", count: max(0, n - s.count))
            return left ? s + space : space + s
        }
        var text = "\(examples) examples: mean top probability \(String(format: "%.3f", meanTopProbability)), "
        text += "\(belowThreshold) below \(String(format: "%.2f", threshold)) "
        text += "(\(String(format: "%.1f", 100 * Double(belowThreshold) / Double(examples)))%)\n"
        text +=
            pad("predicted", width, left: true) + pad("count", 8) + pad("share", 8) + pad("mean confidence", 18) + "\n"
        for row in perClass {
            let share = String(format: "%.1f%%", 100 * Double(row.count) / Double(examples))
            let confidence = row.meanConfidence.isNaN ? "-" : String(format: "%.3f", row.meanConfidence)
            text +=
                pad(row.name, width, left: true) + pad("\(row.count)", 8) + pad(share, 8) + pad(confidence, 18) + "\n"
        }
        return text
    }
}

extension Figure {
    /// The prediction-distribution figure of a confidence report.
    public static func predictionDistribution(_ report: ConfidenceReport, title: String = "Predictions") throws
        -> Figure
    {
        try predictionDistribution(
            counts: report.perClass.map(\.count), meanConfidence: report.perClass.map(\.meanConfidence),
            classNames: report.perClass.map(\.name), title: title)
    }
}
