/// How decoded audio is kept in memory: 4 bytes a sample, or 2 with float16 (11 significant
/// bits, a rounding error 66 dB below each sample: under the noise the mashups add).
public enum SamplePrecision: String, Sendable, CaseIterable {
    case float32, float16

    public var bytes: Int { self == .float32 ? 4 : 2 }
}

/// A mono signal stored at a `SamplePrecision`, read back as Float.
public struct StoredSamples: Sendable {
    private enum Storage: Sendable {
        case single([Float])
        case half([Float16])
    }

    private let storage: Storage

    public init(_ samples: [Float], precision: SamplePrecision) {
        switch precision {
        case .float32: storage = .single(samples)
        case .float16: storage = .half(samples.map { Float16($0) })
        }
    }

    public var count: Int {
        switch storage {
        case .single(let x): x.count
        case .half(let x): x.count
        }
    }

    /// Adds gain * x[(start + i) mod count] to out[i] for i < length: a stem laid into a mix,
    /// looping when the stem is shorter than the mix.
    func accumulate(into out: UnsafeMutablePointer<Float>, length: Int, from start: Int, gain: Float) {
        func run<T>(_ x: UnsafeBufferPointer<T>, _ value: (T) -> Float) {
            let n = x.count
            guard n > 0 else { return }
            var i = 0
            var j = start % n
            while i < length {
                let span = min(length - i, n - j)
                for k in 0..<span { out[i + k] += gain * value(x[j + k]) }
                i += span
                j = 0
            }
        }
        switch storage {
        case .single(let x): x.withUnsafeBufferPointer { run($0) { $0 } }
        case .half(let x): x.withUnsafeBufferPointer { run($0) { Float($0) } }
        }
    }

    /// Samples `range` (wrapping around the end) as Float.
    func floats(from start: Int, count length: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: length) { buffer, initialized in
            buffer.initialize(repeating: 0)
            accumulate(into: buffer.baseAddress!, length: length, from: start, gain: 1)
            initialized = length
        }
    }

    public var floats: [Float] { floats(from: 0, count: count) }
}
