import CLua
import Native

/// `mm.npy`: any array the engine holds to and from NumPy's `.npy` format (float32), so a
/// user can inspect the numbers in Python.
enum LuaNpy: LuaModule {
    static let name: String? = "npy"

    static let functions: [Binding] = [
        // mm.npy.save(path, x): an audio buffer as (frames) or (frames, channels), a
        // spectrogram as (bins, frames), a tensor as its shape. Written atomically.
        Binding("save") { lua in
            let path = try lua.string(1)
            if let buffer = AudioBuffer.peek(lua.L, 2) {
                try Npy.write(buffer.audio.samples, shape: buffer.arrayShape, to: path)
            } else if let s = SpectrogramObject.peek(lua.L, 2) {
                try Npy.write(s.spectrogram.values, shape: s.spectrogram.shape, to: path)
            } else if let t = TensorObject.peek(lua.L, 2) {
                try Npy.write(t.tensor.array, shape: t.tensor.shape, to: path)
            } else {
                throw LuaError.type(2, expected: "audio, spectrogram or tensor")
            }
            return 0
        },
        // mm.npy.load(path) -> a tensor of the file's shape (any numeric dtype read as float32).
        Binding("load") { lua in
            let array = try Npy.read(try lua.string(1))
            return try lua.result(TensorObject(try Tensor(shape: array.shape, values: array.values)))
        },
    ]
}
