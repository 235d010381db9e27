import Foundation

/// The instruments of the `other` stem.
enum Instrument {
    case distortedGuitar, mutedGuitar, cleanGuitar, organ, piano, electricPiano, brass, strings, pad
}

/// A song's settings of an instrument: how bright, how driven, how long notes ring.
struct Timbre {
    var brightness: Double
    var drive: Float
    var ring: Double

    static func draw(_ r: inout Random) -> Timbre {
        Timbre(brightness: r.uniform(0.6, 1.5), drive: r.float(0.7, 1.4), ring: r.uniform(0.7, 1.4))
    }
}

extension Instrument {
    /// One chord (or a single note) held `seconds`, strummed `strum` seconds between strings.
    func render(
        _ pitches: [Double], seconds: Double, velocity: Float, timbre: Timbre, strum: Double, rate: Int,
        _ r: inout Random
    ) -> [Float] {
        let sr = Double(rate)
        var out: [Float] = []
        for (k, pitch) in pitches.enumerated() {
            let offset = Int(Double(k) * strum * sr)
            let note = voice(
                frequency(ofMidi: pitch), seconds: max(0.02, seconds - Double(k) * strum), timbre: timbre, rate: sr, &r)
            if out.count < offset + note.count { out += [Float](repeating: 0, count: offset + note.count - out.count) }
            for i in 0..<note.count { out[offset + i] += note[i] / Float(pitches.count).squareRoot() }
        }
        switch self {
        case .distortedGuitar, .mutedGuitar:
            // The strings drive the amplifier together (their intermodulation is the sound of a
            // power chord), then a closed cabinet cuts everything above a few kHz.
            let drive = 10 * timbre.drive
            let cabinet = self == .mutedGuitar ? 1_400 : 3_200 * timbre.brightness
            var lp1 = Biquad.lowpass(cabinet, q: 0.8, rate: sr)
            var lp2 = Biquad.lowpass(cabinet * 1.3, q: 0.6, rate: sr)
            var hp = Biquad.highpass(90, rate: sr)
            for i in 0..<out.count {
                out[i] = lp2.process(lp1.process(hp.process(saturate(out[i], drive: drive)))) * 0.6
            }
        default:
            break
        }
        let v = velocity
        return out.map { $0 * v }
    }

    /// One tone of the instrument at `f` Hz.
    private func voice(_ f: Double, seconds: Double, timbre: Timbre, rate sr: Double, _ r: inout Random) -> [Float] {
        switch self {
        case .distortedGuitar:
            return Instrument.pluck(f, seconds: seconds, decay: 2.5, brightness: 6, release: 0.05, rate: sr, &r)
        case .mutedGuitar:
            return Instrument.pluck(f, seconds: seconds, decay: 0.15, brightness: 3, release: 0.02, rate: sr, &r)
        case .cleanGuitar:
            return Instrument.pluck(
                f, seconds: seconds, decay: 1.2 * timbre.ring, brightness: 5 * timbre.brightness, release: 0.06,
                rate: sr, &r)
        case .organ:
            // Drawbars at 16', 8', 4', 2 2/3' and 2' with a 6 Hz tremolo.
            let b = Float(timbre.brightness)
            let drawbars: [(Double, Float)] = [(0.5, 0.5), (1, 1), (2, 0.6 * b), (3, 0.4), (4, 0.25 * b)]
            return Instrument.additive(
                f, seconds: seconds, partials: drawbars,
                envelope: Envelope(attack: 0.008, decay: 1, sustain: 1, release: 0.04), stretch: 0, tremolo: 0.15,
                rate: sr)
        case .piano:
            // Struck-string partials, slightly sharp with order (stiffness), upper ones dying first.
            let partials = (1...8).map { n in (Double(n), Float(pow(Double(n), -1.3 / timbre.brightness))) }
            return Instrument.additive(
                f, seconds: seconds, partials: partials,
                envelope: Envelope(attack: 0.003, decay: 0.8 * timbre.ring, sustain: 0.15, release: 0.12),
                stretch: 0.0004, tremolo: 0, rate: sr)
        case .electricPiano: return Instrument.fm(f, seconds: seconds, index: 1.8 * timbre.brightness, rate: sr)
        case .brass:
            return Instrument.subtractive(
                f, seconds: seconds, voices: 1, cutoff: 2.5 * timbre.brightness, sweep: 4,
                envelope: Envelope(attack: 0.04, decay: 0.3, sustain: 0.8, release: 0.08), vibrato: 0.006, rate: sr)
        case .strings:
            return Instrument.subtractive(
                f, seconds: seconds, voices: 3, cutoff: 3.5 * timbre.brightness, sweep: 0,
                envelope: Envelope(attack: 0.22, decay: 1, sustain: 0.9, release: 0.35), vibrato: 0.004, rate: sr)
        case .pad:
            return Instrument.subtractive(
                f, seconds: seconds, voices: 2, cutoff: 2 * timbre.brightness, sweep: 0.5,
                envelope: Envelope(attack: 0.35, decay: 1, sustain: 0.85, release: 0.5), vibrato: 0, rate: sr)
        }
    }

    /// Karplus-Strong: a noise burst one period long circulates through a delay line whose
    /// two-point average loses a little treble each pass: a plucked string.
    ///   y[n] = x[n] + g (y[n-D] + y[n-D-1]) / 2,   g^(f·decay) = 10^-3 (60 dB in `decay` s)
    /// D is fractional (linear interpolation); once released the string is damped by hand.
    private static func pluck(
        _ f: Double, seconds: Double, decay: Double, brightness: Double, release: Double, rate sr: Double,
        _ r: inout Random
    ) -> [Float] {
        let period = sr / f - 0.5  // the average adds half a sample of delay
        let d = Int(period)
        let frac = Float(period - Double(d))
        let n = Int((seconds + 7 * release) * sr)
        guard d >= 2, n > d + 2 else { return [] }
        let held = Float(pow(0.001, 1 / (decay * f)))
        let damped = Float(pow(0.001, 1 / (release * f)))
        var pick = OnePole(min(brightness * f, 0.45 * sr), rate: sr)
        var y = [Float](repeating: 0, count: n)
        let releaseAt = Int(seconds * sr)
        for i in 0..<n {
            let x: Float = i < d ? pick.lowpass(r.bipolar()) : 0
            var fed: Float = 0
            if i > d + 1 {
                let a = (1 - frac) * y[i - d] + frac * y[i - d - 1]
                let b = (1 - frac) * y[i - d - 1] + frac * (i > d + 1 ? y[i - d - 2] : 0)
                fed = (i < releaseAt ? held : damped) * 0.5 * (a + b)
            }
            y[i] = x + fed
        }
        return y
    }

    /// A sum of sine partials (ratio to f, amplitude) under an envelope, the k-th partial
    /// stretched by (1 + stretch k^2) and decaying k times faster when the envelope decays.
    private static func additive(
        _ f: Double, seconds: Double, partials: [(Double, Float)], envelope: Envelope, stretch: Double, tremolo: Float,
        rate sr: Double
    ) -> [Float] {
        let n = Int(envelope.length(held: seconds) * sr)
        var out = [Float](repeating: 0, count: n)
        let usable = partials.filter { f * $0.0 < 0.45 * sr }
        let increments = usable.map { f * $0.0 * (1 + stretch * $0.0 * $0.0) / sr }
        let fades = usable.map { Float(exp(-($0.0 - 1) * 1.5 / sr)) }  // extra per-sample decay of upper partials
        let level = envelope.curve(held: seconds, count: n, rate: sr)
        SineTable.values.withUnsafeBufferPointer { table in
            var gains = usable.map { $0.1 }
            for i in 0..<n {
                let t = Double(i) / sr
                var y: Float = 0
                for k in 0..<usable.count {
                    y += gains[k] * SineTable.sine(table, increments[k] * Double(i))
                    if stretch > 0 { gains[k] *= fades[k] }
                }
                let wobble = 1 - tremolo * (0.5 + 0.5 * SineTable.sine(table, 6 * t))
                out[i] = 0.5 * y * wobble * level[i]
            }
        }
        return out
    }

    /// Two-operator FM, a sine modulating a sine at the same frequency with a decaying index:
    /// the bell-like attack of an electric piano's tine settling into a round tone.
    private static func fm(_ f: Double, seconds: Double, index: Double, rate sr: Double) -> [Float] {
        let envelope = Envelope(attack: 0.002, decay: 1.2, sustain: 0.1, release: 0.15)
        let n = Int(envelope.length(held: seconds) * sr)
        var out = [Float](repeating: 0, count: n)
        let level = envelope.curve(held: seconds, count: n, rate: sr)
        let settle = exp(-1 / (0.25 * sr))
        var bite = 1.0  // exp(-t / 0.25)
        SineTable.values.withUnsafeBufferPointer { table in
            for i in 0..<n {
                let phase = f * Double(i) / sr
                let modulator = Double(SineTable.sine(table, phase)) * index * (0.25 + 0.75 * bite)
                bite *= settle
                out[i] = 0.6 * SineTable.sine(table, phase + modulator / (2 * Double.pi)) * level[i]
            }
        }
        return out
    }

    /// Detuned band-limited saws through a low-pass whose cutoff (a multiple of f) opens by
    /// `sweep` times at the attack: strings, brass and pads.
    private static func subtractive(
        _ f: Double, seconds: Double, voices: Int, cutoff: Double, sweep: Double, envelope: Envelope, vibrato: Double,
        rate sr: Double
    ) -> [Float] {
        let n = Int(envelope.length(held: seconds) * sr)
        var out = [Float](repeating: 0, count: n)
        var saws = (0..<voices).map { SawOscillator(phase: Double($0) * 0.31) }
        let detune = (0..<voices).map { 1 + 0.0045 * (Double($0) - Double(voices - 1) / 2) }
        var lowpass = Biquad.lowpass(f * cutoff, q: 0.8, rate: sr)
        let level = envelope.curve(held: seconds, count: n, rate: sr)
        SineTable.values.withUnsafeBufferPointer { table in
            for i in 0..<n {
                let t = Double(i) / sr
                if i % 64 == 0 && sweep > 0 {
                    let open = 1 + sweep * exp(-t / 0.15)
                    lowpass.retune(Biquad.lowpass(f * cutoff * open, q: 0.8, rate: sr))
                }
                let wobble = 1 + vibrato * Double(SineTable.sine(table, 5.5 * t)) * min(1, t / 0.4)
                var y: Float = 0
                for k in 0..<voices { y += saws[k].next(f * detune[k] * wobble / sr) }
                out[i] = lowpass.process(y / Float(voices)) * level[i]
            }
        }
        return out
    }
}
