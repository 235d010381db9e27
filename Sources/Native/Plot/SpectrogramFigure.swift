import Foundation

/// How a spectrogram's rows and columns map to frequency and time, and how to title it.
/// Property names follow MelOptions and the Lua API (`rate`, `hop`, `fmin`, `fmax`, `htk`).
public struct SpectrogramPlotOptions: Sendable, Equatable {
    public enum FrequencyScale: String, Sendable, CaseIterable { case mel, linear }

    public var rate = 22050
    public var hop = 512
    public var fmin = 20.0
    /// nil: the Nyquist frequency, rate / 2.
    public var fmax: Double? = 8000
    public var htk = false
    /// `mel`: rows are mel bands from fmin to fmax; `linear`: STFT bins from 0 Hz to rate / 2.
    public var scale = FrequencyScale.mel
    public var title: String?
    public var colorBarLabel = "dB"
    public var width = 1000
    public var height = 420

    public init() {}

    /// The axes of spectrograms made with `mel`.
    public init(_ mel: MelOptions) {
        rate = mel.rate
        hop = mel.hop
        fmin = mel.fmin
        fmax = mel.fmax
        htk = mel.htk
    }
}

extension Figure {
    /// A spectrogram as an image: time in seconds across, frequency in Hz up (ticks at octaves,
    /// placed on the mel scale for mel spectrograms), viridis colours with a colour bar.
    public static func spectrogram(_ spectrogram: Spectrogram, _ options: SpectrogramPlotOptions = .init()) throws
        -> Figure
    {
        guard spectrogram.bins > 0, spectrogram.frames > 0 else {
            throw PlotError(
                "spectrogram",
                "expected at least one bin and one frame, got \(spectrogram.bins) x \(spectrogram.frames)")
        }
        guard options.rate > 0, options.hop > 0 else {
            throw PlotError(
                "spectrogram", "rate and hop: expected positive values, got \(options.rate) and \(options.hop)")
        }
        let nyquist = Double(options.rate) / 2
        let fmax = options.fmax ?? nyquist
        var map = HeatMap(
            rows: spectrogram.bins, columns: spectrogram.frames, values: spectrogram.values.map(Double.init),
            colorMap: .viridis)
        map.smooth = true
        map.colorBarLabel = options.colorBarLabel
        let seconds = Double(spectrogram.frames * options.hop) / Double(options.rate)

        var yAxis = Axis(label: "frequency (Hz)")
        switch options.scale {
        case .mel:
            guard options.fmin >= 0, options.fmin < fmax else {
                throw PlotError("spectrogram", "fmin \(options.fmin) and fmax \(fmax): expected 0 <= fmin < fmax")
            }
            // Band b is centred on mel(fmin) + (b + 1) * step with step = (mel(fmax) - mel(fmin)) / (bins + 1)
            // (librosa.mel_frequencies), and drawn over [b, b + 1): f sits at (mel(f) - mel(fmin)) / step - 0.5.
            let low = MelFilterbank.hzToMel(options.fmin, htk: options.htk)
            let step = (MelFilterbank.hzToMel(fmax, htk: options.htk) - low) / Double(spectrogram.bins + 1)
            map.extent = (0...seconds, 0...Double(spectrogram.bins))
            yAxis.range = 0...Double(spectrogram.bins)
            yAxis.ticks = [32, 64, 128, 256, 512, 1000, 2000, 4000, 8000, 16000, 32000].map { hz in
                Tick(
                    (MelFilterbank.hzToMel(hz, htk: options.htk) - low) / step - 0.5,
                    hz >= 1000 ? "\(Int(hz / 1000))k" : "\(Int(hz))")
            }
        case .linear:
            let binWidth = nyquist / Double(max(1, spectrogram.bins - 1))
            map.extent = (0...seconds, (-binWidth / 2)...(nyquist + binWidth / 2))
        }
        var panel = Panel(x: Axis(label: "time (s)", range: 0...seconds), y: yAxis)
        panel.heatMap = map
        panel.grid = false
        return Figure(title: options.title, width: options.width, height: options.height, panels: [panel])
    }
}
