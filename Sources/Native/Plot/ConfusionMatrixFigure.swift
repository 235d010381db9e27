import Foundation

extension Figure {
    /// The confusion matrix as a heat map in blues: true classes down, predicted across. With
    /// `normalise`, each row is divided by its class's support, so the diagonal reads as
    /// per-class recall and the colours compare across classes of unequal size; cells show the
    /// share in bold over the count. Empty cells stay blank. Without a title, "Confusion matrix"
    /// with the accuracy and macro F1 when the matrix holds samples.
    public static func confusionMatrix(
        _ matrix: ConfusionMatrix, classNames: [String], normalise: Bool = true, title: String? = nil
    ) throws -> Figure {
        let title = try title ?? (matrix.total > 0 ? scoredTitle(ClassificationMetrics(matrix)) : "Confusion matrix")
        guard classNames.count == matrix.classes else {
            throw PlotError("classNames", "expected \(matrix.classes) names, one per class, got \(classNames.count)")
        }
        let values = normalise ? matrix.rowNormalised : matrix.counts.map(Double.init)
        let labels = zip(matrix.counts, values).map { count, share in
            count == 0 ? "" : normalise ? "\(fixed(share, 2))\n\(count)" : "\(count)"
        }
        var map = HeatMap(
            rows: matrix.classes, columns: matrix.classes, values: values, colorMap: .blues,
            valueRange: normalise ? 0...1 : 0...Double(max(1, matrix.counts.max() ?? 1)), cellLabels: labels)
        map.colorBarLabel = normalise ? "share of the true class" : "count"
        var panel = Panel(
            x: .categories(classNames, label: "predicted"), y: .categories(classNames, label: "true", reversed: true))
        panel.heatMap = map
        panel.grid = false
        let side = 260 + 62 * matrix.classes
        return Figure(title: title, width: min(side + 120, 2400), height: min(side, 2300), panels: [panel])
    }

    /// The confusion matrix of `metrics`, titled with its accuracy and macro F1.
    public static func confusionMatrix(
        _ metrics: ClassificationMetrics, classNames: [String], normalise: Bool = true
    ) throws -> Figure {
        try confusionMatrix(
            metrics.confusion, classNames: classNames, normalise: normalise, title: scoredTitle(metrics))
    }

    private static func scoredTitle(_ metrics: ClassificationMetrics) -> String {
        "Confusion matrix (accuracy \(fixed(metrics.accuracy, 3)), macro F1 \(fixed(metrics.macroF1, 3)))"
    }
}
