/// Accuracy and per-class precision, recall, F1 and support of a classifier, exactly as
/// scikit-learn defines them with `labels=range(classes)` and `zero_division=0`:
///
///   precision_c = tp_c / predicted_c        recall_c = tp_c / support_c
///   F1_c        = 2 tp_c / (support_c + predicted_c)
///
/// each 0 where its denominator is 0 (a class never predicted has precision 0 and F1 0).
/// Macro averages are plain means over all `classes`, including classes absent from both the
/// truth and the predictions; weighted averages weight each class by its support.
public struct ClassificationMetrics: Sendable, Equatable {
    /// Precision, recall and F1 averaged over the classes.
    public struct Averages: Sendable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
    }

    public let confusion: ConfusionMatrix
    public let accuracy: Double
    public let precision: [Double]
    public let recall: [Double]
    public let f1: [Double]
    public let support: [Int]
    public let macro: Averages
    public let weighted: Averages

    public var classes: Int { confusion.classes }
    public var macroF1: Double { macro.f1 }

    public init(truth: [Int], predicted: [Int], classes: Int) throws {
        try self.init(ConfusionMatrix(truth: truth, predicted: predicted, classes: classes))
    }

    public init(_ confusion: ConfusionMatrix) throws {
        let total = confusion.total
        guard total > 0 else { throw MetricsError("truth", "expected at least one sample to score, got none") }
        let classes = confusion.classes
        let support = confusion.support
        let predicted = confusion.predictedCounts
        let truePositives = (0..<classes).map { confusion[truth: $0, predicted: $0] }
        func ratio(_ numerator: Int, _ denominator: Int) -> Double {
            denominator == 0 ? 0 : Double(numerator) / Double(denominator)
        }
        self.confusion = confusion
        self.support = support
        accuracy = ratio(truePositives.reduce(0, +), total)
        precision = (0..<classes).map { ratio(truePositives[$0], predicted[$0]) }
        recall = (0..<classes).map { ratio(truePositives[$0], support[$0]) }
        f1 = (0..<classes).map { ratio(2 * truePositives[$0], support[$0] + predicted[$0]) }

        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(classes) }
        func supportWeighted(_ values: [Double]) -> Double {
            zip(values, support).reduce(0) { $0 + $1.0 * Double($1.1) } / Double(total)
        }
        macro = Averages(precision: mean(precision), recall: mean(recall), f1: mean(f1))
        weighted = Averages(
            precision: supportWeighted(precision), recall: supportWeighted(recall), f1: supportWeighted(f1))
    }
}

extension ConfusionMatrix {
    /// The standard error of macro F1 as a stratified bootstrap estimates it: each resample
    /// redraws every true class's `support` predictions from that class's row (the class sizes
    /// of a validation set are fixed by design, so only the predictions vary), and the result is
    /// the standard deviation of the resamples' macro F1. Deterministic for a seed. 0.05 on a
    /// validation set says that two epochs 0.03 apart are not told apart by it.
    public func macroF1StandardError(resamples: Int = 200, seed: UInt64 = 0x5E_F1) throws -> Double {
        guard resamples >= 2 else { throw MetricsError("resamples", "expected at least 2, got \(resamples)") }
        guard total > 0 else { throw MetricsError("truth", "expected at least one sample to score, got none") }
        var r = Random(seed: seed)
        var scores: [Double] = []
        scores.reserveCapacity(resamples)
        var resampled = [Int](repeating: 0, count: classes * classes)
        for _ in 0..<resamples {
            for i in resampled.indices { resampled[i] = 0 }
            for t in 0..<classes {
                let row = counts[(t * classes)..<((t + 1) * classes)]
                let n = row.reduce(0, +)
                for _ in 0..<n {
                    // Inverse CDF of the row's counts.
                    var k = Int(r.below(UInt64(n)))
                    var p = 0
                    while k >= row[row.startIndex + p] {
                        k -= row[row.startIndex + p]
                        p += 1
                    }
                    resampled[t * classes + p] += 1
                }
            }
            var f1 = 0.0
            for c in 0..<classes {
                let tp = resampled[c * classes + c]
                var support = 0
                var predicted = 0
                for k in 0..<classes {
                    support += resampled[c * classes + k]
                    predicted += resampled[k * classes + c]
                }
                if support + predicted > 0 { f1 += 2 * Double(tp) / Double(support + predicted) }
            }
            scores.append(f1 / Double(classes))
        }
        let mean = scores.reduce(0, +) / Double(resamples)
        let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(resamples - 1)
        return variance.squareRoot()
    }
}
