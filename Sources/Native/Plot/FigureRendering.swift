import Foundation

extension Figure {
    /// Draws the figure into `path`, PNG or SVG by its extension, atomically: the file appears
    /// whole or not at all.
    public func save(to path: String) throws {
        try validate()
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "png":
            try writeAtomically(to: path) { temporary in
                let canvas = try Canvas(imageWidth: width, height: height)
                _ = FigureRenderer(figure: self, canvas: canvas).draw()
                try canvas.writePNG(to: temporary)
            }
        case "svg":
            try writeAtomically(to: path) { temporary in
                let canvas = try Canvas(svgPath: temporary, width: width, height: height)
                _ = FigureRenderer(figure: self, canvas: canvas).draw()
                try canvas.finish(path)
            }
        default:
            throw PlotError(path, "expected a file name ending in .png or .svg")
        }
    }

    /// Draws the figure in memory: the pixels a PNG would hold, and where each panel went.
    public func rasterize() throws -> RasterImage {
        try validate()
        let canvas = try Canvas(imageWidth: width, height: height)
        let panels = FigureRenderer(figure: self, canvas: canvas).draw()
        try canvas.checkStatus("figure")
        return RasterImage(width: width, height: height, pixels: canvas.pixels(), panels: panels)
    }

    /// Everything that would make a figure wrong rather than merely empty.
    func validate() throws {
        guard (16...16384).contains(width), (16...16384).contains(height) else {
            throw PlotError("figure", "size \(width) x \(height): expected 16 to 16384 pixels each way")
        }
        guard columns >= 1 else { throw PlotError("figure", "columns: expected at least 1, got \(columns)") }
        guard !panels.isEmpty else { throw PlotError("figure", "expected at least one panel, got none") }
        for (p, panel) in panels.enumerated() {
            let name = "panel \(p + 1)" + (panel.title.map { " '\($0)'" } ?? "")
            for (i, line) in panel.lines.enumerated() where line.x.count != line.y.count {
                let series = line.name.map { "'\($0)'" } ?? "\(i + 1)"
                throw PlotError(name, "line \(series): x has \(line.x.count) values but y has \(line.y.count)")
            }
            if let bars = panel.bars {
                if let labels = bars.valueLabels, labels.count != bars.values.count {
                    throw PlotError(name, "bars: \(bars.values.count) values but \(labels.count) value labels")
                }
                guard !bars.colors.isEmpty else { throw PlotError(name, "bars: expected at least one colour") }
            }
            if let map = panel.heatMap {
                guard map.rows > 0, map.columns > 0, map.values.count == map.rows * map.columns else {
                    throw PlotError(
                        name,
                        "heat map: \(map.rows) x \(map.columns) cells need \(map.rows * map.columns) values, got \(map.values.count)"
                    )
                }
                if let labels = map.cellLabels, labels.count != map.values.count {
                    throw PlotError(name, "heat map: \(map.values.count) cells but \(labels.count) cell labels")
                }
                if let range = map.valueRange, !(range.lowerBound < range.upperBound), range.lowerBound.isFinite,
                    range.upperBound.isFinite
                {
                    throw PlotError(name, "heat map: value range \(range) is empty; expected low < high")
                }
            }
            for (axisName, axis) in [("x", panel.x), ("y", panel.y)] {
                if let range = axis.range,
                    !(range.lowerBound < range.upperBound && range.upperBound.isFinite && range.lowerBound.isFinite)
                {
                    throw PlotError(name, "\(axisName) axis: range \(range) is empty; expected finite low < high")
                }
            }
        }
    }
}

/// A drawn figure in memory: `width` x `height` opaque pixels, row-major, and where each
/// panel's plot area and colour bar ended up.
public struct RasterImage: Sendable {
    public let width: Int
    public let height: Int
    /// 0xAARRGGBB words.
    public let pixels: [UInt32]
    public let panels: [PanelLayout]

    public func color(x: Int, y: Int) -> Color { Color(hex: pixels[y * width + x] & 0xFF_FFFF) }

    public func color(at p: Point) -> Color { color(x: Int(p.x), y: Int(p.y)) }
}
