/// A panel's legend: a line sample and a name for each named line and reference line, in a
/// white box in a corner of the plot area.
extension PanelRenderer {
    private struct Entry {
        var name: String
        var color: Color
        var dashed: Bool
        var marker: Marker
    }

    func drawLegend(_ layout: PanelLayout) {
        var entries: [Entry] = []
        for (i, line) in panel.lines.enumerated() {
            if let name = line.name {
                entries.append(Entry(name: name, color: lineColor(i), dashed: line.dashed, marker: line.marker))
            }
        }
        for rule in panel.rules {
            if let name = rule.name {
                entries.append(Entry(name: name, color: rule.color, dashed: rule.dashed, marker: .none))
            }
        }
        guard !entries.isEmpty, panel.legend != .none else { return }

        let style = PlotStyle.legend
        let rowHeight = canvas.measure("Ag", style).height + 4
        let sample = 26.0
        let padding = 7.0
        let width = padding * 2 + sample + 6 + (entries.map { canvas.measure($0.name, style).width }.max() ?? 0)
        let height = padding * 2 + rowHeight * Double(entries.count)
        let box = legendBox(width: width, height: height, in: layout)

        canvas.fill(box, .white)
        canvas.stroke(box.inset(top: 0.5, left: 0.5, bottom: 0.5, right: 0.5), Color(hex: 0xC8C8C8))
        for (k, entry) in entries.enumerated() {
            let y = box.y + padding + rowHeight * (Double(k) + 0.5)
            let from = Point(x: box.x + padding, y: y)
            let to = Point(x: box.x + padding + sample, y: y)
            canvas.line(from: from, to: to, entry.color, width: 2, dash: entry.dashed ? [6, 3] : [], crisp: false)
            if entry.marker != .none {
                canvas.marker(entry.marker, at: Point(x: (from.x + to.x) / 2, y: y), size: 7, entry.color)
            }
            canvas.text(entry.name, at: Point(x: to.x + 6, y: y), style, vertical: .middle)
        }
    }

    /// The corner asked for; for `best`, the corner whose box covers the fewest points of the
    /// data (see `dataSamples`), preferring upper right, upper left, lower right, lower left on
    /// a tie.
    private func legendBox(width: Double, height: Double, in layout: PanelLayout) -> Rect {
        let area = layout.plotArea
        let inset = 8.0
        let left = area.x + inset
        let right = area.maxX - inset - width
        let top = area.y + inset
        let bottom = area.maxY - inset - height
        let corners: [(LegendPlacement, Rect)] = [
            (.upperRight, Rect(x: right, y: top, width: width, height: height)),
            (.upperLeft, Rect(x: left, y: top, width: width, height: height)),
            (.lowerRight, Rect(x: right, y: bottom, width: width, height: height)),
            (.lowerLeft, Rect(x: left, y: bottom, width: width, height: height)),
        ]
        if let chosen = corners.first(where: { $0.0 == panel.legend }) { return chosen.1 }
        let samples = dataSamples(layout)
        return corners.min { a, b in
            samples.filter { a.1.contains($0) }.count < samples.filter { b.1.contains($0) }.count
        }!.1
    }
}
