import Foundation
import Synchronization

/// One training mashup and every draw that made it, so that its statistics can be checked.
public struct MashupExample: Sendable {
    public let audio: Audio
    public let genre: Genre
    /// The song (index into the data set) giving each stem in `Stem.allCases` order; nil for a
    /// stem dropped out.
    public let songs: [Int?]
    /// Each stem's volume (drawn for dropped stems too).
    public let volumes: [Float]
    /// Noise clip indices and their drawn level: the intensity relative to the music's peak in
    /// peak mode, the bed's SNR in dB in snr mode.
    public let noise: [(clip: Int, level: Double)]
    /// The music's length before padding, in seconds.
    public let seconds: Double

    public var label: Int { genre.rawValue }
}

/// Builds training mashups from a `StemBank` following `MashupOptions`:
///
///   a song of the pool (the anchor) fixes the genre and gives one stem; the other stems come
///   from other songs of that genre (different ones while the genre has enough); stems drop out
///   with `stemDropout`; each is cut at a random offset to the drawn length (looped when
///   shorter), time-stretched to the drums' tempo when `tempoAlign`, coloured by a random
///   equaliser with probability `stemEQ`, and scaled by its volume;
///   1-3 noise clips are looped over the whole length from random offsets at the drawn level;
///   the mix is normalised.
///
/// Example k draws everything from `Random(seed: seed).stream(k)`, so it is the same whichever
/// thread builds it and whatever else was built before.
public struct MashupBuilder: Sendable {
    public let bank: StemBank
    /// The songs mashups are made of (e.g. a split's training songs).
    public let pool: [Int]
    public let options: MashupOptions
    public let seed: UInt64
    /// Estimated tempo of each song of the bank (0 where unknown or not needed).
    public let tempos: [Double]
    private let byGenre: [[Int]]
    private let noisePeaks: [Float]

    public init(bank: StemBank, songs pool: [Int]? = nil, options: MashupOptions = MashupOptions(), seed: UInt64) throws
    {
        try options.validate()
        let pool = pool ?? Array(bank.stems.indices)
        guard !pool.isEmpty else { throw DataError("songs", "expected at least one song to build mashups from") }
        if let bad = pool.first(where: { !bank.stems.indices.contains($0) }) {
            throw DataError("songs", "song index \(bad) is outside the data set's \(bank.stems.count) songs")
        }
        guard options.noiseClips.upperBound == 0 || !bank.noise.isEmpty else {
            throw DataError("noise_clips", "the data set has no noise clips; set noise_clips to 0...0")
        }
        self.bank = bank
        self.pool = pool
        self.options = options
        self.seed = seed
        var byGenre = [[Int]](repeating: [], count: Genre.allCases.count)
        for song in pool { byGenre[bank.dataSet.songs[song].genre.rawValue].append(song) }
        self.byGenre = byGenre
        noisePeaks = bank.noise.map { clip in clip.floats.reduce(0) { max($0, abs($1)) } }
        tempos =
            options.tempoAlign
            ? MashupBuilder.estimateTempos(bank, pool) : [Double](repeating: 0, count: bank.stems.count)
    }

    /// Each pool song's tempo from its drums, or from all its stems together where the drums are
    /// silent or without a beat (classical songs have none).
    static func estimateTempos(_ bank: StemBank, _ pool: [Int]) -> [Double] {
        let found = Mutex([Double](repeating: 0, count: bank.stems.count))
        let rate = bank.options.rate
        Engine.parallelFor(pool.count) { k in
            let stems = bank.stems[pool[k]]
            var bpm = TempoEstimator.bpm(stems[0].floats, rate: rate)
            if bpm == nil {
                var mix = [Float](repeating: 0, count: stems.map(\.count).max() ?? 0)
                mix.withUnsafeMutableBufferPointer { out in
                    for stem in stems { stem.accumulate(into: out.baseAddress!, length: stem.count, from: 0, gain: 1) }
                }
                bpm = TempoEstimator.bpm(mix, rate: rate)
            }
            found.withLock { $0[pool[k]] = bpm ?? 0 }
        }
        return found.withLock { $0 }
    }

    /// Mashup `index`; `anchor` (a pool song) fixes the song that sets the genre, drawn
    /// uniformly from the pool when nil.
    public func example(_ index: Int, anchor: Int? = nil) throws -> MashupExample {
        let drawn = try draw(index, anchor: anchor)
        return MashupExample(
            audio: Audio(samples: drawn.plan.render(), channels: 1, rate: bank.options.rate), genre: drawn.genre,
            songs: drawn.songs, volumes: drawn.volumes, noise: drawn.noise, seconds: drawn.seconds)
    }

    /// What mashup `index` is mixed from: `example(index).audio` is `plan(index).render()`.
    public func plan(_ index: Int, anchor: Int? = nil) throws -> MixPlan { try draw(index, anchor: anchor).plan }

    private struct Drawn {
        let plan: MixPlan
        let genre: Genre
        let songs: [Int?]
        let volumes: [Float]
        let noise: [(clip: Int, level: Double)]
        let seconds: Double
    }

    private func draw(_ index: Int, anchor: Int?) throws -> Drawn {
        var r = Random(seed: seed).stream(UInt64(index))
        let drawn = Int(r.below(UInt64(pool.count)))
        let anchor = anchor ?? pool[drawn]
        let genre = bank.dataSet.songs[anchor].genre
        let rate = Double(bank.options.rate)

        // Songs per stem: the anchor gives one stem; the others come from the genre's other
        // songs, in shuffled order, repeating only when the genre runs out.
        let stemCount = Stem.allCases.count
        var songs = [Int](repeating: anchor, count: stemCount)
        let anchorStem = Int(r.below(UInt64(stemCount)))
        if !r.chance(options.sameSong) {
            var others = byGenre[genre.rawValue].filter { $0 != anchor }
            r.shuffle(&others)
            if !others.isEmpty {
                for (k, stem) in (0..<stemCount).filter({ $0 != anchorStem }).enumerated() {
                    songs[stem] = others[k % others.count]
                }
            }
        }
        var kept = Stem.allCases.map { stem in options.keepStems.contains(stem) || !r.chance(options.stemDropout) }
        if !kept.contains(true) { kept[anchorStem] = true }
        let volumes = (0..<stemCount).map { _ in r.float(options.stemVolume.lowerBound, options.stemVolume.upperBound) }
        let seconds = r.uniform(options.cropSeconds.lowerBound, options.cropSeconds.upperBound)
        let length = max(1, Int(seconds * rate))

        var plan = MixPlan(length: length)
        let tempo = tempos[songs[0]]
        let equalizer = options.stemEQ > 0 ? try Equalizer(gain: options.stemEQGain) : nil
        for stem in 0..<stemCount {
            let source = bank.stems[songs[stem]][stem]
            // How much of the stem feeds `length` samples of output.
            var ratio = 1.0
            if options.tempoAlign, tempo > 0, tempos[songs[stem]] > 0 {
                ratio = tempo / tempos[songs[stem]]
                while ratio > 2.squareRoot() { ratio /= 2 }
                while ratio < 1 / 2.squareRoot() { ratio *= 2 }
            }
            let needed = Int((Double(length) * ratio).rounded(.up))
            let offset = Int(r.below(UInt64(max(1, source.count - needed + 1))))
            // Drawn for every stem, kept or not, so that one stem's fate never moves another's draws.
            let coloured = equalizer != nil && r.chance(options.stemEQ)
            var eqRandom = coloured ? r.stream(UInt64(stem)) : r
            guard kept[stem], source.count > 0 else { continue }
            let gain = volumes[stem]
            if ratio == 1 && !coloured {
                plan.stems.append(MixPlan.Layer(source, offset: offset, gain: gain))
            } else {
                var part =
                    ratio == 1
                    ? source.floats(from: offset, count: length)
                    : timeStretch(source.floats(from: offset, count: needed), rate: ratio, sampleRate: Int(rate))
                if coloured { equalizer!.filter(&part, random: &eqRandom, rate: Int(rate)) }
                plan.stems.append(MixPlan.Layer(StoredSamples(part, precision: .float32), gain: gain, looped: false))
            }
        }

        let noiseCount = bank.noise.isEmpty ? 0 : r.int(in: options.noiseClips)
        var noise: [(clip: Int, level: Double)] = []
        let snr = options.noiseMode == .snr ? r.uniform(options.snr.lowerBound, options.snr.upperBound) : 0
        plan.noiseLevel = options.noiseMode == .snr ? .snr(snr) : .peak
        for _ in 0..<noiseCount {
            let clip = Int(r.below(UInt64(bank.noise.count)))
            let offset = Int(r.below(UInt64(max(1, bank.noise[clip].count))))
            let intensity = r.uniform(options.noiseIntensity.lowerBound, options.noiseIntensity.upperBound)
            guard noisePeaks[clip] > 0 else { continue }
            plan.noise.append(
                MixPlan.Noise(bank.noise[clip], offset: offset, peak: noisePeaks[clip], intensity: intensity))
            noise.append((clip: clip, level: options.noiseMode == .peak ? intensity : snr))
        }
        switch options.normalization {
        case .peak: plan.level = .peak(options.peakLevel)
        case .rms: plan.level = .rms(options.rmsLevel)
        case .none: plan.level = .none
        }
        return Drawn(
            plan: plan, genre: genre, songs: (0..<stemCount).map { kept[$0] ? songs[$0] : nil }, volumes: volumes,
            noise: noise, seconds: seconds)
    }
}
