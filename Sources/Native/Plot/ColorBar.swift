import Foundation

/// The colour bar beside a heat map: the colour map as a vertical gradient, ticks at 1-2-5
/// steps of the value range, and its label along the right edge.
extension PanelRenderer {
    private static let barWidth = 16.0
    private static let barGap = 14.0

    /// Width taken right of the plot area by the bar, its tick labels and its label.
    func colorBarSpace(height: Double) -> Double {
        guard let map = panel.heatMap, map.showsColorBar else { return 0 }
        let ticks = colorBarTicks(map, length: height)
        let widest = ticks.map { canvas.measure($0.label, PlotStyle.tickLabel).width }.max() ?? 0
        let label = map.colorBarLabel.map { _ in canvas.measure("Ag", PlotStyle.axisLabel).height + PlotStyle.gap } ?? 0
        return Self.barGap + Self.barWidth + PlotStyle.tickLength + PlotStyle.gap / 2 + widest + PlotStyle.gap + label
    }

    func colorBarRect(beside area: Rect) -> Rect? {
        guard let map = panel.heatMap, map.showsColorBar else { return nil }
        return Rect(x: area.maxX + Self.barGap, y: area.y, width: Self.barWidth, height: area.height)
    }

    func drawColorBar(_ layout: PanelLayout) {
        guard let map = panel.heatMap, let bar = layout.colorBar else { return }
        // 256 steps top (high) to bottom (low), interpolated.
        let steps = 256
        let pixels = (0..<steps).map { map.colorMap.color(at: 1 - Double($0) / Double(steps - 1)).argb32 }
        canvas.image(pixels, columns: 1, rows: steps, into: bar, smooth: true)
        canvas.stroke(bar.inset(top: 0.5, left: 0.5, bottom: -0.5, right: -0.5), PlotStyle.frame)

        let range = map.colorRange
        let scale = AxisScale(range: range, reversed: false, vertical: true, start: bar.y, length: bar.height)
        var widest = 0.0
        for tick in colorBarTicks(map, length: bar.height) {
            let y = scale.pixel(tick.value)
            canvas.line(
                from: Point(x: bar.maxX, y: y), to: Point(x: bar.maxX + PlotStyle.tickLength, y: y), PlotStyle.frame)
            canvas.text(
                tick.label, at: Point(x: bar.maxX + PlotStyle.tickLength + PlotStyle.gap / 2, y: y),
                PlotStyle.tickLabel,
                vertical: .middle)
            widest = max(widest, canvas.measure(tick.label, PlotStyle.tickLabel).width)
        }
        if let label = map.colorBarLabel {
            let x = bar.maxX + PlotStyle.tickLength + PlotStyle.gap / 2 + widest + PlotStyle.gap
            canvas.text(
                label, at: Point(x: x, y: bar.center.y), PlotStyle.axisLabel, horizontal: .center, vertical: .top,
                angle: -Double.pi / 2)
        }
    }

    private func colorBarTicks(_ map: HeatMap, length: Double) -> [Tick] {
        placeTicks(Axis(), map.colorRange, length: max(length - 60, 40), horizontal: false).ticks
    }
}
