import Foundation

/// One synthesised song: its four aligned stereo stems at 44.1 kHz and what was drawn for it.
public struct SynthSong: Sendable {
    public let genre: Genre
    /// Index within the genre: the song folder is "\(genre).\(String(format: "%05d", index))".
    public let index: Int
    public let bpm: Double
    /// 0 straight, 1/3 a full triplet shuffle.
    public let swing: Double
    /// Pitch class of the key's tonic (0 = C) and its mode.
    public let tonic: Int
    public let minor: Bool
    /// Stereo, interleaved, `SynthSong.rate` Hz, every stem the same length.
    public let stems: [Stem: Audio]

    /// The training stems' sample rate.
    public static let rate = 44_100

    public var folder: String { "\(genre.name).\(String(format: "%05d", index))" }
}

extension SynthSong {
    /// Synthesises song `index` of `genre`, `seconds` long, from generator `base`. Everything is
    /// drawn from `base.stream(songStream(genre, index))`, so a song is the same whichever thread
    /// makes it and however many other songs are made.
    public static func make(genre: Genre, index: Int, seconds: Double, base: Random) -> SynthSong {
        var r = base.stream(songStream(genre: genre, index: index))
        let rate = SynthSong.rate
        let groove = Groove.draw(for: genre, &r)
        let harmony = Harmony.draw(for: genre, &r)
        let frames = Int(seconds * Double(rate))
        let bars = Int((seconds / groove.bar).rounded(.up)) + 1

        // The score is drawn first; each part then renders from its own stream.
        var kitRandom = r.stream(1)
        let kit = genre == .classical ? nil : DrumKit(genre: genre, rate: rate, &kitRandom)
        let drumHits = DrumPart.hits(genre: genre, groove: groove, bars: bars, &r)
        let bassTone = BassPart.tone(for: genre, ballad: groove.isBallad, &r)
        let bassNotes = BassPart.notes(genre: genre, harmony: harmony, groove: groove, bars: bars, &r)
        let parts = Comping.parts(genre: genre, harmony: harmony, groove: groove, bars: bars, &r)
        let singer = Singer.draw(for: genre, &r)
        let syllables = VocalLine.syllables(
            genre: genre, harmony: harmony, groove: groove, female: singer.formantScale > 1.1, bars: bars, &r)

        var streams = (2...5).map { r.stream(UInt64($0)) }
        var other = Comping.render(parts, groove: groove, frames: frames, rate: rate, &streams[0])
        var bass = BassPart.render(bassNotes, tone: bassTone, groove: groove, frames: frames, rate: rate, &streams[1])
        var vocals = VocalLine.render(
            syllables, singer: singer, groove: groove, frames: frames, rate: rate, &streams[2])
        var drums = kit.map {
            DrumPart.render(drumHits, kit: $0, groove: groove, frames: frames, rate: rate, &streams[3])
        }

        // Mix levels: each stem brought to an RMS level drawn around a typical stem loudness.
        level(&other, dB: r.uniform(-20, -15))
        level(&bass, dB: r.uniform(-21, -16))
        level(&vocals, dB: r.uniform(-21, -16))
        if drums != nil { level(&drums!, dB: r.uniform(-19, -14)) }
        // An instrument the genre lacks still leaves a trace in a separated stem: the rest of
        // the mix leaking through, some 55 dB down.
        if drums == nil { drums = bleed(of: other, dB: -55) }
        if syllables.isEmpty { vocals = bleed(of: other, dB: -58) }

        let audio = { (t: StereoTrack) in Audio(samples: t.interleaved(), channels: 2, rate: rate) }
        return SynthSong(
            genre: genre, index: index, bpm: groove.bpm, swing: groove.swing, tonic: harmony.tonic,
            minor: harmony.minor,
            stems: [.drums: audio(drums!), .vocals: audio(vocals), .bass: audio(bass), .other: audio(other)])
    }

    /// What `make` draws first for the song (tempo, swing, key), without rendering it: the same
    /// numbers, from the same stream.
    static func describe(genre: Genre, index: Int, base: Random) -> (
        bpm: Double, swing: Double, tonic: Int, minor: Bool
    ) {
        var r = base.stream(songStream(genre: genre, index: index))
        let groove = Groove.draw(for: genre, &r)
        let harmony = Harmony.draw(for: genre, &r)
        return (groove.bpm, groove.swing, harmony.tonic, harmony.minor)
    }

    static func songStream(genre: Genre, index: Int) -> UInt64 { UInt64(genre.rawValue) << 32 | UInt64(index) }

    /// Scales the track to an RMS of `dB` dBFS, then lower if a peak would pass 0.98.
    private static func level(_ track: inout StereoTrack, dB: Double) {
        let rms = track.rms
        guard rms > 0 else { return }
        var g = Float(pow(10, dB / 20)) / rms
        let peak = track.peak * g
        if peak > 0.98 { g *= 0.98 / peak }
        track.scale(by: g)
    }

    private static func bleed(of track: StereoTrack, dB: Double) -> StereoTrack {
        var leak = track
        leak.scale(by: Float(pow(10, dB / 20)))
        return leak
    }
}
