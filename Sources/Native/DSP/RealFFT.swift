import CFFTW3f
import Synchronization

/// A real-to-complex FFT of one size, planned once per process with FFTW (single precision).
///
/// FFTW's planner is not thread-safe but executing a plan is, so plans are made under one lock
/// and cached by size; `transform` runs from any thread on its caller's buffers through the
/// new-array execute function. Safe to share: the plan is immutable after creation and freed
/// only under the planner lock. Buffers must come from `RealFFT.Buffers` (FFTW's alignment).
final class RealFFT: @unchecked Sendable {
    let size: Int
    var bins: Int { size / 2 + 1 }
    private let plan: fftwf_plan

    private static let planner = Mutex<[Int: RealFFT]>([:])

    /// The shared plan for `size` points, made on first use.
    static func plan(size: Int) -> RealFFT {
        planner.withLock { cache in
            if let fft = cache[size] { return fft }
            let fft = RealFFT(size: size)
            cache[size] = fft
            return fft
        }
    }

    /// Called with the planner lock held.
    private init(size: Int) {
        self.size = size
        let scratch = Buffers(size: size)
        // ESTIMATE, not MEASURE: the plan, and so the rounding, is then the same on every run.
        plan = fftwf_plan_dft_r2c_1d(Int32(size), scratch.input, scratch.output, UInt32(FFTW_ESTIMATE))
    }

    // Plans stay in the cache for the life of the process, so this never races the planner.
    deinit { fftwf_destroy_plan(plan) }

    /// output[k] = sum_n input[n] exp(-2 pi i k n / size), k = 0 ..< size/2 + 1.
    @inline(__always)
    func transform(_ buffers: Buffers) {
        fftwf_execute_dft_r2c(plan, buffers.input, buffers.output)
    }

    /// One thread's input frame and half spectrum, in FFTW-aligned memory freed in deinit.
    final class Buffers {
        let input: UnsafeMutablePointer<Float>  // [size]
        let output: UnsafeMutablePointer<fftwf_complex>  // [size / 2 + 1]

        init(size: Int) {
            input = fftwf_alloc_real(size)!
            output = fftwf_alloc_complex(size / 2 + 1)!
            input.initialize(repeating: 0, count: size)
            output.initialize(repeating: (0, 0), count: size / 2 + 1)
        }

        deinit {
            fftwf_free(input)
            fftwf_free(output)
        }
    }
}
