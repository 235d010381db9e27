import Foundation

/// How one test mashup is made, following the competition's recipe: the four stems of one
/// genre taken from different songs, tempo-aligned by time-stretching to the tempo of the song
/// that gives the drums, each at a volume U(0.4, 1), plus 1-3 noise clips at U(0.05, 0.35) of
/// the music's peak, cut to a length U(15.84, 30.01) s, peak-normalised, mono at 22.05 kHz.
///
/// Stems shorter than the drawn length (always so at the tiny and small scales, and after a
/// speed-up at full scale) are looped over the whole bars they hold, so the beat runs on
/// across the loop point. Each stem starts at its own whole-bar offset. Noise clips (5 s) are
/// looped over the whole mashup from a random offset: the competition's test clips are noisy
/// throughout (their spectral flatness is 15x that of the clean stems).
public struct MashupRecipe: Sendable {
    public let id: Int
    public let genre: Genre
    /// Song index (within the genre) that gives each stem, in `Stem.allCases` order.
    public let songs: [Int]
    public let volumes: [Float]
    /// Noise clip indices and their levels relative to the music's peak.
    public let noise: [(clip: Int, intensity: Float)]
    public let seconds: Double

    public static let rate = 22_050
    public static let lengthRange = 15.84...30.01

    /// The file name inside the data set, as the competition writes it: "mashups/song0001.wav".
    public var filename: String { "mashups/song\(String(format: "%04d", id)).wav" }

    static func draw(id: Int, genre: Genre, songCount: Int, noiseClips: Int, _ r: inout Random) -> MashupRecipe {
        // Different songs for the four stems where the genre has enough of them.
        var order = Array(0..<songCount)
        r.shuffle(&order)
        let songs = (0..<4).map { order[$0 % songCount] }
        let volumes = (0..<4).map { _ in r.float(0.4, 1.0) }
        let noise = (0..<r.int(in: 1...3)).map { _ in
            (clip: Int(r.below(UInt64(noiseClips))), intensity: r.float(0.05, 0.35))
        }
        return MashupRecipe(
            id: id, genre: genre, songs: songs, volumes: volumes, noise: noise, seconds: r.uniform(15.84, 30.01))
    }
}

/// A song's stems as the mashup recipe uses them: mono at 22.05 kHz, with the song's tempo.
struct MashupSource {
    let bpm: Double
    let stems: [[Float]]  // [Stem.allCases order][sample]
}

extension MashupRecipe {
    /// Mixes the mashup from its sources (indexed by song) and noise clips (22.05 kHz mono),
    /// through the training builder's mixing routine (`MixPlan`).
    func mix(sources: [MashupSource], noiseClips: [[Float]], seed: Random) -> [Float] {
        plan(sources: sources, noiseClips: noiseClips, seed: seed).render()
    }

    /// The mashup's stems, tempo-aligned and cut to whole bars, and its noise clips at their
    /// drawn offsets, peak-normalised to 0.98.
    func plan(sources: [MashupSource], noiseClips: [[Float]], seed: Random) -> MixPlan {
        var r = seed.stream(UInt64(id))
        let rate = Double(MashupRecipe.rate)
        var plan = MixPlan(length: Int(seconds * rate))
        let tempo = sources[songs[0]].bpm
        let bar = 4 * 60 / tempo * rate  // samples per bar at the common tempo
        for (k, song) in songs.enumerated() {
            let source = sources[song]
            // Match the beat, treating a song at about half or double the tempo as its own
            // double- or half-time, so no stem is stretched by more than a factor of √2.
            var ratio = tempo / source.bpm
            while ratio > 2.squareRoot() { ratio /= 2 }
            while ratio < 1 / 2.squareRoot() { ratio *= 2 }
            let stem = timeStretch(source.stems[k], rate: ratio, sampleRate: MashupRecipe.rate)
            let bars = Int(Double(stem.count) / bar)
            let loop = bars >= 1 ? Int((Double(bars) * bar).rounded()) : stem.count
            guard loop > 0 else { continue }
            let offset = bars >= 1 ? Int((Double(Int(r.below(UInt64(bars)))) * bar).rounded()) : 0
            plan.stems.append(
                MixPlan.Layer(
                    StoredSamples(Array(stem.prefix(loop)), precision: .float32), offset: offset, gain: volumes[k]))
        }
        for (clip, intensity) in noise {
            let x = noiseClips[clip]
            let peak = x.reduce(0) { max($0, abs($1)) }
            guard peak > 0, !x.isEmpty else { continue }
            let offset = Int(r.below(UInt64(x.count)))
            plan.noise.append(
                MixPlan.Noise(
                    StoredSamples(x, precision: .float32), offset: offset, peak: peak, intensity: Double(intensity)))
        }
        return plan
    }
}
