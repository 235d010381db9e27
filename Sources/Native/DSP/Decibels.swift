import CKernels

/// The reference level that maps to 0 dB.
public enum DecibelReference: Sendable, Equatable {
    /// The spectrogram's own maximum (librosa's ref=np.max).
    case max
    case value(Float)
}

/// librosa.power_to_db's parameters; the defaults are librosa's (ref=1.0, amin=1e-10, top_db=80).
public struct DecibelOptions: Sendable, Equatable {
    public var ref: DecibelReference = .value(1)
    public var amin: Float = 1e-10
    /// Floor at (max dB - topDB); nil: no floor.
    public var topDB: Float? = 80

    public init(ref: DecibelReference = .value(1), amin: Float = 1e-10, topDB: Float? = 80) {
        self.ref = ref
        self.amin = amin
        self.topDB = topDB
    }

    public func validate() throws {
        guard amin.isFinite, amin > 0 else { throw DSPError("amin", "expected a value > 0, got \(amin)") }
        if let topDB {
            guard topDB.isFinite, topDB >= 0 else { throw DSPError("top_db", "expected >= 0 dB, got \(topDB)") }
        }
        if case .value(let r) = ref {
            guard r.isFinite, r > 0 else { throw DSPError("ref", "expected a reference power > 0, got \(r)") }
        }
    }
}

extension Spectrogram {
    /// librosa.power_to_db: S_db = 10 log10(max(amin, S)) - 10 log10(max(amin, ref)), then
    /// floored at max(S_db) - top_db.
    public func powerToDB(_ options: DecibelOptions = DecibelOptions()) throws -> Spectrogram {
        try options.validate()
        // The smallest value must be >= 0, and sum(0 * x) is 0 unless some x is NaN or infinite.
        let (lo, poison) = values.withUnsafeBufferPointer { x in
            (minimum(x), reduceInLanes(x, identity: 0) { $0 + 0 * $1 }.sum())
        }
        guard values.isEmpty || (lo >= 0 && poison == 0) else {
            let bad = values.firstIndex { !($0 >= 0 && $0 <= .greatestFiniteMagnitude) } ?? 0
            throw DSPError("spectrogram", "expected finite powers >= 0, found \(values[bad]) at index \(bad)")
        }
        return powerToDBUnchecked(options)
    }

    /// `powerToDB` for a spectrogram this library computed (finite and non-negative).
    func powerToDBUnchecked(_ options: DecibelOptions) -> Spectrogram {
        var out = self
        out.applyDecibels(options, minMax: false)
        return out
    }

    /// In place, `powerToDBUnchecked` and then, with `minMax`, `minMaxScaled`: the end of the
    /// mel step in two passes over the values (CKernels' mm_power_to_db), without copies.
    mutating func applyDecibels(_ options: DecibelOptions, minMax: Bool) {
        let ref: Float
        switch options.ref {
        case .max: ref = -1
        case .value(let r): ref = r
        }
        let count = values.count
        values.withUnsafeMutableBufferPointer { x in
            guard let base = x.baseAddress else { return }
            mm_power_to_db(base, count, ref, options.amin, options.topDB ?? -1, minMax ? 1 : 0)
        }
    }

    /// (S - min S) / (max S - min S), in [0, 1]; all zeros when S is constant.
    public func minMaxScaled() -> Spectrogram {
        var out = values
        out.withUnsafeMutableBufferPointer { x in
            let lo = minimum(UnsafeBufferPointer(x))
            let hi = maximum(UnsafeBufferPointer(x))
            guard hi > lo else {
                x.update(repeating: 0)
                return
            }
            // As mm_power_to_db scales: times the reciprocal (within an ulp of the quotient).
            let inverse = 1 / (hi - lo)
            updateInLanes(x, fill: 0) {
                (($0 - lo) * inverse).clamped(lowerBound: SIMD8(repeating: 0), upperBound: SIMD8(repeating: 1))
            }
        }
        return Spectrogram(values: out, bins: bins, frames: frames)
    }
}

/// The largest value; -inf for none.
private func maximum(_ x: UnsafeBufferPointer<Float>) -> Float {
    reduceInLanes(x, identity: -.infinity) { $0.replacing(with: $1, where: $1 .> $0) }.max()
}

/// The smallest value; +inf for none.
private func minimum(_ x: UnsafeBufferPointer<Float>) -> Float {
    reduceInLanes(x, identity: .infinity) { $0.replacing(with: $1, where: $1 .< $0) }.min()
}
