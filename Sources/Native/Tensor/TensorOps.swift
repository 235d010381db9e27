import Foundation

// Element-wise arithmetic, reductions, argmax and softmax. Binary ops need equal shapes; a
// tensor op returns a new tensor, an `…InPlace` op writes into `self`.

extension Tensor {
    private func checkSameShape(_ other: Tensor, _ op: String) throws {
        guard shape == other.shape else {
            throw NNError("\(op): shapes \(shape) and \(other.shape) differ")
        }
    }

    private func zipMap(_ other: Tensor, _ op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        try checkSameShape(other, op)
        let out = Tensor(shape: shape)
        let a = data
        let b = other.data
        let o = out.data
        for i in 0..<count { o[i] = f(a[i], b[i]) }
        return out
    }

    public func map(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(shape: shape)
        let a = data
        let o = out.data
        for i in 0..<count { o[i] = f(a[i]) }
        return out
    }

    public func adding(_ other: Tensor) throws -> Tensor { try zipMap(other, "add") { $0 + $1 } }
    public func subtracting(_ other: Tensor) throws -> Tensor { try zipMap(other, "sub") { $0 - $1 } }
    public func multiplying(_ other: Tensor) throws -> Tensor { try zipMap(other, "mul") { $0 * $1 } }
    public func dividing(_ other: Tensor) throws -> Tensor { try zipMap(other, "div") { $0 / $1 } }
    public func scaled(_ s: Float) -> Tensor { map { $0 * s } }
    public func adding(_ s: Float) -> Tensor { map { $0 + s } }

    /// self += alpha * other.
    public func addInPlace(_ other: Tensor, alpha: Float = 1) throws {
        try checkSameShape(other, "add")
        let a = data
        let b = other.data
        forEachChunk(count) { range in
            for i in range { a[i] += alpha * b[i] }
        }
    }

    public func scaleInPlace(_ s: Float) {
        let a = data
        for i in 0..<count { a[i] *= s }
    }

    /// Sum of all elements, accumulated in double.
    public func sum() -> Double { sumOfFloats(data, count) }
    public func mean() -> Double { count == 0 ? .nan : sum() / Double(count) }
    public func max() -> Float { buffer.max() ?? -.infinity }
    public func min() -> Float { buffer.min() ?? .infinity }

    /// out[o, i] = argmax_k x[o, k, i] with `dim` the k axis (by default the last: one index per
    /// row), in row-major order of the other dimensions; the first wins on ties.
    public func argmax(dim: Int? = nil) -> [Int] {
        let dim = dim ?? rank - 1
        guard dim >= 0, dim < rank, shape[dim] > 0 else { return [] }
        let n = shape[dim]
        let outer = shape[..<dim].reduce(1, *)
        let inner = shape[(dim + 1)...].reduce(1, *)
        let x = data
        var positions = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                var best = 0
                for k in 1..<n where x[base + k * inner] > x[base + best * inner] { best = k }
                positions[o * inner + i] = best
            }
        }
        return positions
    }

    /// Softmax along the last dimension.
    public func softmax() -> Tensor {
        let out = copy()
        guard let cols = shape.last, cols > 0 else { return out }
        for r in 0..<(count / cols) { softmaxRow(out.data + r * cols, cols) }
        return out
    }
}

/// Runs `body(range)` over 0..<count in blocks of at least 64K elements on the engine's workers
/// (element-wise work: the split does not change any result).
func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(Engine.threads, count / 65536))
    Engine.parallelFor(chunks) { c in body((count * c / chunks)..<(count * (c + 1) / chunks)) }
}

/// In-place softmax of one row: exp(x - max) / sum, the max shift keeps exp finite.
func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = -Float.infinity
    for i in 0..<n { m = Swift.max(m, row[i]) }
    var s: Double = 0
    for i in 0..<n {
        row[i] = expf(row[i] - m)
        s += Double(row[i])
    }
    let inv = Float(1 / s)
    for i in 0..<n { row[i] *= inv }
}

/// Sum of n floats: 16 float lanes per block of 4096 (vectorised), blocks summed in double,
/// so rounding error stays near float epsilon even for millions of terms.
func sumOfFloats(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var total: Double = 0
    var i = 0
    while i < n {
        let end = Swift.min(n, i + 4096)
        var acc = SIMD16<Float>()
        while i + 16 <= end {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var tail: Float = 0
        while i < end {
            tail += x[i]
            i += 1
        }
        total += Double(acc.sum()) + Double(tail)
    }
    return total
}

/// Sum of x[i] * y[i], accumulated as in `sumOfFloats`.
func dotOfFloats(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
    var total: Double = 0
    var i = 0
    while i < n {
        let end = Swift.min(n, i + 4096)
        var acc = SIMD16<Float>()
        while i + 16 <= end {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            acc += a * b  // not addProduct: without FMA in the target it becomes a libm fmaf call per lane
            i += 16
        }
        var tail: Float = 0
        while i < end {
            tail += x[i] * y[i]
            i += 1
        }
        total += Double(acc.sum()) + Double(tail)
    }
    return total
}
