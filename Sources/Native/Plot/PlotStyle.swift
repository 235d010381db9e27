/// Type sizes, colours and spacing shared by every figure, so panels look alike.
enum PlotStyle {
    static let figureTitle = Canvas.TextStyle(size: 18, bold: true)
    static let panelTitle = Canvas.TextStyle(size: 14, bold: true)
    static let axisLabel = Canvas.TextStyle(size: 13)
    static let tickLabel = Canvas.TextStyle(size: 11.5, color: Color(hex: 0x3A3A3A))
    static let legend = Canvas.TextStyle(size: 11.5)
    static let valueLabel = Canvas.TextStyle(size: 11.5)
    static let frame = Color(hex: 0x5A5A5A)
    static let tickLength = 4.0
    /// Space between neighbouring elements (tick labels and axis labels, panels and edges).
    static let gap = 6.0
    static let margin = 14.0
}
