extension Figure {
    /// Four panels over the epochs of a run: train and validation loss, train and validation
    /// accuracy, validation macro F1 with its best epoch marked, and the learning rate.
    public static func trainingHistory(_ epochs: [EpochRecord], title: String = "Training history") -> Figure {
        let x = epochs.map { Double($0.epoch) }
        let (train, validation, f1, lr) = (Color.palette[0], Color.palette[1], Color.palette[2], Color.palette[4])
        func panel(_ title: String, _ yLabel: String, _ lines: [LineSeries]) -> Panel {
            var panel = Panel(title: title, x: Axis(label: "epoch", integerSteps: true), y: Axis(label: yLabel))
            panel.lines = lines
            return panel
        }
        var f1Panel = panel(
            "Validation macro F1", "macro F1",
            [LineSeries(name: "validation", x: x, y: epochs.map(\.valF1), color: f1)])
        f1Panel.legend = .none
        if let best = epochs.filter({ $0.valF1.isFinite }).max(by: { $0.valF1 < $1.valF1 }) {
            f1Panel.labels = [
                PointLabel(
                    x: Double(best.epoch), y: best.valF1, text: "best \(fixed(best.valF1, 3)) (epoch \(best.epoch))",
                    color: Color(hex: 0x1B7A1B))
            ]
        }
        var lrPanel = panel("Learning rate", "learning rate", [LineSeries(x: x, y: epochs.map(\.lr), color: lr)])
        lrPanel.y.includesZero = true
        return Figure(
            title: title, width: 1200, height: 820, columns: 2,
            panels: [
                panel(
                    "Loss", "cross-entropy",
                    [
                        LineSeries(name: "train", x: x, y: epochs.map(\.trainLoss), color: train),
                        LineSeries(name: "validation", x: x, y: epochs.map(\.valLoss), color: validation),
                    ]),
                panel(
                    "Accuracy", "accuracy",
                    [
                        LineSeries(name: "train", x: x, y: epochs.map(\.trainAcc), color: train),
                        LineSeries(name: "validation", x: x, y: epochs.map(\.valAcc), color: validation),
                    ]),
                f1Panel,
                lrPanel,
            ])
    }
}
