import Foundation

/// The RBJ-cookbook `Biquad` (Domain/Filters.swift) gains the peaking response, its
/// designed magnitude response and a whole-buffer filter, for the augmentations.
extension Biquad {
    /// Peaking EQ, A = 10^(gain/40): b = (1+αA, -2cos w0, 1-αA), a = (1+α/A, -2cos w0, 1-α/A).
    static func peaking(_ f: Double, q: Double, gain: Double, rate: Double) -> Biquad {
        let w = 2 * Double.pi * min(max(f, 1), 0.49 * rate) / rate
        let (c, alpha, a) = (cos(w), sin(w) / (2 * q), pow(10, gain / 40))
        let a0 = 1 + alpha / a
        var filter = Biquad.bandpass(f, q: q, rate: rate)
        (filter.b0, filter.b1, filter.b2) = (
            Float((1 + alpha * a) / a0), Float(-2 * c / a0), Float((1 - alpha * a) / a0)
        )
        (filter.a1, filter.a2) = (Float(-2 * c / a0), Float((1 - alpha / a) / a0))
        return filter
    }

    /// RBJ shelves of slope 1, A = 10^(gain/40), α = sin w0 / √2: `low` boosts or cuts below
    /// f, otherwise above it, by `gain` dB, passing the other side at 0 dB.
    static func shelf(low: Bool, _ f: Double, gain: Double, rate: Double) -> Biquad {
        let w = 2 * Double.pi * min(max(f, 1), 0.49 * rate) / rate
        let (c, a) = (cos(w), pow(10, gain / 40))
        let beta = 2 * a.squareRoot() * sin(w) / 2.squareRoot()
        let s: Double = low ? 1 : -1  // the high shelf is the low shelf with cos w negated in places
        let a0 = (a + 1) + s * (a - 1) * c + beta
        var filter = Biquad.bandpass(f, q: 1, rate: rate)
        (filter.b0, filter.b1, filter.b2) = (
            Float(a * ((a + 1) - s * (a - 1) * c + beta) / a0), Float(s * 2 * a * ((a - 1) - s * (a + 1) * c) / a0),
            Float(a * ((a + 1) - s * (a - 1) * c - beta) / a0)
        )
        (filter.a1, filter.a2) = (
            Float(-s * 2 * ((a - 1) + s * (a + 1) * c) / a0), Float(((a + 1) + s * (a - 1) * c - beta) / a0)
        )
        return filter
    }

    /// |H(e^{iw})| in dB at `frequency`, from the coefficients as stored.
    func response(at frequency: Double, rate: Double) -> Double {
        let w = 2 * Double.pi * frequency / rate
        func magnitude(_ c0: Float, _ c1: Float, _ c2: Float) -> Double {
            let (c0, c1, c2) = (Double(c0), Double(c1), Double(c2))
            let re = c0 + c1 * cos(w) + c2 * cos(2 * w)
            let im = -(c1 * sin(w) + c2 * sin(2 * w))
            return (re * re + im * im).squareRoot()
        }
        return 20 * log10(magnitude(b0, b1, b2) / magnitude(1, a1, a2))
    }

    /// The filter run over `x` from rest.
    func filter(_ x: [Float]) -> [Float] {
        var state = self
        state.z1 = 0
        state.z2 = 0
        return withDenormalsFlushed { x.map { state.process($0) } }
    }
}

/// A low-, high-, band-pass, peaking or shelving biquad whose corner or centre frequency is
/// drawn log-uniformly from `frequency` (and, for peaking and shelves, its gain uniformly from
/// `gain` dB).
public struct BiquadFilter: Augmentation {
    public enum Kind: String, Sendable, CaseIterable {
        case lowpass, highpass, bandpass, peaking, lowshelf, highshelf
    }

    public var kind: Kind
    public var frequency: ClosedRange<Double>
    public var q: Double
    public var gain: ClosedRange<Double>

    public init(
        _ kind: Kind, frequency: ClosedRange<Double>, q: Double = 0.5.squareRoot(), gain: ClosedRange<Double> = 0...0
    ) throws {
        try checkRange("frequency", frequency, within: 1...1e6)
        try checkRange("q", q...q, within: 1e-3...1e3)
        try checkRange("gain", gain, within: -60...60)
        (self.kind, self.frequency, self.q, self.gain) = (kind, frequency, q, gain)
    }

    /// The filter for one draw of frequency and gain at `rate` (the frequency kept below 0.49 rate).
    func design(frequency f: Double, gain g: Double, rate: Int) -> Biquad {
        let r = Double(rate)
        switch kind {
        case .lowpass: return .lowpass(f, q: q, rate: r)
        case .highpass: return .highpass(f, q: q, rate: r)
        case .bandpass: return .bandpass(f, q: q, rate: r)
        case .peaking: return .peaking(f, q: q, gain: g, rate: r)
        case .lowshelf: return .shelf(low: true, f, gain: g, rate: r)
        case .highshelf: return .shelf(low: false, f, gain: g, rate: r)
        }
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let f = exp(random.uniform(log(frequency.lowerBound), log(frequency.upperBound)))
        let g = random.uniform(gain.lowerBound, gain.upperBound)
        return audio.mapChannels(design(frequency: f, gain: g, rate: audio.rate).filter)
    }
}

/// A random equaliser, as a mastering or a recording chain colours a sound: a low shelf at
/// 60-400 Hz, a peaking band at 200 Hz-5 kHz (Q 0.5-2) and a high shelf at 2-8 kHz, each with
/// a gain drawn uniformly from `gain` dB. Stems recorded and produced elsewhere differ most
/// in exactly this; a network trained on one collection's balance keys on it.
public struct Equalizer: Augmentation {
    public var gain: ClosedRange<Double>

    public init(gain: ClosedRange<Double> = -6...6) throws {
        try checkRange("gain", gain, within: -30...30)
        self.gain = gain
    }

    /// The three sections of one draw at `rate`.
    func sections(random r: inout Random, rate: Int) -> [Biquad] {
        let rate = Double(rate)
        func logUniform(_ a: Double, _ b: Double) -> Double { exp(r.uniform(log(a), log(b))) }
        func g() -> Double { r.uniform(gain.lowerBound, gain.upperBound) }
        let low = Biquad.shelf(low: true, logUniform(60, 400), gain: g(), rate: rate)
        let mid = Biquad.peaking(logUniform(200, 5_000), q: logUniform(0.5, 2), gain: g(), rate: rate)
        let high = Biquad.shelf(low: false, logUniform(2_000, 8_000), gain: g(), rate: rate)
        return [low, mid, high]
    }

    /// Filters `x` in place through one draw's sections, all three per sample in one pass (each
    /// section's recursion is serial; interleaving the three lets them overlap: 2x faster than
    /// three passes, with the same numbers).
    func filter(_ x: inout [Float], random: inout Random, rate: Int) {
        let drawn = sections(random: &random, rate: rate)
        var (a, b, c) = (drawn[0], drawn[1], drawn[2])
        withDenormalsFlushed {
            for i in x.indices { x[i] = c.process(b.process(a.process(x[i]))) }
        }
    }

    public func apply(_ audio: Audio, random: inout Random, worker: Int) throws -> Audio {
        let sections = sections(random: &random, rate: audio.rate)
        return audio.mapChannels { channel in sections.reduce(channel) { $1.filter($0) } }
    }
}
