import Foundation

/// Draws one panel in its grid cell: fits the axes to the data, lays out ticks and labels so
/// that none overlap, then draws grid, data, axes, legend and colour bar in that order.
struct PanelRenderer {
    let panel: Panel
    let frame: Rect
    let canvas: Canvas

    /// A tick as placed: its data value, its label, and whether labels of the x axis are
    /// turned 45 degrees to fit.
    struct PlacedTicks {
        var ticks: [Tick]
        var rotated = false
    }

    func draw() -> PanelLayout {
        let xRange = fittedRange(horizontal: true)
        let yRange = fittedRange(horizontal: false)
        let tickStyle = PlotStyle.tickLabel
        let lineHeight = canvas.measure("0", tickStyle).height

        // Margins around the plot area: title above; tick labels and axis label left and below;
        // colour bar right. The y ticks depend on the height and set the width, which sets the
        // x ticks, which set the height: two passes settle it.
        let titleSpace = panel.title.map { canvas.measure($0, PlotStyle.panelTitle).height + PlotStyle.gap } ?? 0
        let yLabelSpace =
            panel.y.label.map { _ in canvas.measure("Ag", PlotStyle.axisLabel).height + PlotStyle.gap } ?? 0
        let xLabelSpace =
            panel.x.label.map { _ in canvas.measure("Ag", PlotStyle.axisLabel).height + PlotStyle.gap } ?? 0
        let rightSpace = colorBarSpace(height: frame.height) + PlotStyle.margin
        let tickSpace = PlotStyle.tickLength + PlotStyle.gap / 2

        var bottom = xLabelSpace + tickSpace + lineHeight
        var left = yLabelSpace + tickSpace + 40
        var area = frame.inset(top: titleSpace, left: left, bottom: bottom, right: rightSpace)
        var yTicks = placeTicks(panel.y, yRange, length: area.height, horizontal: false)
        left = yLabelSpace + tickSpace + (yTicks.ticks.map { canvas.measure($0.label, tickStyle).width }.max() ?? 0)
        area = frame.inset(top: titleSpace, left: left, bottom: bottom, right: rightSpace)
        let xTicks = placeTicks(panel.x, xRange, length: area.width, horizontal: true)
        if xTicks.rotated {
            let widest = xTicks.ticks.map { canvas.measure($0.label, tickStyle).width }.max() ?? 0
            bottom = xLabelSpace + tickSpace + (widest + lineHeight) * sin(Double.pi / 4)
        }
        area = frame.inset(top: titleSpace, left: left, bottom: bottom, right: rightSpace)
        yTicks = placeTicks(panel.y, yRange, length: area.height, horizontal: false)

        let x = AxisScale(range: xRange, reversed: panel.x.reversed, vertical: false, start: area.x, length: area.width)
        let y = AxisScale(range: yRange, reversed: panel.y.reversed, vertical: true, start: area.y, length: area.height)
        let layout = PanelLayout(frame: frame, plotArea: area, colorBar: colorBarRect(beside: area), x: x, y: y)

        if panel.grid && panel.heatMap == nil { drawGrid(layout, xTicks: xTicks.ticks, yTicks: yTicks.ticks) }
        canvas.clipped(to: area) {
            drawHeatMap(layout)
            drawBars(layout)
            drawRules(layout)
            drawLines(layout)
        }
        drawPointLabels(layout)
        canvas.stroke(area.inset(top: 0.5, left: 0.5, bottom: -0.5, right: -0.5), PlotStyle.frame)
        drawTicks(layout, xTicks: xTicks, yTicks: yTicks.ticks)
        drawAxisLabels(layout, tickSpace: tickSpace, left: left, bottom: bottom)
        if let title = panel.title {
            canvas.text(
                title, at: Point(x: area.center.x, y: frame.y), PlotStyle.panelTitle, horizontal: .center,
                vertical: .top)
        }
        drawLegend(layout)
        drawColorBar(layout)
        return layout
    }

    // MARK: ranges and ticks

    /// The axis range: the one asked for, or the data's extent with a 5% margin where the data
    /// ends at a point (lines, labels) and none where it ends at an edge (0 under bars, a heat
    /// map's border), plus room for the value labels at the ends of bars.
    func fittedRange(horizontal: Bool) -> ClosedRange<Double> {
        let axis = horizontal ? panel.x : panel.y
        if let range = axis.range { return range }
        var bounds = FittedBounds()
        for line in panel.lines {
            for v in horizontal ? line.x : line.y { bounds.include(v, margin: 0.05) }
        }
        for label in panel.labels { bounds.include(horizontal ? label.x : label.y, margin: 0.05) }
        for rule in panel.rules where (rule.orientation == .vertical) == horizontal {
            bounds.include(rule.value, margin: 0.05)
        }
        if let bars = panel.bars {
            if (bars.orientation == .horizontal) == horizontal {
                let labelRoom = bars.valueLabels == nil ? 0.05 : 0.16
                bounds.include(0, margin: 0)
                for v in bars.values { bounds.include(v, margin: labelRoom) }
            } else {
                bounds.include(0, margin: 0)
                bounds.include(Double(bars.values.count), margin: 0)
            }
        }
        if let map = panel.heatMap {
            let extent = horizontal ? map.dataExtent.x : map.dataExtent.y
            bounds.include(extent.lowerBound, margin: 0)
            bounds.include(extent.upperBound, margin: 0)
        }
        if axis.includesZero { bounds.include(0, margin: 0) }
        return bounds.range
    }

    /// The ticks to draw along an axis `length` pixels long. Given ticks are kept where they
    /// fit; automatic ones take the finest 1-2-5 step whose labels do not touch. On the x axis,
    /// given labels that do not fit side by side are turned 45 degrees first.
    func placeTicks(_ axis: Axis, _ range: ClosedRange<Double>, length: Double, horizontal: Bool) -> PlacedTicks {
        let span = range.upperBound - range.lowerBound
        let style = PlotStyle.tickLabel
        let lineHeight = canvas.measure("0", style).height
        func fits(_ ticks: [Tick], rotated: Bool = false) -> Bool {
            zip(ticks, ticks.dropFirst()).allSatisfy { a, b in
                let spacing = abs(b.value - a.value) / span * length
                if !horizontal || rotated { return spacing >= lineHeight + 2 }
                return spacing >= (canvas.measure(a.label, style).width + canvas.measure(b.label, style).width) / 2 + 8
            }
        }
        if let given = axis.ticks {
            let inside = given.filter {
                $0.value >= range.lowerBound - 1e-9 * span && $0.value <= range.upperBound + 1e-9 * span
            }
            if fits(inside) { return PlacedTicks(ticks: inside) }
            if horizontal, fits(inside, rotated: true) { return PlacedTicks(ticks: inside, rotated: true) }
            // Still crowded: keep ticks from the last one down, each only if it clears the one
            // kept before it (on a mel axis the high, widely spaced octaves survive).
            var kept: [Tick] = []
            for tick in inside.reversed() where kept.isEmpty || fits([tick, kept[kept.count - 1]], rotated: horizontal)
            {
                kept.append(tick)
            }
            return PlacedTicks(ticks: kept.reversed(), rotated: horizontal)
        }
        let maxCount = Int(length / (horizontal ? 60 : 36)).clamped(to: 2...12)
        var step = Ticks.step(span: span, maxCount: maxCount)
        if axis.integerSteps { step = max(step, 1) }
        while true {
            let values = Ticks.positions(in: range, step: step)
            let ticks = zip(values, Ticks.labels(values, step: step)).map { Tick($0, $1) }
            if ticks.count <= 2 || fits(ticks) { return PlacedTicks(ticks: ticks) }
            step = Ticks.coarser(step)
        }
    }

    // MARK: axes

    private func drawGrid(_ layout: PanelLayout, xTicks: [Tick], yTicks: [Tick]) {
        let area = layout.plotArea
        // Category axes (given ticks under bars) get no grid: the bars are the reference.
        let xIsCategory = panel.bars?.orientation == .vertical && panel.x.ticks != nil
        let yIsCategory = panel.bars?.orientation == .horizontal && panel.y.ticks != nil
        if !xIsCategory {
            for tick in xTicks {
                let px = layout.x.pixel(tick.value)
                canvas.line(from: Point(x: px, y: area.y), to: Point(x: px, y: area.maxY), .gridLine)
            }
        }
        if !yIsCategory {
            for tick in yTicks {
                let py = layout.y.pixel(tick.value)
                canvas.line(from: Point(x: area.x, y: py), to: Point(x: area.maxX, y: py), .gridLine)
            }
        }
    }

    private func drawTicks(_ layout: PanelLayout, xTicks: PlacedTicks, yTicks: [Tick]) {
        let area = layout.plotArea
        let length = PlotStyle.tickLength
        for tick in xTicks.ticks {
            let px = layout.x.pixel(tick.value)
            canvas.line(from: Point(x: px, y: area.maxY), to: Point(x: px, y: area.maxY + length), PlotStyle.frame)
            let anchor = Point(x: px, y: area.maxY + length + PlotStyle.gap / 2)
            if xTicks.rotated {
                canvas.text(
                    tick.label, at: anchor, PlotStyle.tickLabel, horizontal: .right, vertical: .top,
                    angle: -Double.pi / 4)
            } else {
                canvas.text(tick.label, at: anchor, PlotStyle.tickLabel, horizontal: .center, vertical: .top)
            }
        }
        for tick in yTicks {
            let py = layout.y.pixel(tick.value)
            canvas.line(from: Point(x: area.x - length, y: py), to: Point(x: area.x, y: py), PlotStyle.frame)
            canvas.text(
                tick.label, at: Point(x: area.x - length - PlotStyle.gap / 2, y: py), PlotStyle.tickLabel,
                horizontal: .right, vertical: .middle)
        }
    }

    private func drawAxisLabels(_ layout: PanelLayout, tickSpace: Double, left: Double, bottom: Double) {
        let area = layout.plotArea
        if let label = panel.x.label {
            canvas.text(
                label, at: Point(x: area.center.x, y: frame.maxY), PlotStyle.axisLabel, horizontal: .center,
                vertical: .bottom)
        }
        if let label = panel.y.label {
            canvas.text(
                label, at: Point(x: frame.x, y: area.center.y), PlotStyle.axisLabel, horizontal: .center,
                vertical: .top,
                angle: -Double.pi / 2)
        }
    }
}

/// The extent of an axis's data, remembering for each end whether it wants a margin.
struct FittedBounds {
    private var low = Double.infinity
    private var high = -Double.infinity
    private var lowMargin = 0.0
    private var highMargin = 0.0

    mutating func include(_ v: Double, margin: Double) {
        guard v.isFinite else { return }
        if v < low { (low, lowMargin) = (v, margin) } else if v == low { lowMargin = min(lowMargin, margin) }
        if v > high { (high, highMargin) = (v, margin) } else if v == high { highMargin = min(highMargin, margin) }
    }

    var range: ClosedRange<Double> {
        guard low <= high else { return 0...1 }
        guard low < high else {
            let half = low == 0 ? 1 : abs(low) * 0.1
            return (low - half)...(high + half)
        }
        let span = high - low
        return (low - span * lowMargin)...(high + span * highMargin)
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
