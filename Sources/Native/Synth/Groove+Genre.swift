// How players of each genre keep time: the grooves the synthesiser draws songs from.

extension Groove {
    /// Tempo and feel as players of the genre keep them. Ranges overlap on purpose (rock,
    /// country and pop share 100-130 BPM; blues and jazz both swing) so tempo alone never tells
    /// the genre; jazz is a ballad (brushes, 58-92 BPM) two times in five.
    static func draw(for genre: Genre, _ r: inout Random) -> Groove {
        switch genre {
        case .blues:
            Groove(bpm: r.uniform(62, 128), swing: r.uniform(0.2, 0.33), swingsSixteenths: false, looseness: 0.006)
        case .classical:
            Groove(bpm: r.uniform(56, 132), swing: 0, swingsSixteenths: false, looseness: 0.012)
        case .country:
            Groove(bpm: r.uniform(84, 152), swing: r.uniform(0, 0.14), swingsSixteenths: false, looseness: 0.005)
        case .disco:
            Groove(bpm: r.uniform(110, 130), swing: r.uniform(0, 0.06), swingsSixteenths: true, looseness: 0.001)
        case .hiphop:
            Groove(bpm: r.uniform(78, 100), swing: r.uniform(0.04, 0.22), swingsSixteenths: true, looseness: 0.002)
        case .jazz:
            r.chance(0.4)
                ? Groove(bpm: r.uniform(58, 92), swing: r.uniform(0.2, 0.3), swingsSixteenths: false, looseness: 0.009)
                : Groove(
                    bpm: r.uniform(112, 220), swing: r.uniform(0.26, 0.33), swingsSixteenths: false, looseness: 0.007)
        case .metal:
            Groove(bpm: r.uniform(136, 200), swing: 0, swingsSixteenths: false, looseness: 0.003)
        case .pop:
            Groove(bpm: r.uniform(90, 128), swing: r.uniform(0, 0.1), swingsSixteenths: true, looseness: 0.002)
        case .reggae:
            Groove(bpm: r.uniform(64, 96), swing: r.uniform(0.08, 0.25), swingsSixteenths: false, looseness: 0.004)
        case .rock:
            Groove(bpm: r.uniform(96, 156), swing: r.uniform(0, 0.05), swingsSixteenths: false, looseness: 0.005)
        }
    }

    /// A jazz ballad: brushes on the snare instead of sticks on the ride.
    var isBallad: Bool { bpm < 95 }
}
