import CCairo
import Foundation

/// A cairo drawing surface and its context: an in-memory ARGB32 image (for PNG and tests) or
/// an SVG file. Owns both C objects and frees them in `deinit`; all cairo calls of the plot
/// layer go through it.
final class Canvas {
    enum HorizontalAnchor { case left, center, right }
    enum VerticalAnchor { case top, middle, baseline, bottom }

    let width: Double
    let height: Double
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    /// The one sans-serif face the figures use; fontconfig falls back to any sans if absent.
    static let fontFamily = "DejaVu Sans"

    /// An in-memory image `width` x `height` pixels, filled white.
    convenience init(imageWidth width: Int, height: Int) throws {
        try self.init(
            cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)), width, height, "image")
    }

    /// An SVG document of `width` x `height` points written to `path` when `finish()` runs.
    convenience init(svgPath path: String, width: Int, height: Int) throws {
        try self.init(cairo_svg_surface_create(path, Double(width), Double(height)), width, height, path)
    }

    private init(_ surface: OpaquePointer?, _ width: Int, _ height: Int, _ what: String) throws {
        guard let surface else { throw PlotError(what, "cairo could not create a \(width) x \(height) surface") }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let cr = cairo_create(surface) else {
            let reason = String(cString: cairo_status_to_string(cairo_surface_status(surface)))
            cairo_surface_destroy(surface)
            throw PlotError(what, "cairo could not create a \(width) x \(height) surface: \(reason)")
        }
        self.surface = surface
        self.cr = cr
        self.width = Double(width)
        self.height = Double(height)
        // Unhinted metrics: text measures the same in PNG and SVG, so both get the same layout.
        let options = cairo_font_options_create()
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_set_font_options(cr, options)
        cairo_font_options_destroy(options)
        fill(Rect(x: 0, y: 0, width: self.width, height: self.height), .white)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    // MARK: shapes

    func fill(_ rect: Rect, _ color: Color) {
        setColor(color)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(cr)
    }

    func stroke(_ rect: Rect, _ color: Color, width: Double = 1) {
        setColor(color)
        cairo_set_line_width(cr, width)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(cr)
    }

    /// A straight line; `crisp` moves a 1-pixel horizontal or vertical line onto the pixel
    /// grid so it is one sharp pixel wide instead of two grey ones.
    func line(from a: Point, to b: Point, _ color: Color, width: Double = 1, dash: [Double] = [], crisp: Bool = true) {
        var (a, b) = (a, b)
        if crisp, width.truncatingRemainder(dividingBy: 2) == 1 {
            if a.x == b.x { (a.x, b.x) = (a.x.rounded(.down) + 0.5, b.x.rounded(.down) + 0.5) }
            if a.y == b.y { (a.y, b.y) = (a.y.rounded(.down) + 0.5, b.y.rounded(.down) + 0.5) }
        }
        polyline([a, b], color, width: width, dash: dash)
    }

    func polyline(_ points: [Point], _ color: Color, width: Double, dash: [Double] = []) {
        guard let first = points.first else { return }
        setColor(color)
        cairo_set_line_width(cr, width)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, dash.isEmpty ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT)
        cairo_set_dash(cr, dash, Int32(dash.count), 0)
        cairo_move_to(cr, first.x, first.y)
        for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    func marker(_ shape: Marker, at p: Point, size: Double, _ color: Color) {
        let r = size / 2
        switch shape {
        case .none: return
        case .circle: cairo_arc(cr, p.x, p.y, r, 0, 2 * .pi)
        case .square: cairo_rectangle(cr, p.x - r, p.y - r, size, size)
        case .diamond:
            cairo_move_to(cr, p.x, p.y - r * 1.3)
            cairo_line_to(cr, p.x + r * 1.3, p.y)
            cairo_line_to(cr, p.x, p.y + r * 1.3)
            cairo_line_to(cr, p.x - r * 1.3, p.y)
            cairo_close_path(cr)
        }
        setColor(color)
        cairo_fill_preserve(cr)
        setColor(.white)
        cairo_set_line_width(cr, 1)
        cairo_stroke(cr)
    }

    /// Draws `body` clipped to `rect`.
    func clipped(to rect: Rect, _ body: () -> Void) {
        cairo_save(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
        body()
        cairo_restore(cr)
    }

    // MARK: images

    /// Paints a `columns` x `rows` grid of opaque pixels (row 0 on top) scaled into `rect`;
    /// `smooth` interpolates (spectrograms), otherwise each cell stays a sharp block.
    func image(_ pixels: [UInt32], columns: Int, rows: Int, into rect: Rect, smooth: Bool) {
        guard columns > 0, rows > 0,
            let image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(columns), Int32(rows))
        else { return }
        defer { cairo_surface_destroy(image) }
        cairo_surface_flush(image)
        let stride = Int(cairo_image_surface_get_stride(image)) / 4
        let data = cairo_image_surface_get_data(image)!.withMemoryRebound(to: UInt32.self, capacity: stride * rows) {
            $0
        }
        for r in 0..<rows {
            for c in 0..<columns { data[r * stride + c] = pixels[r * columns + c] }
        }
        cairo_surface_mark_dirty(image)
        cairo_save(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
        cairo_translate(cr, rect.x, rect.y)
        cairo_scale(cr, rect.width / Double(columns), rect.height / Double(rows))
        cairo_set_source_surface(cr, image, 0, 0)
        let pattern = cairo_get_source(cr)
        cairo_pattern_set_filter(pattern, smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST)
        // Pad, so interpolation at the edges blends with the edge pixels, not with transparency.
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
        cairo_paint(cr)
        cairo_restore(cr)
    }

    // MARK: text

    struct TextStyle {
        var size: Double
        var bold = false
        var color = Color.ink
    }

    /// Advance width and line height (ascent + descent) of `text` in `style`.
    func measure(_ text: String, _ style: TextStyle) -> (width: Double, height: Double) {
        setFont(style)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        var font = cairo_font_extents_t()
        cairo_font_extents(cr, &font)
        return (extents.x_advance, font.ascent + font.descent)
    }

    /// Draws one line of text anchored at `p`, rotated by `angle` radians (counter-clockwise
    /// on screen for a negative angle, as for a y-axis label) around the anchor.
    func text(
        _ text: String, at p: Point, _ style: TextStyle, horizontal: HorizontalAnchor = .left,
        vertical: VerticalAnchor = .baseline, angle: Double = 0
    ) {
        guard !text.isEmpty else { return }
        setFont(style)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        var font = cairo_font_extents_t()
        cairo_font_extents(cr, &font)
        let dx: Double
        switch horizontal {
        case .left: dx = 0
        case .center: dx = -extents.x_advance / 2
        case .right: dx = -extents.x_advance
        }
        let dy: Double
        switch vertical {
        case .top: dy = font.ascent
        case .middle: dy = (font.ascent - font.descent) / 2
        case .baseline: dy = 0
        case .bottom: dy = -font.descent
        }
        cairo_save(cr)
        cairo_translate(cr, p.x, p.y)
        cairo_rotate(cr, angle)
        cairo_move_to(cr, dx, dy)
        setColor(style.color)
        cairo_show_text(cr, text)
        cairo_restore(cr)
    }

    // MARK: output

    /// Writes the image surface as PNG.
    func writePNG(to path: String) throws {
        try checkStatus(path)
        cairo_surface_flush(surface)
        let status = cairo_surface_write_to_png(surface, path)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError(path, "cannot write the PNG: \(String(cString: cairo_status_to_string(status)))")
        }
    }

    /// Completes the document (an SVG surface writes its file here) and reports any error
    /// cairo met while drawing.
    func finish(_ what: String) throws {
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError(what, "cairo failed: \(String(cString: cairo_status_to_string(status)))")
        }
    }

    /// Throws if cairo met an error while drawing (cairo records the first and ignores later calls).
    func checkStatus(_ what: String) throws {
        let status = cairo_status(cr)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PlotError(what, "cairo failed: \(String(cString: cairo_status_to_string(status)))")
        }
    }

    /// The image surface's pixels, row-major, as ARGB32 words (opaque, so not premultiplied).
    func pixels() -> [UInt32] {
        cairo_surface_flush(surface)
        let (w, h) = (Int(width), Int(height))
        let stride = Int(cairo_image_surface_get_stride(surface)) / 4
        guard let data = cairo_image_surface_get_data(surface) else { return [] }
        let words = data.withMemoryRebound(to: UInt32.self, capacity: stride * h) { $0 }
        var out = [UInt32](repeating: 0, count: w * h)
        for r in 0..<h {
            for c in 0..<w { out[r * w + c] = words[r * stride + c] }
        }
        return out
    }

    private func setColor(_ color: Color) { cairo_set_source_rgb(cr, color.red, color.green, color.blue) }

    private func setFont(_ style: TextStyle) {
        cairo_select_font_face(
            cr, Canvas.fontFamily, CAIRO_FONT_SLANT_NORMAL,
            style.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, style.size)
    }
}
