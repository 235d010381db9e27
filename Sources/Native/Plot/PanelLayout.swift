/// Where a panel was drawn: its grid cell, the plot area inside the axes, the colour bar if
/// any, and the mapping from data coordinates to canvas points.
public struct PanelLayout: Sendable {
    public let frame: Rect
    public let plotArea: Rect
    public let colorBar: Rect?
    let x: AxisScale
    let y: AxisScale

    /// The canvas point of data point (x, y).
    public func point(x: Double, y: Double) -> Point { Point(x: self.x.pixel(x), y: self.y.pixel(y)) }
}

/// A linear map from an axis's data range onto its span of canvas pixels. A vertical axis grows
/// upwards unless reversed (canvas y grows downwards).
struct AxisScale: Sendable {
    let range: ClosedRange<Double>
    let reversed: Bool
    let vertical: Bool
    let start: Double
    let length: Double

    func pixel(_ value: Double) -> Double {
        var t = (value - range.lowerBound) / (range.upperBound - range.lowerBound)
        if reversed != vertical { t = 1 - t }
        return start + t * length
    }

    func contains(_ value: Double) -> Bool {
        value >= range.lowerBound - 1e-9 * (range.upperBound - range.lowerBound)
            && value <= range.upperBound + 1e-9 * (range.upperBound - range.lowerBound)
    }
}
