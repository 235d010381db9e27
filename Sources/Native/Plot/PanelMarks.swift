import Foundation

/// The data marks of a panel, each drawn in data coordinates through the panel's layout.
extension PanelRenderer {
    /// The colour of line i: its own, or the palette's i-th.
    func lineColor(_ i: Int) -> Color { panel.lines[i].color ?? Color.palette[i % Color.palette.count] }

    func drawLines(_ layout: PanelLayout) {
        for (i, line) in panel.lines.enumerated() {
            let color = lineColor(i)
            // Non-finite values break the line into runs.
            var runs: [[Point]] = [[]]
            for (x, y) in zip(line.x, line.y) {
                if x.isFinite && y.isFinite {
                    runs[runs.count - 1].append(layout.point(x: x, y: y))
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            for run in runs where run.count > 1 {
                canvas.polyline(run, color, width: line.width, dash: line.dashed ? [7, 4] : [])
            }
            // Markers only while they stay apart; on a dense line they would be a smear.
            let points = runs.flatMap { $0 }
            let spread = (points.map(\.x).max() ?? 0) - (points.map(\.x).min() ?? 0)
            if line.marker != .none, points.count == 1 || spread / Double(max(1, points.count - 1)) >= 7 {
                for p in points { canvas.marker(line.marker, at: p, size: line.width * 3 + 1, color) }
            }
        }
    }

    func drawRules(_ layout: PanelLayout) {
        let area = layout.plotArea
        for rule in panel.rules {
            let dash: [Double] = rule.dashed ? [6, 4] : []
            switch rule.orientation {
            case .horizontal:
                let py = layout.y.pixel(rule.value)
                canvas.line(
                    from: Point(x: area.x, y: py), to: Point(x: area.maxX, y: py), rule.color, width: 1.5, dash: dash)
            case .vertical:
                let px = layout.x.pixel(rule.value)
                canvas.line(
                    from: Point(x: px, y: area.y), to: Point(x: px, y: area.maxY), rule.color, width: 1.5, dash: dash)
            }
        }
    }

    func drawPointLabels(_ layout: PanelLayout) {
        let area = layout.plotArea
        let samples = dataSamples(layout)
        for label in panel.labels where layout.x.contains(label.x) && layout.y.contains(label.y) {
            let p = layout.point(x: label.x, y: label.y)
            canvas.marker(.circle, at: p, size: 11, label.color)
            // In the quadrant beside the point that stays inside the axes and covers the least data.
            var style = Canvas.TextStyle(size: PlotStyle.valueLabel.size, bold: true)
            style.color = label.color
            let size = canvas.measure(label.text, style)
            // Nearest first: a farther place wins only by covering less.
            let candidates = [9.0, 26, 46].flatMap { offset in
                [(1.0, -1.0), (-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)].map { sx, sy in
                    Rect(
                        x: sx > 0 ? p.x + 9 : p.x - 9 - size.width,
                        y: sy > 0 ? p.y + offset : p.y - offset - size.height, width: size.width, height: size.height)
                }
            }
            let inside = candidates.filter {
                $0.x >= area.x && $0.maxX <= area.maxX && $0.y >= area.y && $0.maxY <= area.maxY
            }
            let box = (inside.isEmpty ? candidates : inside).min { a, b in
                samples.filter { a.contains($0) }.count < samples.filter { b.contains($0) }.count
            }!
            canvas.text(label.text, at: Point(x: box.x, y: box.y), style, vertical: .top)
        }
    }

    func drawBars(_ layout: PanelLayout) {
        guard let bars = panel.bars else { return }
        let style = PlotStyle.valueLabel
        let horizontal = bars.orientation == .horizontal
        let valueAxis = horizontal ? layout.x : layout.y
        let base = valueAxis.contains(0) ? 0 : valueAxis.range.lowerBound
        for (i, value) in bars.values.enumerated() where value.isFinite {
            let color = bars.colors[i % bars.colors.count]
            let lo = Double(i) + 0.5 - bars.thickness / 2
            let hi = Double(i) + 0.5 + bars.thickness / 2
            let a = horizontal ? layout.point(x: base, y: lo) : layout.point(x: lo, y: base)
            let b = horizontal ? layout.point(x: value, y: hi) : layout.point(x: hi, y: value)
            let rect = Rect(x: min(a.x, b.x), y: min(a.y, b.y), width: abs(b.x - a.x), height: abs(b.y - a.y))
            canvas.fill(rect, color)
            guard let text = bars.valueLabels?[i], !text.isEmpty else { continue }
            // At the bar's end, outside; inside in white when the outside has no room.
            let size = canvas.measure(text, style)
            var inside = style
            inside.color = color.luminance > 0.4 ? .ink : .white
            if horizontal {
                let end = value >= base ? rect.maxX : rect.x
                let outward = value >= base ? 1.0 : -1.0
                let fitsOutside =
                    outward > 0
                    ? end + 5 + size.width <= layout.plotArea.maxX : end - 5 - size.width >= layout.plotArea.x
                canvas.text(
                    text, at: Point(x: end + (fitsOutside ? 5 : -5) * outward, y: rect.center.y),
                    fitsOutside ? style : inside, horizontal: (outward > 0) == fitsOutside ? .left : .right,
                    vertical: .middle)
            } else {
                let fitsOutside = rect.y - 4 - size.height >= layout.plotArea.y
                canvas.text(
                    text, at: Point(x: rect.center.x, y: fitsOutside ? rect.y - 4 : rect.y + 4),
                    fitsOutside ? style : inside, horizontal: .center, vertical: fitsOutside ? .bottom : .top)
            }
        }
    }

    func drawHeatMap(_ layout: PanelLayout) {
        guard let map = panel.heatMap else { return }
        let extent = map.dataExtent
        let corner0 = layout.point(x: extent.x.lowerBound, y: extent.y.lowerBound)
        let corner1 = layout.point(x: extent.x.upperBound, y: extent.y.upperBound)
        let rect = Rect(
            x: min(corner0.x, corner1.x), y: min(corner0.y, corner1.y), width: abs(corner1.x - corner0.x),
            height: abs(corner1.y - corner0.y))
        // Image row 0 is the top of `rect`: data row 0 when y is drawn downwards, else the last.
        let rowsDown = corner0.y < corner1.y
        let columnsRight = corner0.x < corner1.x
        let range = map.colorRange
        var pixels = [UInt32](repeating: 0, count: map.rows * map.columns)
        for r in 0..<map.rows {
            let imageRow = rowsDown ? r : map.rows - 1 - r
            for c in 0..<map.columns {
                let imageColumn = columnsRight ? c : map.columns - 1 - c
                pixels[imageRow * map.columns + imageColumn] =
                    map.color(of: map.values[r * map.columns + c], in: range).argb32
            }
        }
        canvas.image(pixels, columns: map.columns, rows: map.rows, into: rect, smooth: map.smooth)
        if let labels = map.cellLabels { drawCellLabels(labels, of: map, colors: range, in: rect, layout) }
    }

    /// Each cell's text, centred, at the largest size (up to 13) at which every label fits its
    /// cell; dark on light cells and white on dark ones.
    private func drawCellLabels(
        _ labels: [String], of map: HeatMap, colors range: ClosedRange<Double>, in rect: Rect, _ layout: PanelLayout
    ) {
        let cellWidth = rect.width / Double(map.columns)
        let cellHeight = rect.height / Double(map.rows)
        let reference = Canvas.TextStyle(size: 10)
        var widest = 0.0
        var mostLines = 1
        for label in labels {
            let lines = label.split(separator: "\n", omittingEmptySubsequences: false)
            mostLines = max(mostLines, lines.count)
            for line in lines { widest = max(widest, canvas.measure(String(line), reference).width) }
        }
        let lineHeight10 = canvas.measure("0", reference).height
        let size = min(
            13, 10 * (cellWidth * 0.86) / max(widest, 1), 10 * (cellHeight * 0.86) / (lineHeight10 * Double(mostLines)))
        guard size >= 6 else { return }
        for r in 0..<map.rows {
            for c in 0..<map.columns {
                let index = r * map.columns + c
                let lines = labels[index].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let center = layout.point(
                    x: map.dataExtent.x.lowerBound + (Double(c) + 0.5)
                        * (map.dataExtent.x.upperBound - map.dataExtent.x.lowerBound) / Double(map.columns),
                    y: map.dataExtent.y.lowerBound + (Double(r) + 0.5)
                        * (map.dataExtent.y.upperBound - map.dataExtent.y.lowerBound) / Double(map.rows))
                let dark = map.color(of: map.values[index], in: range).luminance > 0.4
                // The first line (the headline figure) bold, the rest regular.
                let lineHeight = lineHeight10 * size / 10
                var y = center.y - lineHeight * Double(lines.count) / 2
                for (k, line) in lines.enumerated() {
                    let style = Canvas.TextStyle(
                        size: size, bold: k == 0 && lines.count > 1, color: dark ? .ink : .white)
                    canvas.text(line, at: Point(x: center.x, y: y), style, horizontal: .center, vertical: .top)
                    y += lineHeight
                }
            }
        }
    }
}

extension PanelRenderer {
    /// Points where the panel's data is drawn, for placing legends and labels where they hide
    /// the least: line vertices and 9 points along each segment, and points every 8 pixels
    /// along each bar and across its value label.
    func dataSamples(_ layout: PanelLayout) -> [Point] {
        var samples: [Point] = []
        for line in panel.lines {
            let points = zip(line.x, line.y).filter { $0.isFinite && $1.isFinite }.map { layout.point(x: $0, y: $1) }
            samples += points
            for (a, b) in zip(points, points.dropFirst()) {
                for t in stride(from: 0.1, to: 1, by: 0.1) {
                    samples.append(Point(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t))
                }
            }
        }
        if let bars = panel.bars {
            let horizontal = bars.orientation == .horizontal
            for (i, value) in bars.values.enumerated() where value.isFinite {
                // From the base to beyond the end, where the value label goes.
                let labelRoom = 80.0
                let base = horizontal ? layout.point(x: 0, y: Double(i) + 0.5) : layout.point(x: Double(i) + 0.5, y: 0)
                let end =
                    horizontal ? layout.point(x: value, y: Double(i) + 0.5) : layout.point(x: Double(i) + 0.5, y: value)
                let length = hypot(end.x - base.x, end.y - base.y) + labelRoom
                let (dx, dy) = horizontal ? (value >= 0 ? 1.0 : -1.0, 0.0) : (0.0, value >= 0 ? -1.0 : 1.0)
                for d in stride(from: 0, through: length, by: 8) {
                    samples.append(Point(x: base.x + dx * d, y: base.y + dy * d))
                }
            }
        }
        return samples
    }
}
