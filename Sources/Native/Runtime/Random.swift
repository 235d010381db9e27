import Foundation

/// The engine's random generator: xoshiro256** (Blackman & Vigna), seeded through splitmix64.
///
/// A value type, so a generator's whole state is four words that a checkpoint can store.
/// `stream(_:)` derives an independent generator from this one's seed and an index, which lets
/// worker threads draw per-example numbers that do not depend on the thread count.
public struct Random: Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mixer = seed
        state = (
            Random.splitmix(&mixer), Random.splitmix(&mixer),
            Random.splitmix(&mixer), Random.splitmix(&mixer)
        )
    }

    /// Restores a generator from `state`, as saved by a checkpoint.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        self.state = state
    }

    public static func == (a: Random, b: Random) -> Bool { a.state == b.state }

    private static func splitmix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Random.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Random.rotl(state.3, 45)
        return result
    }

    /// A generator for sub-stream `index`, independent of this one and of other indices.
    public func stream(_ index: UInt64) -> Random {
        var mixer = state.0 ^ Random.rotl(state.2, 17) ^ (index &* 0xD1B5_4A32_D192_ED03)
        return Random(seed: Random.splitmix(&mixer))
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// Uniform integer in 0..<n without modulo bias (Lemire's method).
    public mutating func below(_ n: UInt64) -> UInt64 {
        precondition(n > 0, "below(0) has no values")
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold { m = next().multipliedFullWidth(by: n) }
        }
        return m.high
    }

    /// Uniform integer in the closed range.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(below(UInt64(range.upperBound - range.lowerBound) + 1))
    }

    /// Standard normal by the Box-Muller transform (one value per call, so the sequence does
    /// not depend on how calls interleave with other draws).
    public mutating func normal() -> Double {
        let u1 = 1.0 - uniform()  // in (0, 1], so log is finite
        let u2 = uniform()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// Fisher-Yates shuffle.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = Int(below(UInt64(i + 1)))
            array.swapAt(i, j)
        }
    }
}
