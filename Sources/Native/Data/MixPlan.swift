import Foundation

/// Everything drawn for one mashup, ready to be summed: the one mixing routine of mashup.
/// The training builder (`MashupBuilder`) and the synthetic test set (`Synth`'s
/// `MashupRecipe`) each draw their own way, then both lay the result through `render()`, so
/// the test mashups and the training mashups are mixed by the same arithmetic and cannot drift
/// apart.
///
/// `render()`: the stems, each at its gain, summed; the noise clips summed into a bed, each
/// clip's peak at `intensity` times the music's peak (`.peak`), or the bed at a signal-to-noise
/// ratio (`.snr`); the bed added to the music; the mix levelled.
public struct MixPlan: Sendable {
    /// One signal laid into the mix from `offset`: repeated when shorter than the mix when
    /// `looped`, otherwise followed by silence.
    public struct Layer: Sendable {
        public let samples: StoredSamples
        public let offset: Int
        public let gain: Float
        public let looped: Bool

        public init(_ samples: StoredSamples, offset: Int = 0, gain: Float, looped: Bool = true) {
            (self.samples, self.offset, self.gain, self.looped) = (samples, offset, gain, looped)
        }
    }

    /// A noise clip looped over the whole mix from `offset`; `peak` is max |x| of the clip
    /// (callers that reuse a clip compute it once).
    public struct Noise: Sendable {
        public let samples: StoredSamples
        public let offset: Int
        public let peak: Float
        /// The clip's peak relative to the music's (`.peak` mode; unused in `.snr` mode).
        public let intensity: Double

        public init(_ samples: StoredSamples, offset: Int, peak: Float, intensity: Double) {
            (self.samples, self.offset, self.peak, self.intensity) = (samples, offset, peak, intensity)
        }
    }

    public enum NoiseLevel: Sendable, Equatable {
        /// Each clip's peak at its `intensity` times the music's peak (the competition's recipe).
        case peak
        /// The clips at equal peaks, the bed then scaled to this many dB below the music's power.
        case snr(Double)
    }

    public enum Level: Sendable, Equatable {
        case peak(Double)
        /// RMS in dBFS.
        case rms(Double)
        case none
    }

    public var length: Int
    public var stems: [Layer] = []
    public var noise: [Noise] = []
    public var noiseLevel = NoiseLevel.peak
    public var level = Level.peak(0.98)

    public init(length: Int) { self.length = length }

    /// The mix, `length` samples.
    public func render() -> [Float] {
        var music = [Float](repeating: 0, count: length)
        music.withUnsafeMutableBufferPointer { out in
            for layer in stems {
                let count = layer.looped ? length : min(length, layer.samples.count - layer.offset)
                guard count > 0 else { continue }
                layer.samples.accumulate(into: out.baseAddress!, length: count, from: layer.offset, gain: layer.gain)
            }
        }
        let audible = noise.filter { $0.peak > 0 && $0.samples.count > 0 }
        if !audible.isEmpty {
            let musicPeak = max(peak(music), 1e-3)
            var bed = [Float](repeating: 0, count: length)
            bed.withUnsafeMutableBufferPointer { out in
                for clip in audible {
                    let gain =
                        noiseLevel == .peak ? Float(clip.intensity) * musicPeak / clip.peak : 1 / clip.peak
                    clip.samples.accumulate(into: out.baseAddress!, length: length, from: clip.offset, gain: gain)
                }
            }
            if case .snr(let snr) = noiseLevel {
                // 10 log10(P_music / (g² P_bed)) = snr.
                let (pm, pb) = (meanSquare(music), meanSquare(bed))
                let g = pb > 0 && pm > 0 ? Float((pm / (pb * pow(10, snr / 10))).squareRoot()) : 0
                for i in 0..<length { music[i] += g * bed[i] }
            } else {
                for i in 0..<length { music[i] += bed[i] }
            }
        }
        switch level {
        case .peak(let target):
            let p = peak(music)
            if p > 0 { scale(&music, Float(target) / p) }
        case .rms(let dB):
            let rms = meanSquare(music).squareRoot()
            if rms > 0 { scale(&music, Float(pow(10, dB / 20) / rms)) }
        case .none: break
        }
        return music
    }
}
