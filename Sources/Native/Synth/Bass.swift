import Foundation

/// The instruments that play the bass stem.
enum BassTone {
    case upright, electric, distorted, sub808, bowed
}

/// The bass line of a song: the genre's idiom (walking, boogie, root-fifth, disco octaves,
/// one-drop, 808 slides, bowed roots) over the song's chords.
enum BassPart {
    static func tone(for genre: Genre, ballad: Bool, _ r: inout Random) -> BassTone {
        switch genre {
        case .jazz: .upright
        case .blues: r.chance(0.4) ? .upright : .electric
        case .classical: .bowed
        case .metal: .distorted
        case .rock: r.chance(0.3) ? .distorted : .electric
        case .hiphop: r.chance(0.7) ? .sub808 : .electric
        case .country: r.chance(0.3) ? .upright : .electric
        case .pop: r.chance(0.4) ? .sub808 : .electric
        default: .electric
        }
    }

    static func notes(genre: Genre, harmony: Harmony, groove: Groove, bars: Int, _ r: inout Random) -> [Note] {
        var notes: [Note] = []
        // The idiom, drawn once per song where the genre has more than one.
        let walks = genre == .jazz && !groove.isBallad || genre == .blues && r.chance(0.35)
        let riff = r.pick([
            "X..x..x...x.x...", "X.x...x.X..x..x.", "X..x..x.x.x.....",
        ])
        let reggaeRiff = r.pick(["..x.X.x...x.x.x.", "X..x..x.....x.x.", "....X.x.X.x.x..."])
        for bar in 0..<bars {
            let start = Double(4 * bar)
            let chord = harmony.progression.chord(at: start)
            let next = harmony.progression.chord(at: start + 4)
            let root = Double(harmony.midi(chord.root, above: 28))
            let nextRoot = Double(harmony.midi(next.root, above: 28))
            let third = Double(chord.tones.count > 1 ? chord.tones[1] : 7)
            let fifth = Double(chord.tones.contains(7) ? 7 : chord.tones.last ?? 7)
            func add(_ beat: Double, _ beats: Double, _ pitch: Double, _ velocity: Float) {
                notes.append(Note(beat: start + beat, beats: beats, pitch: pitch, velocity: velocity))
            }
            switch genre {
            case _ where walks:
                // Quarter notes: root, two chord tones, then a half step into the next root.
                add(0, 0.95, root, 0.9)
                add(1, 0.95, root + (r.chance(0.5) ? third : fifth), 0.75)
                add(2, 0.95, root + (r.chance(0.5) ? fifth : 12 - Double(r.pick([1, 2, 3]))), 0.8)
                add(3, 0.95, nextRoot + (r.chance(0.5) ? 1 : -1), 0.75)
            case .blues:
                // The boogie: up the chord through the sixth to the flat seventh and back.
                let steps: [Double] = [0, third, 7, 9, 10, 9, 7, third]
                for (k, s) in steps.enumerated() { add(Double(k) / 2, 0.45, root + s, k % 2 == 0 ? 0.85 : 0.65) }
            case .jazz:
                add(0, 1.9, root, 0.8)
                add(2, 1.9, root + fifth - 12 * (r.chance(0.5) ? 1 : 0), 0.7)
            case .country:
                add(0, 0.9, root, 0.9)
                add(2, 0.9, root + fifth - 12, 0.8)
                if chord.root != next.root && r.chance(0.5) {
                    add(3, 0.45, root + 2, 0.6)
                    add(3.5, 0.45, root + 4, 0.6)
                } else {
                    add(1, 0.5, root, 0.5)
                    add(3, 0.5, root + fifth - 12, 0.5)
                }
            case .disco:
                for k in 0..<8 { add(Double(k) / 2, 0.3, root + (k % 2 == 1 ? 12 : 0), k % 2 == 1 ? 0.75 : 0.9) }
            case .metal, .rock:
                let sixteenths = genre == .metal && r.chance(0.5)
                let count = sixteenths ? 16 : 8
                for k in 0..<count {
                    let pitch = k == count - 2 && r.chance(0.3) ? root + fifth : root
                    add(
                        Double(k) * 4 / Double(count), 4 / Double(count) * 0.85, pitch, k % (count / 4) == 0 ? 0.9 : 0.7
                    )
                }
            case .pop:
                for (step, v) in StepPattern(riff).hits {
                    add(Double(step) / 4, 0.7, root + r.pick([0, 0, 12, fifth]), v)
                }
            case .hiphop:
                // 808: long notes on the kick's accents; some slide up to the fifth.
                add(0, 1.6, root, 1)
                add(2.5, 1.4, root + (r.chance(0.3) ? fifth : 0), 0.85)
            case .reggae:
                for (step, v) in StepPattern(reggaeRiff).hits {
                    add(Double(step) / 4, 0.45, root + r.pick([0, 0, third, fifth, 12]), v)
                }
            case .classical:
                if r.chance(0.6) {
                    add(0, 3.8, root, 0.8)
                } else {
                    for k in 0..<4 {
                        add(
                            Double(k), 0.95, root + Double(r.pick(harmony.scale.filter { $0 < 12 })) * (k == 0 ? 0 : 1),
                            0.7)
                    }
                }
            }
        }
        return notes
    }

    /// One note of `tone`, `seconds` long plus its release.
    static func render(_ note: Note, seconds: Double, tone: BassTone, brightness: Double, rate: Int, _ r: inout Random)
        -> [Float]
    {
        let sr = Double(rate)
        let f = frequency(ofMidi: note.pitch)
        let envelope: Envelope =
            switch tone {
            case .upright: Envelope(attack: 0.006, decay: 0.35, sustain: 0.25, release: 0.05)
            case .electric: Envelope(attack: 0.004, decay: 0.4, sustain: 0.6, release: 0.03)
            case .distorted: Envelope(attack: 0.003, decay: 0.3, sustain: 0.8, release: 0.02)
            case .sub808: Envelope(attack: 0.004, decay: 0.9, sustain: 0.3, release: 0.08)
            case .bowed: Envelope(attack: 0.09, decay: 0.5, sustain: 0.85, release: 0.12)
            }
        let n = Int(envelope.length(held: seconds) * sr)
        var out = [Float](repeating: 0, count: n)
        var saw = SawOscillator()
        var saw2 = SawOscillator(phase: 0.37)
        var lowpass = Biquad.lowpass(min(f * brightness, 2_500), q: 0.9, rate: sr)
        var thump = OnePole(400, rate: sr)
        var phase = 0.0
        let level = envelope.curve(held: seconds, count: n, rate: sr)
        var click: Float = 1
        let clickStep = Float(exp(-1 / (0.01 * sr)))
        SineTable.values.withUnsafeBufferPointer { table in
            for i in 0..<n {
                let t = Double(i) / sr
                let a = level[i] * note.velocity
                var y: Float
                switch tone {
                case .upright:
                    phase += f / sr
                    y =
                        SineTable.sine(table, phase) + 0.45 * SineTable.sine(table, 2 * phase)
                        + 0.2 * SineTable.sine(table, 3 * phase)
                    y = lowpass.process(y) + 2 * thump.lowpass(r.bipolar()) * click
                    click *= clickStep
                case .electric:
                    y = lowpass.process(saw.next(f / sr))
                case .distorted:
                    y = lowpass.process(saturate(saw.next(f / sr) + saw2.next(f * 1.006 / sr), drive: 6))
                case .sub808:
                    // The pitch drops two semitones onto the note in the first 30 ms.
                    phase += f * (1 + 0.12 * Double(click * click * click)) / sr  // click³ = exp(-t / 0.0033)
                    click *= clickStep
                    y = saturate(SineTable.sine(table, phase), drive: 1.6)
                case .bowed:
                    let vibrato = 1 + 0.004 * Double(SineTable.sine(table, 5.2 * t))
                    y = lowpass.process(0.5 * (saw.next(f * vibrato / sr) + saw2.next(f * vibrato * 1.004 / sr)))
                }
                out[i] = a * y
            }
        }
        return out
    }

    static func render(
        _ notes: [Note], tone: BassTone, groove: Groove, frames: Int, rate: Int, _ r: inout Random
    ) -> StereoTrack {
        var track = StereoTrack(frames: frames)
        let brightness = r.uniform(3, 9)
        for note in notes {
            let start = groove.time(note.beat) + groove.looseness * r.normal()
            let seconds = groove.time(note.beat + note.beats) - groove.time(note.beat)
            let sound = render(note, seconds: seconds, tone: tone, brightness: brightness, rate: rate, &r)
            track.add(sound, at: Int(max(0, start) * Double(rate)), gain: 1, pan: 0)
        }
        return track
    }
}
