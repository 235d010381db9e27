import Foundation

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
        if let topDB { guard topDB.isFinite, topDB >= 0 else { throw DSPError("top_db", "expected >= 0 dB, got \(topDB)") } }
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
        if let bad = values.firstIndex(where: { !($0 >= 0) || $0.isInfinite }) {
            throw DSPError("spectrogram", "expected finite powers >= 0, found \(values[bad]) at index \(bad)")
        }
        return powerToDBUnchecked(options)
    }

    /// `powerToDB` for a spectrogram this library computed (finite and non-negative).
    func powerToDBUnchecked(_ options: DecibelOptions) -> Spectrogram {
        let reference: Float
        switch options.ref {
        case .max: reference = values.max() ?? 0
        case .value(let r): reference = r
        }
        let offset = 10 * log10f(Swift.max(options.amin, reference))
        var out = values
        var peak = -Float.infinity
        for i in out.indices {
            out[i] = 10 * log10f(Swift.max(options.amin, out[i])) - offset
            peak = Swift.max(peak, out[i])
        }
        if let topDB = options.topDB {
            let floor = peak - topDB
            for i in out.indices { out[i] = Swift.max(out[i], floor) }
        }
        return Spectrogram(values: out, bins: bins, frames: frames)
    }

    /// (S - min S) / (max S - min S), in [0, 1]; all zeros when S is constant.
    public func minMaxScaled() -> Spectrogram {
        guard let lo = values.min(), let hi = values.max(), hi > lo else {
            return Spectrogram(zeros: bins, frames: frames)
        }
        let range = hi - lo
        return Spectrogram(values: values.map { ($0 - lo) / range }, bins: bins, frames: frames)
    }
}
