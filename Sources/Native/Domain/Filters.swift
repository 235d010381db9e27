import Foundation

/// A second-order IIR section in transposed direct form II, with coefficients from Robert
/// Bristow-Johnson's "Audio EQ Cookbook":
///   y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2]   (a0 normalised to 1)
struct Biquad {
    var b0: Float, b1: Float, b2: Float, a1: Float, a2: Float
    var z1: Float = 0, z2: Float = 0

    private init(b0: Double, b1: Double, b2: Double, a0: Double, a1: Double, a2: Double) {
        self.b0 = Float(b0 / a0)
        self.b1 = Float(b1 / a0)
        self.b2 = Float(b2 / a0)
        self.a1 = Float(a1 / a0)
        self.a2 = Float(a2 / a0)
    }

    /// ω = 2π f / rate and α = sin ω / 2Q, shared by every response below; f is kept below Nyquist.
    private static func angle(_ f: Double, _ q: Double, _ rate: Double) -> (cos: Double, alpha: Double) {
        let w = 2 * Double.pi * min(max(f, 1), 0.49 * rate) / rate
        return (cos(w), sin(w) / (2 * q))
    }

    static func lowpass(_ f: Double, q: Double = 0.7071, rate: Double) -> Biquad {
        let (c, a) = angle(f, q, rate)
        return Biquad(b0: (1 - c) / 2, b1: 1 - c, b2: (1 - c) / 2, a0: 1 + a, a1: -2 * c, a2: 1 - a)
    }

    static func highpass(_ f: Double, q: Double = 0.7071, rate: Double) -> Biquad {
        let (c, a) = angle(f, q, rate)
        return Biquad(b0: (1 + c) / 2, b1: -(1 + c), b2: (1 + c) / 2, a0: 1 + a, a1: -2 * c, a2: 1 - a)
    }

    /// Band-pass with 0 dB gain at the centre frequency: a formant or a resonance.
    static func bandpass(_ f: Double, q: Double, rate: Double) -> Biquad {
        let (c, a) = angle(f, q, rate)
        return Biquad(b0: a, b1: 0, b2: -a, a0: 1 + a, a1: -2 * c, a2: 1 - a)
    }

    /// Moves the response to new coefficients and keeps the state, for filters swept in time.
    mutating func retune(_ other: Biquad) {
        b0 = other.b0
        b1 = other.b1
        b2 = other.b2
        a1 = other.a1
        a2 = other.a2
    }

    @inline(__always)
    mutating func process(_ x: Float) -> Float {
        let y = b0 * x + z1
        z1 = b1 * x - a1 * y + z2
        z2 = b2 * x - a2 * y
        return y
    }
}

/// y[n] = y[n-1] + a (x[n] - y[n-1]), a = 1 - exp(-2π f / rate): a 6 dB/octave low-pass;
/// x - y is the matching high-pass.
struct OnePole {
    var a: Float
    var y: Float = 0

    init(_ f: Double, rate: Double) { a = Float(1 - exp(-2 * Double.pi * f / rate)) }

    @inline(__always)
    mutating func lowpass(_ x: Float) -> Float {
        y += a * (x - y)
        return y
    }

    @inline(__always)
    mutating func highpass(_ x: Float) -> Float { x - lowpass(x) }
}

/// A soft clipper, s(drive·x) / s(drive), so a full-scale input stays at full scale, where s is
/// the (3, 2) Padé approximant of tanh, x (27 + x²) / (27 + 9x²), which reaches ±1 at |x| = 3
/// and is held there. Odd harmonics grow with the drive: an overdriven amplifier.
@inline(__always)
func saturate(_ x: Float, drive: Float) -> Float { softClip(drive * x) / softClip(drive) }

@inline(__always)
func softClip(_ x: Float) -> Float {
    if x >= 3 { return 1 }
    if x <= -3 { return -1 }
    let x2 = x * x
    return x * (27 + x2) / (27 + 9 * x2)
}
