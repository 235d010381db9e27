import Foundation

/// The environmental sounds the generator makes, under their ESC-50 names and target indices,
/// each a spectro-temporal pattern of its own: steady broadband hiss (rain, wind, vacuum),
/// slow swells (waves), random clicks (fire, footsteps, knocks, ticks), tonal sweeps (birds,
/// siren), harmonic drones (engine) and decaying partials (bells).
public enum NoiseCategory: Int, CaseIterable, Sendable {
    case dog = 0
    case rain = 10
    case seaWaves = 11
    case cracklingFire = 12
    case crickets = 13
    case chirpingBirds = 14
    case waterDrops = 15
    case wind = 16
    case clapping = 22
    case footsteps = 25
    case doorWoodKnock = 30
    case vacuumCleaner = 36
    case clockTick = 38
    case siren = 42
    case engine = 44
    case churchBells = 46

    /// The ESC-50 target (class index 0-49).
    public var target: Int { rawValue }

    /// The ESC-50 category name, e.g. "sea_waves".
    public var name: String {
        switch self {
        case .dog: "dog"
        case .rain: "rain"
        case .seaWaves: "sea_waves"
        case .cracklingFire: "crackling_fire"
        case .crickets: "crickets"
        case .chirpingBirds: "chirping_birds"
        case .waterDrops: "water_drops"
        case .wind: "wind"
        case .clapping: "clapping"
        case .footsteps: "footsteps"
        case .doorWoodKnock: "door_wood_knock"
        case .vacuumCleaner: "vacuum_cleaner"
        case .clockTick: "clock_tick"
        case .siren: "siren"
        case .engine: "engine"
        case .churchBells: "church_bells"
        }
    }

    /// Whether ESC-50 puts the category in its ESC-10 subset.
    public var esc10: Bool { [0, 1, 10, 11, 12, 20, 21, 38, 40, 41].contains(rawValue) }
}

/// Procedural environmental sounds: 5 s mono clips at 44.1 kHz, as ESC-50's are.
enum NoiseClip {
    static let seconds = 5.0
    static let rate = 44_100

    static func make(_ category: NoiseCategory, _ r: inout Random) -> [Float] {
        let sr = Double(rate)
        let n = Int(seconds * sr)
        var out = [Float](repeating: 0, count: n)
        /// Adds `sound` at each of `count` random times (a Poisson-like scatter).
        func scatter(_ count: Int, _ sound: (inout Random) -> [Float]) {
            for _ in 0..<count {
                let at = Int(r.below(UInt64(n)))
                let s = sound(&r)
                for i in 0..<min(s.count, n - at) { out[at + i] += s[i] }
            }
        }
        /// Adds `sound` every `period` seconds from `phase`, with a little jitter.
        func periodic(_ period: Double, jitter: Double, _ sound: (inout Random) -> [Float]) {
            var t = r.uniform(0, period)
            while t < seconds {
                let at = Int(t * sr)
                let s = sound(&r)
                for i in 0..<min(s.count, n - at) { out[at + i] += s[i] }
                t += period * (1 + jitter * r.normal())
            }
        }
        /// A burst of noise through a band-pass, decaying with time constant `decay`.
        func burst(_ centre: Double, q: Double, decay: Double, gain: Float, _ r: inout Random) -> [Float] {
            var band = Biquad.bandpass(centre, q: q, rate: sr)
            return (0..<Int(decay * 6 * sr)).map { i in
                gain * band.process(r.bipolar()) * Float(exp(-Double(i) / sr / decay))
            }
        }
        /// A sine gliding from f0 to f1 over `length` seconds under a sine-shaped envelope.
        func chirp(_ f0: Double, _ f1: Double, length: Double, gain: Float) -> [Float] {
            var phase = 0.0
            let m = Int(length * sr)
            return (0..<m).map { i in
                let u = Double(i) / Double(m)
                phase += (f0 + (f1 - f0) * u) / sr
                return gain * Float(sin(2 * Double.pi * phase) * sin(Double.pi * u))
            }
        }
        /// Noise shaped by a low-pass whose cutoff and level follow slow random walks.
        func drifting(cutoff: ClosedRange<Double>, swell: Double, period: Double) {
            var lowpass = Biquad.lowpass(cutoff.lowerBound, rate: sr)
            let phase = r.uniform(0, 1)
            var drift = r.uniform(0, 1)
            for i in 0..<n {
                let t = Double(i) / sr
                if i % 256 == 0 {
                    drift = min(1, max(0, drift + 0.02 * r.normal()))
                    lowpass.retune(
                        Biquad.lowpass(cutoff.lowerBound + (cutoff.upperBound - cutoff.lowerBound) * drift, rate: sr))
                }
                let s = sin(Double.pi * (t / period + phase))
                let level = 1 - swell + swell * s * s
                out[i] += Float(level) * lowpass.process(r.bipolar())
            }
        }

        switch category {
        case .rain:
            drifting(cutoff: 3_000...6_000, swell: 0.1, period: 5)
            scatter(Int(r.uniform(400, 1_200))) { r in
                burst(r.uniform(2_000, 7_000), q: 2, decay: 0.004, gain: r.float(0.3, 1.5), &r)
            }
        case .wind:
            drifting(cutoff: 200...1_400, swell: 0.8, period: r.uniform(1.5, 4))
        case .seaWaves:
            drifting(cutoff: 500...2_500, swell: 0.95, period: r.uniform(3, 6))
        case .cracklingFire:
            drifting(cutoff: 150...400, swell: 0.3, period: 2)
            scatter(Int(r.uniform(60, 250))) { r in
                burst(r.uniform(1_500, 6_000), q: 1, decay: 0.002, gain: r.float(1, 8), &r)
            }
        case .crickets:
            let f = r.uniform(3_800, 5_200)
            periodic(r.uniform(0.3, 0.7), jitter: 0.05) { r in
                // A chirp is a train of three or four 20 ms pulses.
                (0..<Int(0.25 * sr)).map { i in
                    let t = Double(i) / sr
                    let pulse = t.truncatingRemainder(dividingBy: 0.06) < 0.02 ? 1.0 : 0
                    return Float(0.6 * pulse * sin(2 * Double.pi * f * t))
                }
            }
        case .chirpingBirds:
            scatter(Int(r.uniform(15, 40))) { r in
                let f = r.uniform(2_500, 6_000)
                return chirp(f, f * r.uniform(0.6, 1.6), length: r.uniform(0.04, 0.15), gain: r.float(0.3, 0.9))
            }
        case .waterDrops:
            scatter(Int(r.uniform(8, 30))) { r in
                let f = r.uniform(800, 2_500)
                return chirp(f, f * 1.8, length: 0.03, gain: r.float(0.4, 1))
            }
        case .dog:
            // Barks: a buzzy voiced sound through a mouth resonance, in groups.
            let pitch = r.uniform(350, 700)
            periodic(r.uniform(0.5, 1.2), jitter: 0.3) { r in
                var saw = SawOscillator()
                var mouth = Biquad.bandpass(pitch * 2.5, q: 2, rate: sr)
                let m = Int(r.uniform(0.12, 0.25) * sr)
                return (0..<m).map { i in
                    let u = Double(i) / Double(m)
                    let f = pitch * (1 + 0.3 * sin(Double.pi * u))
                    let env = Float(min(1, u * 20) * exp(-3 * u))
                    return env * 2 * mouth.process(saw.next(f / sr) + 0.4 * r.bipolar())
                }
            }
        case .clapping:
            scatter(Int(r.uniform(80, 300))) { r in
                burst(r.uniform(900, 2_000), q: 1.5, decay: 0.01, gain: r.float(0.5, 1.5), &r)
            }
        case .footsteps:
            periodic(r.uniform(0.45, 0.7), jitter: 0.05) { r in
                burst(r.uniform(120, 300), q: 0.8, decay: 0.03, gain: 3, &r)
                    + burst(3_000, q: 0.7, decay: 0.02, gain: 0.4, &r)
            }
        case .doorWoodKnock:
            let body = r.uniform(180, 400)
            periodic(r.uniform(1.2, 2), jitter: 0.1) { r in
                // Two to four knocks a fifth of a second apart.
                let knocks = Int(r.int(in: 2...4))
                var s = [Float](repeating: 0, count: Int(Double(knocks) * 0.2 * sr) + Int(0.2 * sr))
                for k in 0..<knocks {
                    let knock = burst(body, q: 12, decay: 0.03, gain: 6, &r)
                    for i in 0..<knock.count { s[Int(Double(k) * 0.2 * sr) + i] += knock[i] }
                }
                return s
            }
        case .clockTick:
            let f = r.uniform(2_500, 4_500)
            var tock = false
            periodic(r.pick([0.5, 1.0]), jitter: 0.002) { r in
                tock.toggle()
                return burst(tock ? f : f * 0.8, q: 8, decay: 0.004, gain: 6, &r)
            }
        case .siren:
            let low = r.uniform(500, 800)
            let high = low * r.uniform(1.6, 2.2)
            let cycle = r.uniform(1, 3)
            var phase = 0.0
            for i in 0..<n {
                let t = Double(i) / sr
                phase += (low + (high - low) * (0.5 - 0.5 * cos(2 * Double.pi * t / cycle))) / sr
                let s = sin(2 * Double.pi * phase)
                out[i] += Float(0.5 * s + 0.2 * sin(4 * Double.pi * phase) + 0.1 * sin(6 * Double.pi * phase))
            }
        case .engine:
            // Firing pulses of a combustion engine: harmonics of a low, wandering rate.
            let base = r.uniform(25, 60)
            var saw = SawOscillator()
            var lowpass = Biquad.lowpass(r.uniform(500, 1_200), rate: sr)
            for i in 0..<n {
                let t = Double(i) / sr
                let f = base * (1 + 0.05 * sin(2 * Double.pi * 0.3 * t))
                out[i] += lowpass.process(saw.next(f / sr) + 0.3 * r.bipolar())
            }
        case .vacuumCleaner:
            drifting(cutoff: 4_000...8_000, swell: 0.05, period: 5)
            let whine = r.uniform(300, 900)
            for i in 0..<n { out[i] += Float(0.15 * sin(2 * Double.pi * whine * Double(i) / sr)) }
        case .churchBells:
            let f = r.uniform(200, 500)
            periodic(r.uniform(1, 2), jitter: 0.02) { _ in
                (0..<Int(3 * sr)).map { i in
                    let t = Double(i) / sr
                    var y = 0.0
                    for (ratio, a) in [
                        (0.5, 0.6), (1.0, 1.0), (1.19, 0.5), (1.5, 0.4), (2.0, 0.5), (2.52, 0.3), (3.0, 0.2),
                    ] {
                        y += a * sin(2 * Double.pi * f * ratio * t) * exp(-t * ratio / 1.2)
                    }
                    return Float(0.3 * y)
                }
            }
        }
        let peak = out.reduce(0) { max($0, abs($1)) }
        let gain = peak > 0 ? r.float(0.3, 0.9) / peak : 0
        return out.map { $0 * gain }
    }
}
