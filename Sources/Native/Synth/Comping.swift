import Foundation

/// Chords (or single notes) an instrument plays, on the song's grid.
struct ChordHit {
    var beat: Double
    var beats: Double
    var pitches: [Double]
    var velocity: Float
}

/// One player of the `other` stem: instrument, where it sits in the stereo field, what it plays.
struct OtherPart {
    var instrument: Instrument
    var pan: Float
    var gain: Float
    var strum: Double
    var hits: [ChordHit]
}

/// What the `other` stem plays in each genre: distorted power chords for rock and metal, a
/// piano or organ shuffle for blues, boom-chick guitar for country, Charleston piano comping
/// (and sometimes a sax line) for jazz, off-beat skanks for reggae, strings and muted-guitar
/// scratches for disco, a lo-fi keyboard loop for hip-hop, sustained strings with arpeggios
/// for classical, pads and piano for pop.
enum Comping {
    static func parts(genre: Genre, harmony: Harmony, groove: Groove, bars: Int, _ r: inout Random) -> [OtherPart] {
        // Chord tones voiced from a floor upwards, and guitar power chords.
        func voicing(_ chord: Chord, floor: Int, rootless: Bool = false) -> [Double] {
            let tones = rootless ? Array(chord.tones.dropFirst()) + [14] : chord.tones
            return tones.map { Double(harmony.midi(chord.root + $0, above: floor)) }.sorted()
        }
        func power(_ chord: Chord, floor: Int) -> [Double] {
            let root = Double(harmony.midi(chord.root, above: floor))
            return [root, root + 7, root + 12]
        }
        /// A rhythm pattern played every bar with `make(chord)` as the notes.
        func comp(_ pattern: String, length: Double, _ make: (Chord) -> [Double]) -> [ChordHit] {
            let steps = StepPattern(pattern).hits
            return (0..<bars).flatMap { bar in
                steps.map { step, v in
                    let beat = Double(4 * bar) + Double(step) / 4
                    return ChordHit(
                        beat: beat, beats: length, pitches: make(harmony.progression.chord(at: beat)), velocity: v)
                }
            }
        }
        /// Each chord of the progression held for its whole length.
        func sustained(floor: Int) -> [ChordHit] {
            var hits: [ChordHit] = []
            var beat = 0.0
            while beat < Double(4 * bars) {
                for (chord, beats) in harmony.progression.chords {
                    hits.append(
                        ChordHit(beat: beat, beats: beats, pitches: voicing(chord, floor: floor), velocity: 0.8))
                    beat += beats
                }
            }
            return hits
        }
        /// A line through the scale, moving by steps, in eighths or quarters, with rests.
        func line(floor: Int, ceiling: Int, unit: Double, rests: Double) -> [ChordHit] {
            let notes = Scale.notes(harmony.scale, tonic: harmony.tonic, in: floor...ceiling)
            var k = notes.count / 2
            var hits: [ChordHit] = []
            var beat = 0.0
            while beat < Double(4 * bars) {
                if !r.chance(rests) {
                    k = max(0, min(notes.count - 1, k + r.pick([-2, -1, -1, 1, 1, 2])))
                    hits.append(
                        ChordHit(
                            beat: beat, beats: unit * 0.95, pitches: [Double(notes[k])], velocity: r.float(0.6, 0.9)))
                }
                beat += unit
            }
            return hits
        }
        let t = { (i: Instrument, pan: Float, gain: Float, strum: Double, hits: [ChordHit]) in
            OtherPart(instrument: i, pan: pan, gain: gain, strum: strum, hits: hits)
        }
        switch genre {
        case .blues:
            switch r.below(3) {
            case 0: return [t(.piano, 0.2, 1, 0.004, comp("x.o.x.o.x.o.x.o.", length: 0.45) { voicing($0, floor: 55) })]
            case 1:
                return [t(.organ, -0.2, 0.8, 0, comp("X.......x.....x.", length: 1.6) { voicing($0, floor: 55) })]
            default:
                // The shuffle riff on the low strings: root-fifth, root-sixth.
                let riff = comp("x.x.x.x.x.x.x.x.", length: 0.45) { chord in
                    power(chord, floor: 40).prefix(2).map { $0 }
                }
                let sixths = riff.enumerated().map { k, hit in
                    var hit = hit
                    if k % 4 >= 2 { hit.pitches[1] += 2 }
                    return hit
                }
                return [t(.cleanGuitar, -0.3, 1, 0.006, sixths), t(.mutedGuitar, 0.3, 0.35, 0.003, sixths)]
            }
        case .classical:
            var parts = t(.strings, 0, 0.9, 0, sustained(floor: 48)).spread(r.float(0.3, 0.6))
            if r.chance(0.6) {
                let arpeggio = comp("x.x.x.x.x.x.x.x.", length: 1) { chord in
                    [r.pick(voicing(chord, floor: 60) + voicing(chord, floor: 72))]
                }
                parts.append(t(r.chance(0.5) ? .piano : .cleanGuitar, 0.3, 0.8, 0, arpeggio))
            }
            if r.chance(0.5) {
                parts.append(
                    t(.strings, -0.3, 0.7, 0, line(floor: 67, ceiling: 88, unit: r.pick([1, 2]), rests: 0.15)))
            }
            return parts
        case .country:
            var hits = comp("X.......X.......", length: 0.9) { chord in [Double(harmony.midi(chord.root, above: 40))] }
            hits += comp("....x.......x...", length: 0.6) { voicing($0, floor: 52) + voicing($0, floor: 64) }
            var parts = [t(.cleanGuitar, -0.25, 1, 0.012, hits)]
            if r.chance(0.5) {
                parts.append(t(.piano, 0.3, 0.6, 0.002, line(floor: 72, ceiling: 88, unit: 0.5, rests: 0.6)))
            }
            return parts
        case .disco:
            var parts = t(.strings, 0, 0.7, 0, sustained(floor: 60)).spread(0.7)
            parts.append(
                r.chance(0.6)
                    ? t(
                        .mutedGuitar, 0.4, 0.7, 0.003, comp("x.xxx.xxx.xxx.xx", length: 0.12) { voicing($0, floor: 64) }
                    )
                    : t(.electricPiano, 0.3, 0.8, 0, comp("..x...x...x...x.", length: 0.5) { voicing($0, floor: 57) }))
            if r.chance(0.5) {
                parts.append(t(.brass, -0.35, 0.6, 0, comp("X.....x.........", length: 0.4) { voicing($0, floor: 60) }))
            }
            return parts
        case .hiphop:
            let keys = r.pick([Instrument.electricPiano, .pad, .piano])
            return [
                t(
                    keys, 0, 0.9, 0.003,
                    comp(r.pick(["X.........x.....", "X.....x.....x...", "X..............."]), length: 2.5) {
                        voicing($0, floor: 55, rootless: true)
                    })
            ]
        case .jazz:
            let keys = r.chance(0.7) ? Instrument.piano : .electricPiano
            var hits = comp("X.....x.........", length: 0.4) { voicing($0, floor: 53, rootless: true) }
            hits =
                hits.filter { _ in !r.chance(0.15) }
                + comp("..........o.....", length: 0.4) { voicing($0, floor: 53, rootless: true) }
            var parts = [t(keys, 0.25, 0.9, 0.002, hits)]
            if r.chance(0.4) {
                parts.append(t(.brass, -0.3, 0.7, 0, line(floor: 58, ceiling: 79, unit: 0.5, rests: 0.3)))
            }
            return parts
        case .metal:
            let chug = comp(r.pick(["xxxxxxxxxxxxxxxx", "x.xxx.xxx.xxx.xx", "X..x..x.X..x..x."]), length: 0.22) {
                chord in
                power(chord, floor: 38).prefix(2).map { $0 }
            }
            let accents = comp("X.......X.......", length: 1.8) { power($0, floor: 38) }
            let hits = chug.filter { hit in !accents.contains { $0.beat == hit.beat } } + accents
            // Double-tracked: the same riff played twice, hard left and hard right.
            return [t(.distortedGuitar, -0.8, 0.9, 0.002, hits), t(.distortedGuitar, 0.8, 0.9, 0.003, hits)]
        case .pop:
            var parts = t(.pad, 0, 0.6, 0, sustained(floor: 55)).spread(0.6)
            parts.append(
                r.chance(0.5)
                    ? t(.piano, 0.2, 0.8, 0, comp("x.x.x.x.x.x.x.x.", length: 0.45) { voicing($0, floor: 60) })
                    : t(
                        .cleanGuitar, -0.3, 0.8, 0,
                        comp("x.x.x.x.x.x.x.x.", length: 0.9) { chord in [r.pick(voicing(chord, floor: 62))] }))
            return parts
        case .reggae:
            var parts = [
                t(
                    .cleanGuitar, 0.35, 0.9, 0.004,
                    comp(r.pick(["....x.......x...", "..x...x...x...x."]), length: 0.18) { voicing($0, floor: 60) })
            ]
            if r.chance(0.6) {
                parts.append(
                    t(.organ, -0.35, 0.5, 0, comp(".x.x.x.x.x.x.x.x", length: 0.15) { voicing($0, floor: 55) }))
            }
            return parts
        case .rock:
            let hits =
                r.chance(0.6)
                ? comp("x.x.x.x.x.x.x.x.", length: 0.45) { power($0, floor: 40) }
                : comp("X.......X.....x.", length: 1.9) {
                    power($0, floor: 40) + [Double(harmony.midi($0.root + ($0.tones.contains(3) ? 3 : 4), above: 52))]
                }
            var parts = [t(.distortedGuitar, -0.7, 0.8, 0.006, hits), t(.distortedGuitar, 0.7, 0.8, 0.008, hits)]
            if r.chance(0.25) { parts.append(t(.organ, 0, 0.4, 0, sustained(floor: 55))) }
            return parts
        }
    }

    /// Renders every part onto one stereo track.
    static func render(_ parts: [OtherPart], groove: Groove, frames: Int, rate: Int, _ r: inout Random) -> StereoTrack {
        var track = StereoTrack(frames: frames)
        for part in parts {
            let timbre = Timbre.draw(&r)
            for hit in part.hits {
                let start = groove.time(hit.beat) + groove.looseness * r.normal()
                let seconds = groove.time(hit.beat + hit.beats) - groove.time(hit.beat)
                let sound = part.instrument.render(
                    hit.pitches, seconds: seconds, velocity: hit.velocity, timbre: timbre, strum: part.strum,
                    rate: rate, &r)
                track.add(sound, at: Int(max(0, start) * Double(rate)), gain: part.gain, pan: part.pan)
            }
        }
        return track
    }
}

extension OtherPart {
    /// The part split in two, its lower chord tones to one side and its upper to the other:
    /// an ensemble seated across a stage.
    func spread(_ width: Float) -> [OtherPart] {
        var low = self
        var high = self
        low.pan = pan - width
        high.pan = pan + width
        low.hits = hits.compactMap { hit in
            var h = hit
            h.pitches = Array(hit.pitches.prefix(hit.pitches.count / 2))
            return h.pitches.isEmpty ? nil : h
        }
        high.hits = hits.map { hit in
            var h = hit
            h.pitches = Array(hit.pitches.suffix(hit.pitches.count - hit.pitches.count / 2))
            return h
        }
        return [low, high]
    }
}
