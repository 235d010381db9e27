import Foundation

/// The pieces of a drum kit the patterns play.
enum DrumVoice: Int, CaseIterable {
    case kick, snare, rim, clap, closedHat, openHat, pedalHat, ride, crash, brushSwish, brushTap, highTom, lowTom
}

/// One song's drum kit: every voice synthesised once as a one-shot (three takes each, so
/// repeated hits are not identical), then placed by the pattern. The kit's tuning, decays and
/// brightness are drawn per song within what the genre uses: a long tuned 808 kick for
/// hip-hop, a clicky tight kick for metal, dull soft drums for jazz.
struct DrumKit {
    private let sounds: [[[Float]]]  // [voice][take][sample]

    static let takes = 3

    init(genre: Genre, rate: Int, _ r: inout Random) {
        let sr = Double(rate)
        var voices: [[[Float]]] = []
        // Per-song character: how hard the kit is tuned and struck.
        let kickPitch = r.uniform(0.8, 1.25)
        let kickDecay: Double
        let kickDrive: Float
        let kickClick: Float
        switch genre {
        case .hiphop: (kickDecay, kickDrive, kickClick) = (r.uniform(0.35, 0.8), r.float(1.2, 2.5), 0.2)
        case .metal: (kickDecay, kickDrive, kickClick) = (r.uniform(0.08, 0.14), r.float(1.5, 3), 0.9)
        case .jazz: (kickDecay, kickDrive, kickClick) = (r.uniform(0.15, 0.25), 1.05, 0.15)
        case .disco, .pop: (kickDecay, kickDrive, kickClick) = (r.uniform(0.18, 0.32), r.float(1.2, 2), 0.4)
        default: (kickDecay, kickDrive, kickClick) = (r.uniform(0.14, 0.28), r.float(1.05, 1.8), 0.4)
        }
        let snareTone = r.uniform(160, 250)
        let snareNoise = r.uniform(2500, 6000)
        let snareDecay = genre == .metal ? r.uniform(0.1, 0.16) : r.uniform(0.12, 0.26)
        let hatScale = r.uniform(0.85, 1.2)
        let hatDecay = r.uniform(0.025, 0.06)
        let rideBell = r.uniform(420, 700)
        let tomPitch = r.uniform(0.85, 1.2)
        for voice in DrumVoice.allCases {
            var takes: [[Float]] = []
            for _ in 0..<DrumKit.takes {
                let v = r.uniform(0.94, 1.06)  // small per-take variation of pitch and decay
                var noise = r.stream(r.next())
                let sound: [Float]
                switch voice {
                case .kick:
                    sound = DrumKit.kick(
                        start: 150 * kickPitch * v, end: 48 * kickPitch, sweep: 0.035, decay: kickDecay * v,
                        click: kickClick, drive: kickDrive, rate: sr, &noise)
                case .snare:
                    sound = DrumKit.snare(
                        tone: snareTone * v, noiseCentre: snareNoise, decay: snareDecay * v, rate: sr, &noise)
                case .rim:
                    sound = DrumKit.tonal(
                        [(450 * v, 0.6), (1_350 * v, 0.3)], decay: 0.03, noise: 0.5, noiseDecay: 0.006, rate: sr, &noise
                    )
                case .clap:
                    sound = DrumKit.clap(centre: 1_100 * v, rate: sr, &noise)
                case .closedHat:
                    sound = DrumKit.metal(
                        scale: hatScale, highpass: 7_000, decay: hatDecay * v, duration: 0.15, rate: sr, &noise)
                case .pedalHat:
                    sound = DrumKit.metal(
                        scale: hatScale, highpass: 6_000, decay: 0.02 * v, duration: 0.08, rate: sr, &noise
                    ).map { $0 * 0.6 }
                case .openHat:
                    sound = DrumKit.metal(
                        scale: hatScale, highpass: 6_500, decay: 0.3 * v, duration: 0.8, rate: sr, &noise)
                case .ride:
                    let bell = DrumKit.tonal(
                        [(rideBell, 0.35), (rideBell * 2.41, 0.3), (rideBell * 3.73, 0.2), (rideBell * 5.27, 0.15)],
                        decay: 0.27 * v, noise: 0, noiseDecay: 0, rate: sr, &noise)
                    let wash = DrumKit.metal(
                        scale: hatScale * 0.8, highpass: 4_500, decay: 0.6 * v, duration: 1.6, rate: sr, &noise)
                    sound = (0..<wash.count).map { i in 0.5 * wash[i] + (i < bell.count ? 0.5 * bell[i] : 0) }
                case .crash:
                    sound = DrumKit.metal(
                        scale: hatScale * 0.7, highpass: 3_000, decay: 1.1 * v, duration: 2.5, rate: sr, &noise)
                case .brushSwish:
                    sound = DrumKit.swish(centre: 2_800 * v, attack: 0.05, decay: 0.14, rate: sr, &noise)
                case .brushTap:
                    sound = DrumKit.swish(centre: 2_200 * v, attack: 0.002, decay: 0.045, rate: sr, &noise)
                case .highTom:
                    sound = DrumKit.kick(
                        start: 260 * tomPitch, end: 180 * tomPitch, sweep: 0.05, decay: 0.22, click: 0.3, drive: 1.2,
                        rate: sr, &noise)
                case .lowTom:
                    sound = DrumKit.kick(
                        start: 170 * tomPitch, end: 110 * tomPitch, sweep: 0.05, decay: 0.28, click: 0.3, drive: 1.2,
                        rate: sr, &noise)
                }
                takes.append(sound)
            }
            voices.append(takes)
        }
        sounds = voices
    }

    func sound(_ voice: DrumVoice, take: Int) -> [Float] { sounds[voice.rawValue][take % DrumKit.takes] }

    /// A sine whose pitch falls exponentially from `start` to `end` Hz (time constant `sweep`),
    /// decaying with time constant `decay`, plus a noise click, through a soft clipper: a kick
    /// drum or, tuned higher, a tom.
    private static func kick(
        start: Double, end: Double, sweep: Double, decay: Double, click: Float, drive: Float,
        rate: Double, _ r: inout Random
    ) -> [Float] {
        let n = Int(decay * 5 * rate)
        var phase = 0.0
        var out = [Float](repeating: 0, count: n)
        var clickFilter = OnePole(3_000, rate: rate)
        // exp(-t / τ) for the three time constants, advanced by one multiply per sample.
        var (fall, ring, tick) = (1.0, 1.0, Float(1))
        let (fallStep, ringStep, tickStep) = (
            exp(-1 / (sweep * rate)), exp(-1 / (decay * rate)), Float(exp(-1 / (0.004 * rate)))
        )
        SineTable.values.withUnsafeBufferPointer { table in
            for i in 0..<n {
                phase += (end + (start - end) * fall) / rate
                let body = SineTable.sine(table, phase) * Float(ring)
                out[i] = saturate(body + click * clickFilter.lowpass(r.bipolar()) * tick, drive: drive)
                fall *= fallStep
                ring *= ringStep
                tick *= tickStep
            }
        }
        return out
    }

    /// A tuned drum head (a pitched "thump") under band-passed noise from the snare wires.
    private static func snare(tone: Double, noiseCentre: Double, decay: Double, rate: Double, _ r: inout Random)
        -> [Float]
    {
        let head = tonal([(tone, 0.5), (tone * 1.59, 0.25)], decay: 0.06, noise: 0, noiseDecay: 0, rate: rate, &r)
        let n = Int(decay * 5 * rate)
        var wires = Biquad.bandpass(noiseCentre, q: 0.6, rate: rate)
        var out = [Float](repeating: 0, count: n)
        var level: Float = 1
        let step = Float(exp(-1 / (decay * rate)))
        for i in 0..<n {
            out[i] = 0.9 * wires.process(r.bipolar()) * level + (i < head.count ? head[i] : 0)
            level *= step
        }
        return out
    }

    /// A sum of decaying sines (frequency, amplitude) with an optional noise attack.
    private static func tonal(
        _ partials: [(Double, Float)], decay: Double, noise: Float, noiseDecay: Double, rate: Double, _ r: inout Random
    ) -> [Float] {
        let n = Int(decay * 6 * rate)
        var out = [Float](repeating: 0, count: n)
        var (level, burst) = (Float(1), Float(1))
        let step = Float(exp(-1 / (decay * rate)))
        let burstStep = noise > 0 ? Float(exp(-1 / (noiseDecay * rate))) : 0
        SineTable.values.withUnsafeBufferPointer { table in
            for i in 0..<n {
                let t = Double(i) / rate
                var y: Float = 0
                for (f, a) in partials { y += a * SineTable.sine(table, f * t) }
                y *= level
                if noise > 0 { y += noise * r.bipolar() * burst }
                out[i] = y
                level *= step
                burst *= burstStep
            }
        }
        return out
    }

    /// Six square waves at the inharmonic ratios of the TR-808's cymbal circuit, plus noise,
    /// high-passed twice: the clang of a hi-hat, ride wash or crash.
    private static func metal(
        scale: Double, highpass: Double, decay: Double, duration: Double, rate: Double, _ r: inout Random
    ) -> [Float] {
        let ratios = [205.3, 304.4, 369.6, 522.7, 540.0, 800.0].map { $0 * scale * 1.8 }
        var phases = [Double](repeating: 0, count: ratios.count)
        let n = Int(duration * rate)
        var hp1 = Biquad.highpass(highpass, rate: rate)
        var hp2 = Biquad.highpass(highpass, rate: rate)
        var out = [Float](repeating: 0, count: n)
        var level: Float = 1
        let step = Float(exp(-1 / (decay * rate)))
        for i in 0..<n {
            var y: Float = 0
            for k in 0..<ratios.count {
                phases[k] += ratios[k] / rate
                if phases[k] >= 1 { phases[k] -= 1 }
                y += phases[k] < 0.5 ? 1 : -1
            }
            let x = 0.12 * y + 0.8 * r.bipolar()
            out[i] = hp2.process(hp1.process(x)) * level
            level *= step
        }
        return out
    }

    /// Three quick noise bursts then a short tail, band-passed: hands clapping together.
    private static func clap(centre: Double, rate: Double, _ r: inout Random) -> [Float] {
        let n = Int(0.35 * rate)
        var band = Biquad.bandpass(centre, q: 1.2, rate: rate)
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let t = Double(i) / rate
            let burst = t < 0.03 ? exp(-(t.truncatingRemainder(dividingBy: 0.01)) / 0.003) : 0
            let tail = t >= 0.02 ? exp(-(t - 0.02) / 0.09) : 0
            out[i] = 2.2 * band.process(r.bipolar()) * Float(burst + tail)
        }
        return out
    }

    /// Noise with a slow attack, band-passed: a wire brush drawn across the snare head.
    private static func swish(centre: Double, attack: Double, decay: Double, rate: Double, _ r: inout Random) -> [Float]
    {
        let n = Int((attack + 5 * decay) * rate)
        var band = Biquad.bandpass(centre, q: 0.5, rate: rate)
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let t = Double(i) / rate
            let env = t < attack ? t / attack : exp(-(t - attack) / decay)
            out[i] = 0.8 * band.process(r.bipolar()) * Float(env)
        }
        return out
    }
}
