import Foundation

extension ClassificationMetrics {
    /// The table scikit-learn's `classification_report(digits:)` prints, character for
    /// character: one row per class, then accuracy, macro and weighted averages.
    ///
    ///                   precision    recall  f1-score   support
    ///
    ///            blues     0.9000    0.6429    0.7500        14
    ///     ...
    ///         accuracy                         0.7667       120
    ///        macro avg     0.6210    0.6414    0.6249       120
    ///     weighted avg     0.7551    0.7667    0.7536       120
    public func report(classNames: [String], digits: Int = 4) throws -> String {
        guard classNames.count == classes else {
            throw MetricsError("classNames", "expected \(classes) names, one per class, got \(classNames.count)")
        }
        guard (0...15).contains(digits) else { throw MetricsError("digits", "expected 0 to 15, got \(digits)") }
        let width = max(classNames.map(\.count).max() ?? 0, "weighted avg".count, digits)
        func right(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        func number(_ value: Double) -> String { right(String(format: "%.\(digits)f", value), 9) }
        func row(_ heading: String, _ cells: [String]) -> String {
            right(heading, width) + " " + cells.map { " " + $0 }.joined() + "\n"
        }
        let total = support.reduce(0, +)
        var text = row("", ["precision", "recall", "f1-score", "support"].map { right($0, 9) })
        text = String(text.dropLast()) + "\n\n"
        for c in 0..<classes {
            text += row(
                classNames[c], [number(precision[c]), number(recall[c]), number(f1[c]), right("\(support[c])", 9)])
        }
        text += "\n"
        let blank = right("", 9)
        text += row("accuracy", [blank, blank, number(accuracy), right("\(total)", 9)])
        for (heading, average) in [("macro avg", macro), ("weighted avg", weighted)] {
            text += row(
                heading, [number(average.precision), number(average.recall), number(average.f1), right("\(total)", 9)])
        }
        return text
    }
}
