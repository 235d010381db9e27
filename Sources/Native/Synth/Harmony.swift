/// A chord as a musician names it: a root on a degree of the key and the intervals above it.
struct Chord {
    /// Semitones from the key's tonic to the chord's root.
    var root: Int
    /// Semitones above the root, lowest first.
    var tones: [Int]

    static let major = [0, 4, 7], minor = [0, 3, 7], power = [0, 7, 12]
    static let dominant7 = [0, 4, 7, 10], major7 = [0, 4, 7, 11], minor7 = [0, 3, 7, 10]
    static let halfDiminished = [0, 3, 6, 10], minor9 = [0, 3, 7, 10, 14], dominant9 = [0, 4, 7, 10, 14]
    static let sus4 = [0, 5, 7], major6 = [0, 4, 7, 9]

    init(_ root: Int, _ tones: [Int]) {
        self.root = root
        self.tones = tones
    }
}

/// Chords in order, each held for a number of beats, repeated for the whole song.
struct Progression {
    let chords: [(chord: Chord, beats: Double)]
    let length: Double

    init(_ chords: [(Chord, Double)]) {
        self.chords = chords.map { (chord: $0.0, beats: $0.1) }
        length = chords.reduce(0) { $0 + $1.1 }
    }

    /// Every chord for `beatsEach` beats.
    init(_ chords: [Chord], beatsEach: Double) { self.init(chords.map { ($0, beatsEach) }) }

    func chord(at beat: Double) -> Chord {
        var b = beat.truncatingRemainder(dividingBy: length)
        for entry in chords {
            if b < entry.beats { return entry.chord }
            b -= entry.beats
        }
        return chords[chords.count - 1].chord
    }
}

/// Scales as semitone sets above the tonic, for melodies and bass runs.
enum Scale {
    static let major = [0, 2, 4, 5, 7, 9, 11], naturalMinor = [0, 2, 3, 5, 7, 8, 10]
    static let harmonicMinor = [0, 2, 3, 5, 7, 8, 11], dorian = [0, 2, 3, 5, 7, 9, 10]
    static let phrygian = [0, 1, 3, 5, 7, 8, 10], mixolydian = [0, 2, 4, 5, 7, 9, 10]
    static let majorPentatonic = [0, 2, 4, 7, 9], minorPentatonic = [0, 3, 5, 7, 10]
    static let blues = [0, 3, 5, 6, 7, 10]

    /// The MIDI notes of `scale` on `tonic` (a pitch class) inside `range`.
    static func notes(_ scale: [Int], tonic: Int, in range: ClosedRange<Int>) -> [Int] {
        range.filter { scale.contains((($0 - tonic) % 12 + 12) % 12) }
    }
}

/// The harmony of one song: its key, scale and chord loop, drawn from what the genre plays.
struct Harmony {
    /// Pitch class of the tonic, 0 = C.
    let tonic: Int
    let minor: Bool
    /// The scale melodies are drawn from.
    let scale: [Int]
    let progression: Progression

    static func draw(for genre: Genre, _ r: inout Random) -> Harmony {
        let tonic = Int(r.below(12))
        typealias C = Chord
        switch genre {
        case .blues:
            // The 12-bar blues, sometimes with the quick change to IV in bar 2, or in minor.
            let I = C(0, C.dominant7)
            let IV = C(5, C.dominant7)
            let V = C(7, C.dominant7)
            if r.chance(0.25) {
                let i = C(0, C.minor7)
                let iv = C(5, C.minor7)
                let VI = C(8, C.dominant7)
                return Harmony(
                    tonic: tonic, minor: true, scale: Scale.blues,
                    progression: Progression([i, i, i, i, iv, iv, i, i, VI, V, i, V], beatsEach: 4))
            }
            let second = r.chance(0.4) ? IV : I
            return Harmony(
                tonic: tonic, minor: false, scale: r.chance(0.5) ? Scale.blues : Scale.minorPentatonic,
                progression: Progression([I, second, I, I, IV, IV, I, I, V, IV, I, V], beatsEach: 4))
        case .classical:
            let minor = r.chance(0.4)
            let loops: [[Chord]] =
                minor
                ? [
                    [C(0, C.minor), C(5, C.minor), C(7, C.major), C(0, C.minor)],
                    [C(0, C.minor), C(8, C.major), C(2, C.halfDiminished), C(7, C.dominant7)],
                ]
                : [
                    [C(0, C.major), C(5, C.major), C(7, C.major), C(0, C.major)],
                    [C(0, C.major), C(9, C.minor), C(2, C.minor), C(7, C.dominant7)],
                    [
                        C(0, C.major), C(7, C.major), C(9, C.minor), C(4, C.minor), C(5, C.major), C(0, C.major),
                        C(5, C.major), C(7, C.major),
                    ],
                ]
            return Harmony(
                tonic: tonic, minor: minor, scale: minor ? Scale.harmonicMinor : Scale.major,
                progression: Progression(r.pick(loops), beatsEach: r.pick([2.0, 4.0, 4.0, 8.0])))
        case .country:
            let I = C(0, C.major)
            let IV = C(5, C.major)
            let V = C(7, C.major)
            let vi = C(9, C.minor)
            let loops = [[I, IV, V, I], [I, I, IV, IV, I, I, V, V], [I, V, vi, IV], [I, IV, I, V]]
            return Harmony(
                tonic: tonic, minor: false, scale: Scale.majorPentatonic,
                progression: Progression(r.pick(loops), beatsEach: r.pick([2.0, 4.0, 4.0])))
        case .disco:
            let loops = [
                [C(0, C.minor7), C(5, C.dominant7)], [C(0, C.minor7), C(5, C.minor7)],
                [C(0, C.minor7), C(10, C.major), C(8, C.major7), C(7, C.minor7)],
            ]
            return Harmony(
                tonic: tonic, minor: true, scale: Scale.dorian,
                progression: Progression(r.pick(loops), beatsEach: r.pick([4.0, 8.0])))
        case .hiphop:
            let loops = [
                [C(0, C.minor9), C(8, C.major7)], [C(0, C.minor7), C(5, C.minor7)],
                [C(2, C.minor9), C(7, C.dominant9)], [C(0, C.minor), C(8, C.major), C(3, C.major), C(10, C.major)],
            ]
            return Harmony(
                tonic: tonic, minor: true, scale: Scale.minorPentatonic,
                progression: Progression(r.pick(loops), beatsEach: r.pick([4.0, 8.0])))
        case .jazz:
            let loops: [[(Chord, Double)]] = [
                [(C(2, C.minor7), 4), (C(7, C.dominant9), 4), (C(0, C.major7), 8)],
                [(C(0, C.major7), 4), (C(9, C.dominant7), 4), (C(2, C.minor7), 4), (C(7, C.dominant7), 4)],
                [
                    (C(4, C.minor7), 2), (C(9, C.dominant7), 2), (C(2, C.minor7), 2), (C(7, C.dominant7), 2),
                    (C(0, C.major6), 8),
                ],
                [(C(2, C.halfDiminished), 4), (C(7, C.dominant7), 4), (C(0, C.minor7), 8)],
            ]
            return Harmony(
                tonic: tonic, minor: false, scale: Scale.dorian, progression: Progression(r.pick(loops)))
        case .metal:
            let loops = [
                [C(0, C.power), C(8, C.power), C(10, C.power), C(0, C.power)],
                [C(0, C.power), C(1, C.power), C(0, C.power), C(10, C.power)],
                [C(0, C.power), C(0, C.power), C(10, C.power), C(8, C.power)],
                [C(0, C.power), C(3, C.power), C(5, C.power), C(6, C.power)],
            ]
            return Harmony(
                tonic: tonic, minor: true, scale: r.pick([Scale.naturalMinor, Scale.phrygian, Scale.harmonicMinor]),
                progression: Progression(r.pick(loops), beatsEach: r.pick([2.0, 4.0])))
        case .pop:
            let I = C(0, C.major)
            let V = C(7, C.major)
            let vi = C(9, C.minor)
            let IV = C(5, C.major)
            let loops = [[vi, IV, I, V], [I, V, vi, IV], [I, vi, IV, V], [IV, I, V, vi]]
            return Harmony(
                tonic: tonic, minor: false, scale: r.chance(0.6) ? Scale.majorPentatonic : Scale.major,
                progression: Progression(r.pick(loops), beatsEach: 4))
        case .reggae:
            let minor = r.chance(0.35)
            let loops: [[Chord]] =
                minor
                ? [[C(0, C.minor), C(5, C.minor)], [C(0, C.minor7), C(10, C.major)]]
                : [[C(0, C.major), C(5, C.major)], [C(0, C.major), C(7, C.major)], [C(2, C.minor), C(7, C.major)]]
            return Harmony(
                tonic: tonic, minor: minor, scale: minor ? Scale.minorPentatonic : Scale.majorPentatonic,
                progression: Progression(r.pick(loops), beatsEach: r.pick([4.0, 8.0])))
        case .rock:
            let I = C(0, C.power)
            let bVII = C(10, C.power)
            let IV = C(5, C.power)
            let V = C(7, C.power)
            let vi = C(9, C.power)
            let loops = [[I, bVII, IV, I], [I, IV, V, IV], [I, V, vi, IV], [I, I, IV, V]]
            return Harmony(
                tonic: tonic, minor: false, scale: r.chance(0.5) ? Scale.minorPentatonic : Scale.mixolydian,
                progression: Progression(r.pick(loops), beatsEach: r.pick([2.0, 4.0, 4.0])))
        }
    }
}
