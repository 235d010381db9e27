/// A `rows` x `columns` grid of values shown as colours, with a colour bar beside the panel.
///
/// Cell (r, c) covers x in [c, c + 1) and y in [r, r + 1) of its panel's data coordinates, or
/// the matching share of `extent` when one is given (an image's seconds and bins). With the
/// panel's y axis `reversed`, row 0 is on top (a matrix); otherwise at the bottom (an image).
public struct HeatMap: Sendable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]  // [rows * columns], row-major
    public var colorMap: ColorMap
    /// The values mapped to the bottom and top colours; nil: the data's minimum and maximum.
    public var valueRange: ClosedRange<Double>?
    /// Text drawn in each cell, row-major (lines separated by "\n"); dark or light to stay
    /// readable on the cell's colour.
    public var cellLabels: [String]?
    /// Interpolate between cells (images) rather than drawing sharp blocks (matrices).
    public var smooth = false
    /// Data coordinates the grid spans: x0, x1 (columns) and y0, y1 (rows).
    public var extent: (x: ClosedRange<Double>, y: ClosedRange<Double>)?
    /// A colour bar beside the panel, with this label along it.
    public var showsColorBar = true
    public var colorBarLabel: String?

    public init(
        rows: Int, columns: Int, values: [Double], colorMap: ColorMap = .viridis,
        valueRange: ClosedRange<Double>? = nil, cellLabels: [String]? = nil
    ) {
        self.rows = rows
        self.columns = columns
        self.values = values
        self.colorMap = colorMap
        self.valueRange = valueRange
        self.cellLabels = cellLabels
    }

    /// The range the colours span: `valueRange`, or the finite data's min and max (widened
    /// when constant, so every value still maps to a colour).
    var colorRange: ClosedRange<Double> {
        if let valueRange { return valueRange }
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
    }

    /// The colour of value v: its position in `range` (the `colorRange`, computed once by the
    /// caller) through the colour map.
    func color(of v: Double, in range: ClosedRange<Double>) -> Color {
        colorMap.color(at: (v - range.lowerBound) / (range.upperBound - range.lowerBound))
    }

    var dataExtent: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        extent ?? (0...Double(columns), 0...Double(rows))
    }
}
