/// A figure as plain values: a title over a grid of panels. `save(to:)` draws it through cairo
/// into a PNG or SVG file; nothing here depends on how it is drawn.
///
///     var loss = Panel(title: "Loss")
///     loss.lines = [LineSeries(name: "train", x: epochs, y: trainLoss)]
///     try Figure(title: "Training history", panels: [loss]).save(to: "history.png")
public struct Figure: Sendable {
    /// Size in pixels (PNG) or points (SVG).
    public var width: Int
    public var height: Int
    public var title: String?
    /// Panels fill a grid row by row, `columns` to a row.
    public var columns: Int
    public var panels: [Panel]

    public init(title: String? = nil, width: Int = 1000, height: Int = 700, columns: Int = 1, panels: [Panel] = []) {
        self.title = title
        self.width = width
        self.height = height
        self.columns = columns
        self.panels = panels
    }

    public var rows: Int { (panels.count + max(1, columns) - 1) / max(1, columns) }
}

/// One set of axes and what is drawn in them. Lines, bars and a heat map may be combined;
/// reference lines and point labels go on top.
public struct Panel: Sendable {
    public var title: String?
    public var x = Axis()
    public var y = Axis()
    public var lines: [LineSeries] = []
    public var bars: BarSeries?
    public var heatMap: HeatMap?
    public var rules: [ReferenceLine] = []
    public var labels: [PointLabel] = []
    public var legend = LegendPlacement.best
    /// Light lines at the major ticks, behind the data.
    public var grid = true

    public init(title: String? = nil, x: Axis = Axis(), y: Axis = Axis()) {
        self.title = title
        self.x = x
        self.y = y
    }
}

/// Where a panel's legend goes; `best` takes the corner that hides the fewest data points.
public enum LegendPlacement: String, Sendable, CaseIterable {
    case best
    case upperRight = "upper_right"
    case upperLeft = "upper_left"
    case lowerRight = "lower_right"
    case lowerLeft = "lower_left"
    case none
}

/// A linear axis. Without a range it fits the data with a small margin; without ticks it puts
/// them at 1-2-5 steps, as many as fit without their labels touching.
public struct Axis: Sendable {
    public var label: String?
    public var range: ClosedRange<Double>?
    /// Ticks at chosen positions with chosen labels (categories, Hz on a mel axis, ...).
    public var ticks: [Tick]?
    /// Steps of at least 1 (epochs, counts).
    public var integerSteps = false
    /// The fitted range reaches 0 (bar lengths, counts).
    public var includesZero = false
    /// Values grow downwards (x: leftwards): a matrix's row 0 on top, a bar chart's first
    /// category first.
    public var reversed = false

    public init(
        label: String? = nil, range: ClosedRange<Double>? = nil, ticks: [Tick]? = nil, integerSteps: Bool = false,
        includesZero: Bool = false, reversed: Bool = false
    ) {
        self.label = label
        self.range = range
        self.ticks = ticks
        self.integerSteps = integerSteps
        self.includesZero = includesZero
        self.reversed = reversed
    }

    /// Category names at the centres of the unit cells 0..<n (0.5, 1.5, ...), with the range
    /// that shows all n cells.
    public static func categories(_ names: [String], label: String? = nil, reversed: Bool = false) -> Axis {
        Axis(
            label: label, range: 0...Double(max(1, names.count)),
            ticks: names.enumerated().map { Tick(Double($0.offset) + 0.5, $0.element) }, reversed: reversed)
    }
}

public struct Tick: Sendable, Equatable {
    public var value: Double
    public var label: String

    public init(_ value: Double, _ label: String) {
        self.value = value
        self.label = label
    }
}

public enum Marker: String, Sendable, CaseIterable {
    case none, circle, square, diamond
}

/// A line through (x[i], y[i]); a non-finite value leaves a gap.
public struct LineSeries: Sendable {
    public var name: String?
    public var x: [Double]
    public var y: [Double]
    /// nil: the next colour of `Color.palette`.
    public var color: Color?
    public var width = 2.0
    public var marker = Marker.circle
    public var dashed = false

    public init(
        name: String? = nil, x: [Double], y: [Double], color: Color? = nil, marker: Marker = .circle,
        dashed: Bool = false
    ) {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.marker = marker
        self.dashed = dashed
    }
}

/// One bar per category at the cell centres 0.5, 1.5, ... of the category axis, each with an
/// optional text at its end.
public struct BarSeries: Sendable {
    public enum Orientation: String, Sendable { case horizontal, vertical }

    public var values: [Double]
    public var valueLabels: [String]?
    public var orientation: Orientation
    /// One colour for all bars, or one per bar.
    public var colors: [Color]
    /// Bar thickness as a share of the category cell.
    public var thickness = 0.7

    public init(
        values: [Double], valueLabels: [String]? = nil, orientation: Orientation = .vertical,
        colors: [Color] = [Color.palette[0]]
    ) {
        self.values = values
        self.valueLabels = valueLabels
        self.orientation = orientation
        self.colors = colors
    }
}

/// A straight line across the panel at a data value (a target, a chance level, the best epoch).
public struct ReferenceLine: Sendable {
    public enum Orientation: String, Sendable { case horizontal, vertical }

    public var orientation: Orientation
    public var value: Double
    /// Shown in the legend.
    public var name: String?
    public var color = Color(hex: 0x7F7F7F)
    public var dashed = true

    public init(_ orientation: Orientation, at value: Double, name: String? = nil, color: Color = Color(hex: 0x7F7F7F))
    {
        self.orientation = orientation
        self.value = value
        self.name = name
        self.color = color
    }
}

/// A short text beside a data point, with the point marked.
public struct PointLabel: Sendable {
    public var x: Double
    public var y: Double
    public var text: String
    public var color = Color.ink

    public init(x: Double, y: Double, text: String, color: Color = .ink) {
        self.x = x
        self.y = y
        self.text = text
        self.color = color
    }
}
