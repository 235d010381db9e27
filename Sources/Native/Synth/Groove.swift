import Foundation

/// Where the beats of a song fall in time: tempo, swing and how loosely the players keep time.
///
/// Positions are written in beats on a straight grid (1.5 is the "and" of beat 2); `time(_:)`
/// bends them by the swing, which delays every off-beat eighth (or sixteenth) from the middle
/// of its unit towards two thirds of it: swing 0 is straight, 1/3 a full triplet shuffle.
struct Groove {
    let bpm: Double
    let swing: Double
    let swingsSixteenths: Bool
    /// Standard deviation of a player's timing error in seconds; 0 for programmed grooves.
    let looseness: Double

    var beat: Double { 60 / bpm }
    var bar: Double { 4 * beat }

    /// Seconds from the start of the song to the straight-grid position `beats`.
    func time(_ beats: Double) -> Double {
        let whole = beats.rounded(.down)
        var u = beats - whole
        if swingsSixteenths {
            let half = (u * 2).rounded(.down)
            u = (half + warp(u * 2 - half)) / 2
        } else {
            u = warp(u)
        }
        return (whole + u) * beat
    }

    /// Maps a position v in [0, 1) within a swing unit so its middle lands at p = (1 + swing) / 2.
    private func warp(_ v: Double) -> Double {
        let p = 0.5 * (1 + swing)
        return v < 0.5 ? v * 2 * p : p + (v - 0.5) * 2 * (1 - p)
    }
}

/// One step pattern per line, 16 steps to a 4/4 bar: 'X' accent, 'x' normal, 'o' ghost,
/// '.' rest. Patterns are written this way so a reader sees the groove.
struct StepPattern {
    /// (step 0..<16, velocity in (0, 1]) for every hit.
    let hits: [(step: Int, velocity: Float)]

    init(_ text: String) {
        hits = text.enumerated().compactMap { i, c in
            switch c {
            case "X": (i, 1.0)
            case "x": (i, 0.72)
            case "o": (i, 0.38)
            default: nil
            }
        }
    }
}
