import Foundation

/// One cycle of a sine, sampled at 4096 points plus a guard point, read with linear
/// interpolation. Every tonal voice of the synthesiser reads it, because a table read costs a
/// fraction of libm's `sin` and its error (under 3e-7) is far below 16-bit quantisation.
enum SineTable {
    static let size = 4096
    static let values: [Float] = (0...size).map { Float(sin(2 * Double.pi * Double($0) / Double(size))) }

    /// sin(2π·phase) from `table` (the `values` array's storage), phase in cycles, any sign.
    @inline(__always)
    static func sine(_ table: UnsafeBufferPointer<Float>, _ phase: Double) -> Float {
        let cycles = phase - phase.rounded(.down)
        let x = cycles * Double(size)
        let i = Int(x)
        let f = Float(x - Double(i))
        return table[i] + f * (table[i + 1] - table[i])
    }
}

/// A band-limited sawtooth in [-1, 1]: the naive ramp minus a polynomial band-limited step
/// (polyBLEP) at each wrap, which removes most of the aliasing a raw ramp folds back.
struct SawOscillator {
    var phase: Double = 0

    /// The next sample for a frequency of `increment` cycles per sample (f / rate).
    @inline(__always)
    mutating func next(_ increment: Double) -> Float {
        let t = phase
        var y = 2 * t - 1
        if t < increment {
            let x = t / increment
            y -= x + x - x * x - 1
        } else if t > 1 - increment {
            let x = (t - 1) / increment
            y -= x * x + x + x + 1
        }
        phase += increment
        if phase >= 1 { phase -= 1 }
        return Float(y)
    }
}

extension Random {
    /// White noise, uniform in [-1, 1), from the top 24 bits of one draw.
    @inline(__always)
    mutating func bipolar() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 40) - (1 << 23)) * 0x1.0p-23
    }

    /// A value uniform in [low, high) as Float, for synthesis parameters.
    mutating func float(_ low: Double, _ high: Double) -> Float { Float(uniform(low, high)) }

    /// true with probability p.
    mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// One element of a non-empty array, uniformly.
    mutating func pick<T>(_ items: [T]) -> T { items[Int(below(UInt64(items.count)))] }

    /// An index drawn with probability proportional to `weights`.
    mutating func weighted(_ weights: [Double]) -> Int {
        var u = uniform() * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            if u < w { return i }
            u -= w
        }
        return weights.count - 1
    }
}

/// Frequency in Hz of a MIDI note number (69 = A4 = 440 Hz), fractional notes allowed.
@inline(__always)
func frequency(ofMidi note: Double) -> Double { 440 * pow(2, (note - 69) / 12) }
