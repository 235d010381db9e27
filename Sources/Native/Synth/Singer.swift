import Foundation

/// A sung syllable: a note, its vowel, and whether a consonant starts it.
struct Syllable {
    var note: Note
    var vowel: Vowel
    var consonant: Bool
}

/// Vowels by their first three formants (Hz) for an adult male voice (Peterson & Barney's
/// averages, rounded); female and child voices scale them up.
enum Vowel: Int, CaseIterable {
    case a, e, i, o, u

    var formants: [Double] {
        switch self {
        case .a: [730, 1_090, 2_440]
        case .e: [530, 1_840, 2_480]
        case .i: [270, 2_290, 3_010]
        case .o: [570, 840, 2_410]
        case .u: [300, 870, 2_240]
        }
    }
}

/// A singer modelled as source and filter: a glottal buzz (a band-limited sawtooth, tilted
/// down a further 6 dB/octave, with breath noise) shaped by three formant resonators of the
/// vowel. Pitch scoops into each note and vibrato grows after its onset.
struct Singer {
    /// Formant scale: 1 for a male voice, about 1.17 for a female one.
    var formantScale: Double
    var vibratoRate: Double
    /// Vibrato depth in semitones, and how long a note is held before it starts.
    var vibratoDepth: Double
    var vibratoDelay: Double
    /// Semitones the voice scoops up from at a note's start.
    var scoop: Double
    var breath: Float
    /// Drive of a soft clipper for rough voices (1 = clean).
    var grit: Float
    /// Extra level of the third formant: the nasal "twang" of country singing.
    var twang: Float

    /// One syllable `seconds` long, starting from `previous` pitch (legato) when given.
    func sing(_ s: Syllable, seconds: Double, previous: Double?, rate: Int, _ r: inout Random) -> [Float] {
        let sr = Double(rate)
        let envelope = Envelope(attack: 0.025, decay: 0.6, sustain: 0.8, release: 0.06)
        let n = Int(envelope.length(held: seconds) * sr)
        var out = [Float](repeating: 0, count: n)
        let from = previous ?? (s.note.pitch - scoop)
        let formants = s.vowel.formants.map { $0 * formantScale }
        let widths = [80.0, 100, 140]
        var resonators = (0..<3).map { Biquad.bandpass(formants[$0], q: formants[$0] / widths[$0], rate: sr) }
        let gains: [Float] = [1, 0.6, 0.3 + twang]
        var glottis = SawOscillator()
        var tilt = OnePole(600 * formantScale, rate: sr)
        var hiss = Biquad.highpass(3_500, rate: sr)
        let level = envelope.curve(held: seconds, count: n, rate: sr)
        let rough = grit > 1.05
        let glideStep = exp(-1 / (0.035 * sr))
        var glide = 1.0  // exp(-t / 35 ms): what is left of the slide from the previous pitch
        SineTable.values.withUnsafeBufferPointer { table in
            for i in 0..<n {
                let t = Double(i) / sr
                let vibrato =
                    vibratoDepth * Double(SineTable.sine(table, vibratoRate * t))
                    * min(1, max(0, (t - vibratoDelay) / 0.25))
                let pitch = s.note.pitch + (from - s.note.pitch) * glide + vibrato
                glide *= glideStep
                let f0 = frequency(ofMidi: pitch)
                let source = tilt.lowpass(glottis.next(f0 / sr)) * 4 + breath * r.bipolar()
                var y: Float = 0
                for k in 0..<3 { y += gains[k] * resonators[k].process(source) }
                if rough { y = saturate(y, drive: grit) }
                if s.consonant && t < 0.04 { y += 0.5 * hiss.process(r.bipolar()) * Float(1 - t / 0.04) }
                out[i] = y * level[i] * s.note.velocity
            }
        }
        return out
    }

    /// The voice each genre's singers have, drawn per song.
    static func draw(for genre: Genre, _ r: inout Random) -> Singer {
        let female = r.chance(genre == .classical ? 0.8 : genre == .metal ? 0.15 : 0.45)
        var s = Singer(
            formantScale: female ? r.uniform(1.12, 1.22) : r.uniform(0.95, 1.05), vibratoRate: r.uniform(4.8, 6.2),
            vibratoDepth: r.uniform(0.1, 0.3), vibratoDelay: r.uniform(0.15, 0.35), scoop: r.uniform(0, 0.6),
            breath: r.float(0.01, 0.05), grit: 1.01, twang: 0)
        switch genre {
        case .blues: (s.scoop, s.grit) = (r.uniform(0.8, 1.8), r.float(1.2, 2.5))
        case .classical: (s.vibratoDepth, s.vibratoDelay, s.scoop) = (r.uniform(0.4, 0.7), 0.05, 0.1)
        case .country: (s.twang, s.scoop) = (r.float(0.4, 0.9), r.uniform(0.5, 1.2))
        case .hiphop: (s.vibratoDepth, s.scoop, s.breath) = (0, 0.3, r.float(0.04, 0.09))
        case .jazz:
            (s.vibratoDepth, s.vibratoDelay, s.breath) = (
                r.uniform(0.2, 0.4), r.uniform(0.25, 0.45), r.float(0.03, 0.08)
            )
        case .metal: (s.grit, s.vibratoDepth, s.breath) = (r.float(3, 8), r.uniform(0.3, 0.5), r.float(0.05, 0.15))
        case .rock: (s.grit, s.scoop) = (r.float(1.5, 3.5), r.uniform(0.3, 1))
        case .pop: (s.vibratoDepth, s.breath) = (r.uniform(0.05, 0.2), r.float(0.03, 0.07))
        default: break
        }
        return s
    }
}
