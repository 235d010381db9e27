/// Lays a figure's title and panel grid out on a canvas and has each panel drawn in its cell.
struct FigureRenderer {
    let figure: Figure
    let canvas: Canvas

    func draw() -> [PanelLayout] {
        var top = PlotStyle.margin
        if let title = figure.title {
            canvas.text(
                title, at: Point(x: canvas.width / 2, y: top), PlotStyle.figureTitle, horizontal: .center,
                vertical: .top)
            top += canvas.measure(title, PlotStyle.figureTitle).height + PlotStyle.gap
        }
        let columns = min(figure.columns, figure.panels.count)
        let cellWidth = (canvas.width - 2 * PlotStyle.margin) / Double(columns)
        let cellHeight = (canvas.height - top - PlotStyle.margin) / Double(figure.rows)
        return figure.panels.enumerated().map { i, panel in
            // Cells are inset a little so that an x-axis label never touches the title below it.
            let cell = Rect(
                x: PlotStyle.margin + Double(i % columns) * cellWidth, y: top + Double(i / columns) * cellHeight,
                width: cellWidth, height: cellHeight
            ).inset(
                top: figure.rows > 1 ? PlotStyle.gap : 0, left: PlotStyle.gap,
                bottom: figure.rows > 1 ? PlotStyle.gap : 0, right: PlotStyle.gap)
            return PanelRenderer(panel: panel, frame: cell, canvas: canvas).draw()
        }
    }
}
