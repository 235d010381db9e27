import CLua
import Native

/// A spectrogram as Lua holds it: `bins` rows (frequency bins, mel bands, coefficients) by
/// `frames` columns, immutable; `mm.dsp` functions return new ones.
final class SpectrogramObject: LuaObject {
    let spectrogram: Spectrogram
    /// What the values are, as the function that made them knows: the colour bar's label.
    let values: Values

    /// The colour bar's label for each kind of spectrogram the bindings make.
    enum Values: String {
        case power
        case magnitude
        case decibels = "dB"
        case scaled = "min-max scaled, 0 to 1"
        case coefficients = "coefficient"
        case unknown = "value"
    }

    init(_ spectrogram: Spectrogram, values: Values = .unknown) {
        self.spectrogram = spectrogram
        self.values = values
    }

    static let luaTypeName = "mashup.spectrogram"

    var luaDescription: String { "spectrogram: \(spectrogram.bins) bins x \(spectrogram.frames) frames" }
    var nativeBytes: Int { spectrogram.values.count * MemoryLayout<Float>.size }

    /// `s.bins`, `s.frames`, `s.unit` (what the values are: "power", "magnitude", "dB",
    /// "min-max scaled, 0 to 1", "coefficient" or "value").
    static let properties: Properties = [
        "bins": { $0.spectrogram.bins },
        "frames": { $0.spectrogram.frames },
        "unit": { $0.values.rawValue },
    ]

    static let methods: [Binding] = [
        // s:shape() -> bins, frames
        Binding("shape") { lua in
            let s = try receiver(lua).spectrogram
            return try lua.result(s.bins, s.frames)
        },
        // s:get(bin, frame) -> the value at 1-based bin and frame.
        Binding("get") { lua in
            let s = try receiver(lua).spectrogram
            let bin = try lua.integer(2)
            let frame = try lua.integer(3)
            guard bin >= 1, bin <= s.bins else {
                throw LuaError.argument(2, "bin 1 ... \(s.bins) expected, got \(bin)")
            }
            guard frame >= 1, frame <= s.frames else {
                throw LuaError.argument(3, "frame 1 ... \(s.frames) expected, got \(frame)")
            }
            return try lua.result(s[bin - 1, frame - 1])
        },
        // s:to_tensor() -> a (1, bins, frames) tensor: one channel of the network's input.
        Binding("to_tensor") { lua in
            let s = try receiver(lua).spectrogram
            return try lua.result(TensorObject(try Tensor(shape: [1, s.bins, s.frames], values: s.values)))
        },
        // s:png(path [, options]) and s:svg(path [, options]) -> path: the spectrogram as an
        // image, time across and frequency up. Options: title, the mel options that made it
        // (rate = 22050, hop = 512, fmin = 20, fmax = 8000, htk = false), scale = "mel" or
        // "linear" (STFT bins), colorbar = "dB", width = 1000, height = 420.
        Binding("png") { lua in try image(lua, format: "png") },
        Binding("svg") { lua in try image(lua, format: "svg") },
    ]

    /// Draws the spectrogram a `png` or `svg` method was called on into the path at 2.
    private static func image(_ lua: Lua, format: String) throws -> Int32 {
        let s = try receiver(lua)
        let path = try lua.string(2)
        guard path.lowercased().hasSuffix("." + format) else {
            throw LuaError.argument(2, "a file name ending in .\(format) expected, got '\(path)'")
        }
        let o = try lua.options(
            3, only: ["rate", "hop", "fmin", "fmax", "htk", "scale", "title", "colorbar", "width", "height"])
        var plot = SpectrogramPlotOptions()
        plot.rate = try o.integer("rate", default: plot.rate)
        plot.hop = try o.integer("hop", default: plot.hop)
        plot.fmin = try o.number("fmin", default: plot.fmin)
        plot.fmax = try o.number("fmax") ?? plot.fmax
        plot.htk = try o.boolean("htk") ?? plot.htk
        plot.scale = try o.choice("scale", default: plot.scale)
        plot.title = try o.string("title")
        plot.colorBarLabel = try o.string("colorbar") ?? s.values.rawValue
        plot.width = try LuaPlot.size(o, "width", default: plot.width)
        plot.height = try LuaPlot.size(o, "height", default: plot.height)
        for (key, value) in [("rate", plot.rate), ("hop", plot.hop)] where value <= 0 {
            throw o.invalid(key, "a positive integer expected, got \(value)")
        }
        if plot.scale == .mel, !(plot.fmin >= 0 && plot.fmin < plot.fmax ?? Double(plot.rate) / 2) {
            throw o.invalid(
                "fmin",
                "0 <= fmin < fmax expected, got fmin \(plot.fmin) and fmax \(plot.fmax ?? Double(plot.rate) / 2)")
        }
        return try LuaPlot.save(lua, Figure.spectrogram(s.spectrogram, plot), to: path)
    }

    /// `#s`: the number of frames.
    static let metamethods = [length { $0.spectrogram.frames }]
}
