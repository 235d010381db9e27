import CKernels
import Synchronization

/// Power spectra of 8 or 16 frames at once (one per vector lane: 16 with AVX-512) through
/// CKernels' lane-parallel real FFT, for the power-of-two sizes the mel step uses.
///
/// Why not FFTW here: Debian's libfftw3f has SSE2 and AVX codelets but no AVX2/FMA ones, and
/// one 2048-point r2c per frame leaves the vector units half idle. Putting one frame in each
/// vector lane makes every twiddle a scalar and every butterfly a full-width operation; on
/// this project's machine (AMD EPYC, one thread) 1,292 frames of 2,048 points take 1.1 ms
/// with the windowing (BENCHMARKS.md, `window_fft_only_30s`) against 3.4 ms for FFTW_ESTIMATE
/// and 2.2 ms for FFTW_PATIENT. FFTW stays the transform for every other size and for double
/// precision. The kernel picks AVX2+FMA or the baseline ISA once per process by CPUID, so
/// results are identical on any number of threads; they differ from FFTW's by rounding only
/// (parity with librosa is tested on both paths). On CPUs with full-width AVX-512 the kernels
/// run 16 lanes (two 8 x 8 transposes per 16 frames): on Zen 5 the mel step takes 0.69-0.73 ms
/// with 16 lanes against 1.05-1.09 with 8 (`MASHUP_KERNELS=avx2`), on a Xeon 1.95 against
/// 2.11 ms. Zen 4, which splits 512-bit operations in two, stays on 8 lanes: there an earlier
/// 16-lane variant (full 16 x 16 transposes) took 1.61 ms against 1.35.
final class LaneFFT: @unchecked Sendable {
    /// Frames per kernel call on the CPU's best code path (16 with AVX-512, else 8), as of now:
    /// a `Scratch` keeps the count it was made with.
    static var lanes: Int { Int(mm_kernels_lanes()) }
    let size: Int
    private let plan: OpaquePointer

    /// The shared plan for `size` points, or nil when the kernel does not handle that size
    /// (not a power of two, or below 16).
    static func plan(size: Int) -> LaneFFT? {
        guard size >= 16, size <= 1 << 20, size & (size - 1) == 0 else { return nil }
        return lanePlans.withLock { cache in
            if let fft = cache[size] { return fft }
            guard let plan = mm_rfft_lanes_create(Int32(size)) else { return nil }
            let fft = LaneFFT(size: size, plan: plan)
            cache[size] = fft
            return fft
        }
    }

    private init(size: Int, plan: OpaquePointer) {
        self.size = size
        self.plan = plan
    }

    deinit { mm_rfft_lanes_destroy(plan) }

    /// "avx512", "avx2+fma" or "generic": the code path the kernels run on this machine.
    static var isa: String { String(cString: mm_kernels_isa()) }

    /// scratch.power[k * lanes + l] = |DFT(frames[l] * window)[k]|^2 for k < bins and
    /// l < scratch.lanes; a nil frame is zeros.
    func power(frames: UnsafePointer<UnsafePointer<Float>?>, window: UnsafePointer<Float>, bins: Int, scratch: Scratch)
    {
        mm_rfft_lanes_power(plan, Int32(scratch.lanes), frames, window, Int32(bins), scratch.power, scratch.work)
    }

    /// One thread's memory for `LaneFFT` of one size, laid out for `lanes` frames: the
    /// kernel's work area, the power block [bins, lanes] it writes, and a zero-padded copy per
    /// lane for frames that overhang the signal.
    final class Scratch {
        let lanes: Int
        let work: UnsafeMutablePointer<Float>
        let power: UnsafeMutablePointer<Float>
        let edges: UnsafeMutablePointer<Float>  // [lanes, size]
        let frames: UnsafeMutablePointer<UnsafePointer<Float>?>  // [lanes]

        /// The kernel writes the work area and the power block before reading them, and
        /// `forEachBlock` fills an edge frame before using it: no zeroing here.
        init(size: Int, lanes: Int = LaneFFT.lanes) {
            self.lanes = lanes
            let workCount = 2 * size * lanes  // mm_rfft_lanes_scratch_floats
            work = UnsafeMutableRawPointer.allocate(byteCount: workCount * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: workCount)
            power = .allocate(capacity: (size / 2 + 1) * lanes)
            edges = .allocate(capacity: size * lanes)
            frames = .allocate(capacity: lanes)
            frames.initialize(repeating: nil, count: lanes)
        }

        deinit {
            UnsafeMutableRawPointer(work).deallocate()
            power.deallocate()
            edges.deallocate()
            frames.deallocate()
        }
    }
}

/// The lane kernel's plans, one per size for the life of the process.
private let lanePlans = Mutex<[Int: LaneFFT]>([:])
