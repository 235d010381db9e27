import Foundation

/// A pitched note on the song's grid: start and length in beats, MIDI pitch, loudness.
struct Note {
    var beat: Double
    var beats: Double
    var pitch: Double
    var velocity: Float
}

/// Attack-decay-sustain-release amplitude: a linear rise over `attack` seconds, an exponential
/// fall towards `sustain` (time constant `decay`), then after the note is released an
/// exponential fall to silence (time constant `release`).
struct Envelope {
    var attack: Double
    var decay: Double
    var sustain: Double
    var release: Double

    /// The level `t` seconds after the note starts, for a note held `held` seconds.
    @inline(__always)
    func level(_ t: Double, held: Double) -> Float {
        let body: (Double) -> Double = { t in
            t < attack ? t / attack : sustain + (1 - sustain) * exp(-(t - attack) / decay)
        }
        return Float(t < held ? body(t) : body(held) * exp(-(t - held) / release))
    }

    /// Seconds of sound a note held `held` seconds leaves, until its release is 60 dB down.
    func length(held: Double) -> Double { held + 7 * release }
}

extension Harmony {
    /// The MIDI note of pitch class `tonic + degree` closest above `floor`.
    func midi(_ degree: Int, above floor: Int) -> Int {
        let pc = ((tonic + degree) % 12 + 12) % 12
        return floor + ((pc - floor) % 12 + 12) % 12
    }
}
