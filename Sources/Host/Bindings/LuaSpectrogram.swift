import CLua
import Native

/// A spectrogram as Lua holds it: `bins` rows (frequency bins, mel bands, coefficients) by
/// `frames` columns, immutable; `mm.dsp` functions return new ones.
final class SpectrogramObject: LuaObject {
    let spectrogram: Spectrogram

    init(_ spectrogram: Spectrogram) { self.spectrogram = spectrogram }

    static let luaTypeName = "mashup.spectrogram"

    var luaDescription: String { "spectrogram: \(spectrogram.bins) bins x \(spectrogram.frames) frames" }

    /// `s.bins`, `s.frames`.
    func property(_ name: String, lua: Lua) throws -> Bool {
        switch name {
        case "bins": lua.push(spectrogram.bins)
        case "frames": lua.push(spectrogram.frames)
        default: return false
        }
        return true
    }

    /// The spectrogram a method was called on.
    static func receiver(_ lua: Lua) throws -> Spectrogram { try lua.object(1, as: SpectrogramObject.self).spectrogram }

    static let methods: [(String, LuaFunction)] = [
        // s:shape() -> bins, frames
        (
            "shape",
            { L in
                Lua.invoke(L) { lua in
                    let s = try receiver(lua)
                    lua.push(s.bins)
                    lua.push(s.frames)
                    return 2
                }
            }
        ),
        // s:get(bin, frame) -> the value at 1-based bin and frame.
        (
            "get",
            { L in
                Lua.invoke(L) { lua in
                    let s = try receiver(lua)
                    let bin = try lua.integer(2)
                    let frame = try lua.integer(3)
                    guard bin >= 1, bin <= s.bins else {
                        throw LuaError.argument(2, "bin 1 ... \(s.bins) expected, got \(bin)")
                    }
                    guard frame >= 1, frame <= s.frames else {
                        throw LuaError.argument(3, "frame 1 ... \(s.frames) expected, got \(frame)")
                    }
                    lua.push(Double(s[bin - 1, frame - 1]))
                    return 1
                }
            }
        ),
        // s:to_tensor() -> a (1, bins, frames) tensor: one channel of the network's input.
        (
            "to_tensor",
            { L in
                Lua.invoke(L) { lua in
                    let s = try receiver(lua)
                    lua.push(TensorObject(try Tensor(shape: [1, s.bins, s.frames], values: s.values)))
                    return 1
                }
            }
        ),
    ]

    static let metamethods: [(String, LuaFunction)] = [
        // #s: the number of frames.
        (
            "__len",
            { L in
                Lua.invoke(L) { lua in
                    lua.push(try receiver(lua).frames)
                    return 1
                }
            }
        )
    ]
}
