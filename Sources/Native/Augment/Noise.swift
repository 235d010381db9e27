import Foundation
import Synchronization

/// Adds `noise` (looped over the length of `x`) scaled so that 10 log10(P_x / P_noise) = snr.
/// Silent signal or noise leaves `x` as it is.
func mixed(_ x: [Float], noise: [Float], from offset: Int, snr: Double) -> [Float] {
    guard !noise.isEmpty else { return x }
    let bed = StoredSamples(noise, precision: .float32).floats(from: offset, count: x.count)
    let (px, pn) = (meanSquare(x), meanSquare(bed))
    guard px > 0, pn > 0 else { return x }
    let g = Float((px / (pn * pow(10, snr / 10))).squareRoot())
    return zip(x, bed).map { $0 + g * $1 }
}

/// Generated noise of a colour at an SNR (dB) drawn from `snr`:
/// white (flat), pink (-3 dB per octave: Paul Kellet's economy filter of white noise, within
/// 0.5 dB above 10 Hz), brown (-6 dB per octave: white noise integrated with a leak at 5 Hz).
public struct ColouredNoise: Augmentation {
    public enum Colour: String, Sendable, CaseIterable {
        case white, pink, brown
    }

    public var colour: Colour
    public var snr: ClosedRange<Double>

    public init(_ colour: Colour = .white, snr: ClosedRange<Double> = 10...30) throws {
        try checkRange("snr", snr, within: -60...120)
        (self.colour, self.snr) = (colour, snr)
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let level = random.uniform(snr.lowerBound, snr.upperBound)
        var r = random.stream(0)
        let noise = Self.generate(colour, count: audio.frames, rate: audio.rate, &r)
        return audio.mapChannels { mixed($0, noise: noise, from: 0, snr: level) }
    }

    static func generate(_ colour: Colour, count: Int, rate: Int, _ r: inout Random) -> [Float] {
        var white = (0..<count).map { _ in Float(r.normal()) }
        switch colour {
        case .white: break
        case .pink:
            var (b0, b1, b2): (Float, Float, Float) = (0, 0, 0)
            for i in white.indices {
                let w = white[i]
                b0 = 0.99765 * b0 + w * 0.0990460
                b1 = 0.96300 * b1 + w * 0.2965164
                b2 = 0.57000 * b2 + w * 1.0526913
                white[i] = b0 + b1 + b2 + w * 0.1848
            }
        case .brown:
            let leak = Float(1 - 2 * Double.pi * 5 / Double(rate))
            var y: Float = 0
            for i in white.indices {
                y = leak * y + white[i]
                white[i] = y
            }
        }
        return white
    }
}

/// Noise clips from a folder (every audio file in it, decoded mono at one rate), one drawn per
/// call, looped from a random offset and mixed at an SNR drawn from `snr`.
public struct BackgroundNoise: Augmentation {
    public let clips: [[Float]]
    public let rate: Int
    public var snr: ClosedRange<Double>

    public init(clips: [[Float]], rate: Int, snr: ClosedRange<Double> = 3...30) throws {
        try checkRange("snr", snr, within: -60...120)
        guard !clips.isEmpty, clips.allSatisfy({ !$0.isEmpty }) else {
            throw DataError("clips", "expected at least one non-empty noise clip")
        }
        (self.clips, self.rate, self.snr) = (clips, rate, snr)
    }

    /// Decodes every file of `folder` (sorted by name, hidden files skipped) in parallel.
    public init(folder: String, rate: Int = 22_050, snr: ClosedRange<Double> = 3...30) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
        guard !names.isEmpty else { throw DataError(folder, "no noise files in the folder (or no such folder)") }
        let loaded = Mutex([Result<[Float], any Error>?](repeating: nil, count: names.count))
        Engine.parallelFor(names.count) { i in
            let clip = Result { try AudioFile.load("\(folder)/\(names[i])", rate: rate).samples }
            loaded.withLock { $0[i] = clip }
        }
        try self.init(clips: try loaded.withLock { try $0.map { try $0!.get() } }, rate: rate, snr: snr)
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        guard audio.rate == rate else {
            throw DataError("audio", "background noise was loaded at \(rate) Hz, the audio is at \(audio.rate) Hz")
        }
        let clip = clips[Int(random.below(UInt64(clips.count)))]
        let offset = Int(random.below(UInt64(clip.count)))
        let level = random.uniform(snr.lowerBound, snr.upperBound)
        return audio.mapChannels { mixed($0, noise: clip, from: offset, snr: level) }
    }
}
