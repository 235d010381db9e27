extension Figure {
    /// What a model predicted on unlabelled data: per class, how many examples it was
    /// predicted for (with the share of a uniform split marked) and the mean confidence (top
    /// softmax probability) of those predictions. A class never predicted has no bar.
    public static func predictionDistribution(
        counts: [Int], meanConfidence: [Double], classNames: [String], title: String = "Predictions"
    ) throws -> Figure {
        guard counts.count == classNames.count, meanConfidence.count == classNames.count else {
            throw PlotError(
                "predictionDistribution",
                "expected one count and one mean confidence per class (\(classNames.count)), got \(counts.count) and \(meanConfidence.count)"
            )
        }
        let total = counts.reduce(0, +)
        let uniform = total == 0 ? 0 : Double(total) / Double(counts.count)
        var countPanel = Panel(
            title: total == 0
                ? "Predicted count" : "Predicted count (dashed: uniform, \(fixed(uniform, uniform < 10 ? 1 : 0)))",
            x: Axis(label: "examples", integerSteps: true),
            y: .categories(classNames, reversed: true))
        countPanel.bars = BarSeries(
            values: counts.map(Double.init),
            valueLabels: counts.map { total == 0 ? "\($0)" : "\($0) (\(fixed(100 * Double($0) / Double(total), 0))%)" },
            orientation: .horizontal, colors: [Color.palette[0]])
        if total > 0 { countPanel.rules = [ReferenceLine(.vertical, at: uniform)] }

        var confidencePanel = Panel(
            title: "Mean confidence", x: Axis(label: "top probability", range: 0...1.16),
            y: .categories(classNames, reversed: true))
        let shown = zip(counts, meanConfidence).map { $0 > 0 ? $1 : .nan }
        confidencePanel.bars = BarSeries(
            values: shown, valueLabels: shown.map { $0.isFinite ? fixed($0, 3) : "" }, orientation: .horizontal,
            colors: [Color.palette[2]])
        let height = 180 + 34 * classNames.count
        return Figure(
            title: title, width: 1100, height: max(360, height), columns: 2, panels: [countPanel, confidencePanel])
    }
}
