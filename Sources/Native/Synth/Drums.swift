import Foundation

/// One stroke on the kit: which drum, where on the straight grid (in beats), how hard.
struct DrumHit {
    var voice: DrumVoice
    var beat: Double
    var velocity: Float
}

/// The drum part of a song: a groove the genre is known by, varied by a crash on the first bar
/// of each phrase, ghost notes, and a fill closing each four-bar phrase.
enum DrumPart {
    typealias Pattern = [(DrumVoice, String)]

    /// The grooves each genre chooses from, one bar of 16 steps per line.
    static func grooves(for genre: Genre, ballad: Bool) -> [Pattern] {
        switch genre {
        case .blues:
            return [
                [(.kick, "X.......x......."), (.snare, "....X.......X..."), (.closedHat, "x.x.x.x.x.x.x.x.")],
                [(.kick, "X.....x.X.....x."), (.snare, "....X.......X..."), (.ride, "x.x.x.x.x.x.x.x.")],
                [(.kick, "X.......X......."), (.snare, "....X..o....X..o"), (.closedHat, "X.x.X.x.X.x.X.x.")],
            ]
        case .classical:
            return []
        case .country:
            return [
                [(.kick, "X.......X......."), (.snare, "....X.......X..."), (.closedHat, "x.x.x.x.x.x.x.x.")],
                [(.kick, "X.......X......."), (.brushTap, "oxoXoxoXoxoXoxoX")],
                [(.kick, "X.....x.X......."), (.rim, "....X.......X..."), (.closedHat, "x.x.x.x.x.x.x.x.")],
            ]
        case .disco:
            return [
                [
                    (.kick, "X...X...X...X..."), (.clap, "....X.......X..."), (.closedHat, "x.o.x.o.x.o.x.o."),
                    (.openHat, "..x...x...x...x."),
                ],
                [
                    (.kick, "X...X...X...X..."), (.snare, "....X.......X..."), (.openHat, "..X...X...X...X."),
                    (.closedHat, "oxoooxoooxoooxoo"),
                ],
            ]
        case .hiphop:
            return [
                [(.kick, "X......xX.x....."), (.snare, "....X.......X..."), (.closedHat, "x.x.x.x.x.x.x.x.")],
                [
                    (.kick, "X.....x...X..x.."), (.snare, "....X.......X..."), (.clap, "....x.......x..."),
                    (.closedHat, "xoxoxoxoxoxoxoxo"),
                ],
                [
                    (.kick, "X..x......X....."), (.snare, "....X..o....X..."), (.closedHat, "x.x.x.x.x.x.x.x."),
                    (.openHat, "..............x."),
                ],
            ]
        case .jazz:
            return ballad
                ? [[(.brushSwish, "x.o.x.o.x.o.x.o."), (.brushTap, "....x.......x..."), (.kick, "o.......o.......")]]
                : [
                    [(.ride, "x...X.x.x...X.x."), (.pedalHat, "....x.......x..."), (.kick, "o...o...o...o...")],
                    [(.ride, "X...x.x.X...x.x."), (.pedalHat, "....x.......x..."), (.snare, "......o.......o.")],
                ]
        case .metal:
            return [
                [(.kick, "xxxxxxxxxxxxxxxx"), (.snare, "....X.......X..."), (.ride, "X...x...X...x...")],
                [(.kick, "x.x.x.x.x.x.x.x."), (.snare, "..X...X...X...X."), (.closedHat, "x.x.x.x.x.x.x.x.")],
                [(.kick, "X..x..x.X..x..x."), (.snare, "........X......."), (.crash, "X...x...X...x...")],
                [(.kick, "xxxxxxxxxxxxxxxx"), (.snare, "....X.......X..."), (.crash, "X.......X.......")],
            ]
        case .pop:
            return [
                [
                    (.kick, "X......xX.x....."), (.snare, "....X.......X..."), (.clap, "....x.......x..."),
                    (.closedHat, "x.x.x.x.x.x.x.x."),
                ],
                [(.kick, "X...X...X...X..."), (.clap, "....X.......X..."), (.closedHat, "xoxoxoxoxoxoxoxo")],
                [
                    (.kick, "X.....x.X......."), (.snare, "....X.......X..."), (.closedHat, "x.x.x.x.x.x.x.x."),
                    (.openHat, "..............x."),
                ],
            ]
        case .reggae:
            return [
                [(.kick, "........X......."), (.rim, "........X......."), (.closedHat, "x.x.x.x.x.x.x.x.")],
                [
                    (.kick, "X...X...X...X..."), (.rim, "........X......."), (.closedHat, "x.x.x.x.x.x.x.x."),
                    (.openHat, "..x...x...x...x."),
                ],
                [(.kick, "X.......X......."), (.rim, "....X.......X..."), (.closedHat, "x.xxx.xxx.xxx.xx")],
            ]
        case .rock:
            return [
                [(.kick, "X.......X.x....."), (.snare, "....X.......X..."), (.closedHat, "X.x.X.x.X.x.X.x.")],
                [(.kick, "X...x.....X.x..."), (.snare, "....X.......X..."), (.closedHat, "x.x.x.x.x.x.x.x.")],
                [(.kick, "X.......X.X....."), (.snare, "....X.......X..."), (.ride, "x.x.x.x.x.x.x.x.")],
            ]
        }
    }

    /// Every hit of a song of `bars` bars.
    static func hits(genre: Genre, groove: Groove, bars: Int, _ r: inout Random) -> [DrumHit] {
        let choices = grooves(for: genre, ballad: groove.isBallad)
        guard !choices.isEmpty else { return [] }
        let pattern = r.pick(choices).map { ($0.0, StepPattern($0.1)) }
        let usesCymbals = genre != .jazz && genre != .reggae
        let ghosts = genre == .hiphop || genre == .jazz || genre == .blues ? 0.08 : 0.02
        let fills = genre == .reggae || genre == .hiphop || genre == .disco ? 0.25 : 0.6
        var hits: [DrumHit] = []
        for bar in 0..<bars {
            let start = Double(4 * bar)
            let fill = bar % 4 == 3 && r.chance(fills)
            for (voice, steps) in pattern {
                for (step, velocity) in steps.hits where !(fill && step >= 12 && voice != .kick) {
                    hits.append(DrumHit(voice: voice, beat: start + Double(step) / 4, velocity: velocity))
                }
            }
            if bar % 4 == 0 && usesCymbals && bar > 0 {
                hits.append(DrumHit(voice: .crash, beat: start, velocity: 0.8))
            }
            for step in 0..<16 where r.chance(ghosts) {
                hits.append(
                    DrumHit(
                        voice: genre == .jazz && groove.isBallad ? .brushTap : .snare, beat: start + Double(step) / 4,
                        velocity: 0.25))
            }
            if fill {
                // The last beat rolls down the toms (or brushes, for a ballad).
                let voices: [DrumVoice] =
                    groove.isBallad && genre == .jazz ? [.brushTap] : [.snare, .highTom, .highTom, .lowTom]
                for k in 0..<4 {
                    hits.append(
                        DrumHit(
                            voice: voices[k % voices.count], beat: start + 3 + Double(k) / 4,
                            velocity: 0.6 + 0.1 * Float(k)))
                }
            }
        }
        return hits
    }

    /// Places the hits on a stereo track: kick and snare centred, hats to the right, ride to the
    /// left, toms spread, as a drummer's kit is usually panned from the audience.
    static func render(_ hits: [DrumHit], kit: DrumKit, groove: Groove, frames: Int, rate: Int, _ r: inout Random)
        -> StereoTrack
    {
        var track = StereoTrack(frames: frames)
        for hit in hits {
            let t = groove.time(hit.beat) + groove.looseness * r.normal()
            let velocity = hit.velocity * (1 + 0.06 * Float(r.normal()))
            let pan: Float =
                switch hit.voice {
                case .closedHat, .openHat, .pedalHat: 0.35
                case .ride: -0.4
                case .crash: -0.25
                case .highTom: 0.2
                case .lowTom: -0.3
                default: 0
                }
            let take = Int(r.below(UInt64(DrumKit.takes)))
            track.add(
                kit.sound(hit.voice, take: take), at: Int(max(0, t) * Double(rate)), gain: velocity * velocity, pan: pan
            )
        }
        return track
    }
}
