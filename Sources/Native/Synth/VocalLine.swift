import Foundation

/// What the singer sings: phrases of a few bars separated by rests, built from two motifs that
/// come back (A B A B'), the way a verse repeats its lines. Each genre phrases in its own
/// rhythm (a rapper's sixteenths, a ballad's long notes) and range.
enum VocalLine {
    static func syllables(genre: Genre, harmony: Harmony, groove: Groove, female: Bool, bars: Int, _ r: inout Random)
        -> [Syllable]
    {
        if genre == .classical && r.chance(0.5) { return [] }  // many classical pieces have no voice
        let rapping = genre == .hiphop && r.chance(0.85)
        // Rhythm values (beats) a phrase is cut into, and the range sung, by genre.
        let rhythm: [Double]
        switch genre {
        case .hiphop: rhythm = rapping ? [0.25, 0.25, 0.25, 0.5] : [0.5, 1]
        case .classical: rhythm = [1, 2, 2, 3]
        case .jazz: rhythm = groove.isBallad ? [1, 2, 1.5] : [0.5, 0.5, 1, 1.5]
        case .metal: rhythm = [1, 2, 0.5]
        case .disco, .pop: rhythm = [0.5, 0.5, 1, 0.25]
        default: rhythm = [0.5, 1, 1, 1.5]
        }
        let centre = (female ? 67 : 55) + (genre == .classical ? 7 : genre == .metal ? 5 : 0) - (rapping ? 5 : 0)
        let span = rapping ? 4 : genre == .classical ? 14 : 10
        let notes = Scale.notes(harmony.scale, tonic: harmony.tonic, in: (centre - span / 2)...(centre + span / 2))
        let phraseBars = r.pick(genre == .classical ? [2, 4] : [1, 2, 2])
        let restBars = r.pick(rapping ? [0, 1] : [1, 1, 2])
        let pickup = genre == .reggae ? 0.5 : r.pick([0.0, 0.0, 0.5])

        /// One phrase as (offset beats, length, index into notes), starting mid-range.
        func motif() -> [(Double, Double, Int)] {
            var out: [(Double, Double, Int)] = []
            var beat = pickup
            var k = notes.count / 2
            let end = Double(4 * phraseBars) - 0.5
            while beat < end {
                let length = min(r.pick(rhythm), end - beat)
                k = max(
                    0, min(notes.count - 1, k + (rapping ? r.pick([-1, 0, 0, 1]) : r.pick([-2, -1, -1, 0, 1, 1, 2]))))
                out.append((beat, length, k))
                beat += length
            }
            return out
        }
        let motifs = [motif(), motif()]
        var syllables: [Syllable] = []
        var bar = 0
        var phrase = 0
        while bar < bars {
            var m = motifs[phrase % 2]
            if phrase % 4 == 3 { m = m.map { ($0.0, $0.1, max(0, min(notes.count - 1, $0.2 + r.pick([-1, 1])))) } }
            for (offset, length, k) in m {
                let beat = Double(4 * bar) + offset
                var pitch = Double(notes[k])
                // Land on a chord tone on the beat, as a singer does.
                let chord = harmony.progression.chord(at: beat)
                if offset.truncatingRemainder(dividingBy: 1) == 0 {
                    let tones = Set(chord.tones.map { ((harmony.tonic + chord.root + $0) % 12 + 12) % 12 })
                    if let near = notes.filter({ tones.contains($0 % 12) }).min(by: {
                        abs(Double($0) - pitch) < abs(Double($1) - pitch)
                    }) {
                        pitch = Double(near)
                    }
                }
                // Rappers speak rather than sing: the pitch glides down through the phrase.
                if rapping { pitch -= offset * 0.25 }
                syllables.append(
                    Syllable(
                        note: Note(
                            beat: beat, beats: length * (rapping ? 0.8 : 0.92), pitch: pitch, velocity: r.float(0.7, 1)),
                        vowel: Vowel(rawValue: Int(r.below(5)))!, consonant: rapping || r.chance(0.5)))
            }
            bar += phraseBars + restBars
            phrase += 1
        }
        return syllables
    }

    static func render(
        _ syllables: [Syllable], singer: Singer, groove: Groove, frames: Int, rate: Int, _ r: inout Random
    ) -> StereoTrack {
        var track = StereoTrack(frames: frames)
        var previous: Syllable?
        for s in syllables {
            let start = groove.time(s.note.beat) + groove.looseness * r.normal()
            let seconds = groove.time(s.note.beat + s.note.beats) - groove.time(s.note.beat)
            // Legato inside a phrase: glide from the last note when it just ended.
            let legato = previous.map { s.note.beat - ($0.note.beat + $0.note.beats) < 0.3 } ?? false
            let sound = singer.sing(s, seconds: seconds, previous: legato ? previous?.note.pitch : nil, rate: rate, &r)
            track.add(sound, at: Int(max(0, start) * Double(rate)), gain: 1, pan: 0)
            previous = s
        }
        return track
    }
}
