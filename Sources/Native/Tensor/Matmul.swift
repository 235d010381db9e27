import COpenBLAS

/// C = alpha * op(A) * op(B) + beta * C, row-major, through OpenBLAS cblas_sgemm.
/// op(A) is (M, K), op(B) is (K, N), C is (M, N); lda/ldb/ldc are the row strides as stored.
@inline(__always)
func sgemm(
    transA: Bool, transB: Bool, _ M: Int, _ N: Int, _ K: Int,
    alpha: Float = 1, _ A: UnsafePointer<Float>, lda: Int, _ B: UnsafePointer<Float>, ldb: Int,
    beta: Float, _ C: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(M), Int32(N), Int32(K), alpha, A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
}

/// Who runs the cores during a kernel: OpenBLAS's pool, or our workers each calling a
/// single-threaded BLAS. Never both, or 2 cores run 4 threads.
enum BLASThreads {
    /// Runs `body` with OpenBLAS limited to one thread, then gives it `Engine.threads` back.
    static func single<T>(_ body: () throws -> T) rethrows -> T {
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(Engine.threads)) }
        return try body()
    }
}

extension Tensor {
    /// Matrix product of a (M, K) and a (K, N) tensor.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank == 2, other.rank == 2, shape[1] == other.shape[0] else {
            throw NNError("matmul: shapes \(shape) and \(other.shape) do not chain (need (M,K) x (K,N))")
        }
        let (m, k, n) = (shape[0], shape[1], other.shape[1])
        let out = Tensor(shape: [m, n])
        if m > 0, n > 0, k > 0 {
            sgemm(transA: false, transB: false, m, n, k, data, lda: k, other.data, ldb: n, beta: 0, out.data, ldc: n)
        }
        return out
    }
}
