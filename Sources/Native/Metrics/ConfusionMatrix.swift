/// Counts of (true class, predicted class) pairs over `classes` classes, indexed from 0:
/// `self[truth: t, predicted: p]` is how many samples of class t were predicted as p, so a row
/// sums to the class's support and a column to how often it was predicted (scikit-learn's
/// `confusion_matrix(y_true, y_pred, labels=range(classes))`).
public struct ConfusionMatrix: Sendable, Equatable {
    public let classes: Int
    public private(set) var counts: [Int]  // [classes * classes], row = true class

    public init(classes: Int) throws {
        // classes² counts: 16,384 classes already take 2 GiB.
        guard classes > 0, classes <= 16_384 else {
            throw MetricsError("classes", "expected 1 to 16384 classes, got \(classes)")
        }
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * classes)
    }

    public init(truth: [Int], predicted: [Int], classes: Int) throws {
        try self.init(classes: classes)
        try add(truth: truth, predicted: predicted)
    }

    /// The matrix of the counts `rows[t][p]`, square and at least 0.
    public init(rows: [[Int]]) throws {
        try self.init(classes: rows.count)
        guard rows.allSatisfy({ $0.count == classes && $0.allSatisfy { $0 >= 0 } }) else {
            throw MetricsError("rows", "expected \(classes) rows of \(classes) counts of at least 0")
        }
        counts = Array(rows.joined())
    }

    /// Adds a batch of samples, so a matrix can be accumulated over an evaluation loop.
    public mutating func add(truth: [Int], predicted: [Int]) throws {
        guard truth.count == predicted.count else {
            throw MetricsError(
                "predicted", "expected one prediction per true label (\(truth.count)), got \(predicted.count)")
        }
        for (name, labels) in [("truth", truth), ("predicted", predicted)] {
            if let i = labels.firstIndex(where: { !(0..<classes).contains($0) }) {
                throw MetricsError(
                    name, "label \(labels[i]) at position \(i) is not a class index in 0..<\(classes)")
            }
        }
        for (t, p) in zip(truth, predicted) { counts[t * classes + p] += 1 }
    }

    public subscript(truth t: Int, predicted p: Int) -> Int { counts[t * classes + p] }

    public var total: Int { counts.reduce(0, +) }

    /// Samples of each class (row sums).
    public var support: [Int] {
        (0..<classes).map { t in (0..<classes).reduce(0) { $0 + self[truth: t, predicted: $1] } }
    }

    /// How often each class was predicted (column sums).
    public var predictedCounts: [Int] {
        (0..<classes).map { p in (0..<classes).reduce(0) { $0 + self[truth: $1, predicted: p] } }
    }

    /// The counts as rows: `rows[t][p]` samples of class t predicted as p.
    public var rows: [[Int]] { rows(of: counts) }

    /// `rowNormalised` as rows.
    public var normalisedRows: [[Double]] { rows(of: rowNormalised) }

    private func rows<T>(of cells: [T]) -> [[T]] {
        (0..<classes).map { Array(cells[($0 * classes)..<(($0 + 1) * classes)]) }
    }

    /// The matrix as a table, one row per true class under its name, columns predicted.
    public func text(classNames names: [String]) -> String {
        let width = max(names.map(\.count).max() ?? 0, 4)
        let cell = max(String(counts.max() ?? 0).count, 3) + 1
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        var text = "confusion matrix: \(classes) classes, \(total) samples (rows true, columns predicted)"
        for t in 0..<classes {
            text +=
                "\n" + pad(names[t], width)
                + (0..<classes).map { pad("\(self[truth: t, predicted: $0])", cell) }.joined()
        }
        return text
    }

    /// Each row divided by its sum: entry (t, p) is the share of class t predicted as p, so the
    /// diagonal is the per-class recall. A class with no samples keeps a row of zeros.
    public var rowNormalised: [Double] {
        let support = support
        return counts.indices.map { i in
            let row = support[i / classes]
            return row == 0 ? 0 : Double(counts[i]) / Double(row)
        }
    }
}
