import CFFTW3f
import Synchronization

/// A floating-point type FFTW transforms: Float through libfftw3f, Double through libfftw3.
/// Plans are `OpaquePointer`s in both; a complex value is two scalars (re, im).
protocol FFTWScalar: BinaryFloatingPoint, Sendable {
    static func plan(size: Int, input: UnsafeMutablePointer<Self>, output: UnsafeMutablePointer<Self>) -> OpaquePointer
    static func execute(_ plan: OpaquePointer, input: UnsafeMutablePointer<Self>, output: UnsafeMutablePointer<Self>)
    static func destroy(_ plan: OpaquePointer)
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Self>
    static func free(_ pointer: UnsafeMutablePointer<Self>)
}

// ESTIMATE, not MEASURE: the plan, and so the rounding, is then the same on every run.
extension Float: FFTWScalar {
    static func plan(size: Int, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) -> OpaquePointer {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: size / 2 + 1) {
            fftwf_plan_dft_r2c_1d(Int32(size), input, $0, UInt32(FFTW_ESTIMATE))
        }
    }
    static func execute(_ plan: OpaquePointer, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: 1) { fftwf_execute_dft_r2c(plan, input, $0) }
    }
    static func destroy(_ plan: OpaquePointer) { fftwf_destroy_plan(plan) }
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> { fftwf_alloc_real(count)! }
    static func free(_ pointer: UnsafeMutablePointer<Float>) { fftwf_free(pointer) }
}

extension Double: FFTWScalar {
    static func plan(size: Int, input: UnsafeMutablePointer<Double>, output: UnsafeMutablePointer<Double>) -> OpaquePointer {
        output.withMemoryRebound(to: fftw_complex.self, capacity: size / 2 + 1) {
            fftw_plan_dft_r2c_1d(Int32(size), input, $0, UInt32(FFTW_ESTIMATE))
        }
    }
    static func execute(_ plan: OpaquePointer, input: UnsafeMutablePointer<Double>, output: UnsafeMutablePointer<Double>) {
        output.withMemoryRebound(to: fftw_complex.self, capacity: 1) { fftw_execute_dft_r2c(plan, input, $0) }
    }
    static func destroy(_ plan: OpaquePointer) { fftw_destroy_plan(plan) }
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Double> { fftw_alloc_real(count)! }
    static func free(_ pointer: UnsafeMutablePointer<Double>) { fftw_free(pointer) }
}

/// The planner's cache: one plan per (scalar type, size) for the life of the process.
private let fftPlans = Mutex<[String: AnyObject]>([:])

/// A real-to-complex FFT of one size, planned once per process.
///
/// FFTW's planner is not thread-safe but executing a plan is, so plans are made under one lock
/// and cached; `transform` runs from any thread on its caller's buffers through the new-array
/// execute function. Safe to share: the plan is immutable after creation, and plans stay in
/// the cache for the life of the process, so deinit never races the planner.
final class RealFFT<T: FFTWScalar>: @unchecked Sendable {
    let size: Int
    var bins: Int { size / 2 + 1 }
    private let plan: OpaquePointer

    /// The shared plan for `size` points, made on first use.
    static func plan(size: Int) -> RealFFT {
        fftPlans.withLock { cache in
            let key = "\(T.self)/\(size)"
            if let fft = cache[key] as? RealFFT { return fft }
            let fft = RealFFT(size: size)
            cache[key] = fft
            return fft
        }
    }

    /// Called with the planner lock held.
    private init(size: Int) {
        self.size = size
        let scratch = Buffers(size: size)
        plan = T.plan(size: size, input: scratch.input, output: scratch.output)
    }

    deinit { T.destroy(plan) }

    /// output[k] = sum_n input[n] exp(-2 pi i k n / size), k = 0 ..< size/2 + 1.
    @inline(__always)
    func transform(_ buffers: Buffers) {
        T.execute(plan, input: buffers.input, output: buffers.output)
    }

    /// One thread's input frame and half spectrum, in FFTW-aligned memory freed in deinit.
    final class Buffers {
        let input: UnsafeMutablePointer<T>  // [size]
        let output: UnsafeMutablePointer<T>  // [size / 2 + 1] complex, as (re, im) pairs

        init(size: Int) {
            input = T.allocate(size)
            output = T.allocate(2 * (size / 2 + 1))
            input.initialize(repeating: 0, count: size)
            output.initialize(repeating: 0, count: 2 * (size / 2 + 1))
        }

        deinit {
            T.free(input)
            T.free(output)
        }
    }
}
