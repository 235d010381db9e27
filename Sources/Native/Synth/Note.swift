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

    /// `level` at every sample of a note held `held` seconds, `count` samples long, computed by
    /// recurrences (one multiply per sample for each exponential) instead of calls to exp.
    func curve(held: Double, count: Int, rate: Double) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        let attackEnd = min(count, Int(attack * rate))
        let releaseAt = min(count, max(0, Int(held * rate)))
        let decayStep = exp(-1 / (decay * rate))
        let releaseStep = exp(-1 / (release * rate))
        var fall = 1.0  // exp(-(t - attack) / decay)
        var level = 0.0
        for i in 0..<releaseAt {
            if i < attackEnd {
                level = Double(i) / (attack * rate)
            } else {
                level = sustain + (1 - sustain) * fall
                fall *= decayStep
            }
            out[i] = Float(level)
        }
        for i in releaseAt..<count {
            level *= releaseStep
            out[i] = Float(level)
        }
        return out
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
