/// A time-frequency matrix: `bins` rows (frequency bins, mel bands or coefficients) by `frames`
/// columns, stored row-major, so `values[b * frames + t]` is bin b at frame t. This is the
/// layout of librosa's [n_mels, t] arrays and of a 1 x bins x frames image for the network.
public struct Spectrogram: Sendable, Equatable {
    public var values: [Float]  // [bins * frames], row-major
    public var bins: Int
    public var frames: Int

    public init(values: [Float], bins: Int, frames: Int) {
        precondition(values.count == bins * frames, "a \(bins) x \(frames) spectrogram needs \(bins * frames) values")
        self.values = values
        self.bins = bins
        self.frames = frames
    }

    public init(zeros bins: Int, frames: Int) {
        self.init(values: [Float](repeating: 0, count: bins * frames), bins: bins, frames: frames)
    }

    public var shape: [Int] { [bins, frames] }

    public subscript(bin: Int, frame: Int) -> Float {
        get { values[bin * frames + frame] }
        set { values[bin * frames + frame] = newValue }
    }

    /// Row `bin` across all frames.
    public func row(_ bin: Int) -> ArraySlice<Float> { values[(bin * frames)..<((bin + 1) * frames)] }
}
