/// A continuous map from [0, 1] to colours: linear interpolation between evenly spaced anchors.
public struct ColorMap: Sendable, Equatable {
    public let anchors: [Color]

    public init(anchors: [Color]) {
        precondition(anchors.count >= 2, "a colour map needs at least two anchors")
        self.anchors = anchors
    }

    /// The colour at t, clamped to [0, 1]; NaN maps to the bottom colour.
    public func color(at t: Double) -> Color {
        let position = (t.isNaN ? 0 : min(max(t, 0), 1)) * Double(anchors.count - 1)
        let i = min(Int(position), anchors.count - 2)
        let f = position - Double(i)
        let (a, b) = (anchors[i], anchors[i + 1])
        return Color(
            red: a.red + (b.red - a.red) * f, green: a.green + (b.green - a.green) * f,
            blue: a.blue + (b.blue - a.blue) * f)
    }

    public var bottom: Color { anchors[0] }
    public var top: Color { anchors[anchors.count - 1] }

    /// Matplotlib's viridis (van der Walt and Smith, CC0) at t = 0, 0.1, ..., 1: perceptually
    /// uniform and readable in grey, the usual choice for spectrograms.
    public static let viridis = ColorMap(
        anchors: [
            0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26,
            0xFDE725,
        ].map(Color.init(hex:)))

    /// ColorBrewer's sequential "Blues" (9 classes), white to navy: for counts and shares, as in
    /// scikit-learn's confusion-matrix display.
    public static let blues = ColorMap(
        anchors: [0xF7FBFF, 0xDEEBF7, 0xC6DBEF, 0x9ECAE1, 0x6BAED6, 0x4292C6, 0x2171B5, 0x08519C, 0x08306B].map(
            Color.init(hex:)))
}
