import Foundation

/// An opaque sRGB colour, each channel in [0, 1].
public struct Color: Sendable, Equatable {
    public var red: Double
    public var green: Double
    public var blue: Double

    public init(red: Double, green: Double, blue: Double) {
        (self.red, self.green, self.blue) = (red, green, blue)
    }

    /// `Color(hex: 0x1f77b4)`.
    public init(hex: UInt32) {
        self.init(
            red: Double(hex >> 16 & 0xFF) / 255, green: Double(hex >> 8 & 0xFF) / 255, blue: Double(hex & 0xFF) / 255)
    }

    /// Relative luminance (Rec. 709 weights on the sRGB-decoded channels), 0 for black and 1 for
    /// white; text on a fill goes dark above about 0.4 and light below, whatever the colour map.
    public var luminance: Double {
        func linear(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// The same hue moved towards white by `amount` (0 leaves it, 1 is white).
    func lightened(_ amount: Double) -> Color {
        Color(red: red + (1 - red) * amount, green: green + (1 - green) * amount, blue: blue + (1 - blue) * amount)
    }

    /// The 8-bit channels packed as cairo's ARGB32 stores an opaque pixel.
    var argb32: UInt32 {
        func byte(_ c: Double) -> UInt32 { UInt32((min(max(c, 0), 1) * 255).rounded()) }
        return 0xFF00_0000 | byte(red) << 16 | byte(green) << 8 | byte(blue)
    }

    public static let white = Color(hex: 0xFFFFFF)
    public static let black = Color(hex: 0x000000)
    /// Text and axis lines: near-black reads softer than black on white.
    public static let ink = Color(hex: 0x262626)
    public static let gridLine = Color(hex: 0xE3E3E3)

    /// Series colours, in order (the "tab10" palette of matplotlib and Vega, designed to stay
    /// distinguishable for the common kinds of colour blindness in its first four).
    public static let palette: [Color] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ].map(Color.init(hex:))
}
