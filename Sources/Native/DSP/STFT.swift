import CFFTW3f
import CKernels
import Foundation
import Synchronization

/// The short-time Fourier transform as librosa 0.11's `stft` frames it: a periodic Hann window
/// of `nFFT` points (scipy.signal.get_window("hann", nFFT, fftbins=True)), and with `center`
/// the signal padded by nFFT/2 zeros on each side (pad_mode="constant"), so frame t covers
/// padded samples [t*hop, t*hop + nFFT) and there are 1 + (n + 2*(nFFT/2) - nFFT) / hop frames
/// (1 + n / hop for even nFFT). Computed with FFTW in the precision T: Float for the mel path,
/// Double where a feature needs the tiny powers between harmonics right (spectral flatness).
/// Which scratch a pooled one is: its precision and size.
private struct ScratchKey: Hashable {
    let precision: ObjectIdentifier
    let nFFT: Int
}

/// `STFT.withPooledScratch`'s scratch between calls; each is used by one call at a time.
private let scratchPool = Mutex<[ScratchKey: [any AnyObject & Sendable]]>([:])

struct STFT<T: FFTWScalar>: Sendable {
    let nFFT: Int
    let hop: Int
    let center: Bool
    let window: [T]  // [nFFT]
    let fft: RealFFT<T>
    /// The eight-frames-at-a-time kernel, for single precision at power-of-two sizes.
    let lanes: LaneFFT?
    var bins: Int { nFFT / 2 + 1 }
    /// 2^20 points: 47 s at 22050 Hz, far beyond any useful frame.
    static var largestFFT: Int { 1 << 20 }

    init(nFFT: Int, hop: Int, center: Bool = true) throws {
        guard nFFT >= 2, nFFT <= STFT.largestFFT else {
            throw DSPError("n_fft", "expected 2 ... \(STFT.largestFFT) points, got \(nFFT)")
        }
        guard hop >= 1 else { throw DSPError("hop", "expected at least 1 sample, got \(hop)") }
        guard hop <= nFFT else { throw DSPError("hop", "expected at most n_fft (\(nFFT)), got \(hop)") }
        self.nFFT = nFFT
        self.hop = hop
        self.center = center
        window = STFT.hann(nFFT)
        fft = RealFFT<T>.plan(size: nFFT)
        lanes = T.self == Float.self ? LaneFFT.plan(size: nFFT) : nil
    }

    /// w[n] = 0.5 - 0.5 cos(2 pi n / N), n = 0 ..< N: the periodic ("DFT-even") Hann window,
    /// evaluated in double as scipy does.
    static func hann(_ n: Int) -> [T] {
        (0..<n).map { T(0.5 - 0.5 * cos(2.0 * Double.pi * Double($0) / Double(n))) }
    }

    func frameCount(samples n: Int) -> Int {
        let padded = center ? n + 2 * (nFFT / 2) : n
        return padded < nFFT ? 0 : 1 + (padded - nFFT) / hop
    }

    /// Throws unless the signal gives at least one frame, and its samples are finite and small
    /// enough that no power |X[k]|^2 overflows (`checkPeak`).
    func checkSamples(_ y: [Float]) throws {
        try checkLength(y)
        try checkPeak(y.withUnsafeBufferPointer(peakMagnitude), of: y)
    }

    /// Throws unless the signal gives at least one frame.
    func checkLength(_ y: [Float]) throws {
        guard !y.isEmpty, frameCount(samples: y.count) > 0 else {
            throw DSPError(
                "samples", "expected at least \(center ? 1 : nFFT) samples for n_fft \(nFFT), got \(y.count)")
        }
    }

    /// Throws unless `peak`, max |y| (infinite where a sample is not finite: `peakMagnitude`),
    /// is finite and below sqrt(Float.greatestFiniteMagnitude) / nFFT (9e15 at 2048 points):
    /// |X[k]| <= nFFT * peak, and a louder signal gave an infinite power spectrum and an all-zero
    /// log-mel without a word.
    func checkPeak(_ peak: Float, of y: [Float]) throws {
        guard peak.isFinite else {
            let bad = y.firstIndex { !$0.isFinite }!
            throw DSPError(
                "samples", "sample \(bad + 1) is \(y[bad].isNaN ? "NaN" : "\(y[bad])"); expected finite samples")
        }
        let limit = Float.greatestFiniteMagnitude.squareRoot() / Float(nFFT)
        guard peak < limit else {
            throw DSPError(
                "samples",
                "the peak amplitude \(peak) overflows the power spectrum for n_fft \(nFFT) (expected peaks "
                    + "below \(limit); audio is normally within [-1, 1]: scale it down first)")
        }
    }

    /// Runs `body` with scratch for `nFFT` points from a process-wide pool, made when the pool
    /// has none and put back after (the pool keeps up to 8 per size and precision). A 30 s mel
    /// step's scratch is about half a megabyte; made afresh for every call, its pages faulted in
    /// anew each time (measured on Zen 5: the step 0.97-0.98 ms without the pool, 0.94-0.96 with).
    static func withPooledScratch<R>(nFFT: Int, _ body: (Scratch) throws -> R) rethrows -> R {
        let key = ScratchKey(precision: ObjectIdentifier(T.self), nFFT: nFFT)
        let kept = scratchPool.withLock { $0[key]?.popLast() } as? Scratch
        let scratch = kept ?? Scratch(nFFT: nFFT)
        defer {
            scratchPool.withLock { pool in
                if pool[key, default: []].count < 8 { pool[key, default: []].append(scratch) }
            }
        }
        return try body(scratch)
    }

    /// One thread's working memory for `forEachFrame` and `forEachBlock` (Sendable to move
    /// through the pool; used by one thread at a time).
    final class Scratch: @unchecked Sendable {
        let buffers: RealFFT<T>.Buffers
        let power: UnsafeMutablePointer<T>  // [bins]
        let bins: Int
        /// For `forEachBlock`, made on first use.
        lazy var lanes = LaneFFT.Scratch(size: bins * 2 - 2)

        init(nFFT: Int) {
            buffers = RealFFT<T>.Buffers(size: nFFT)
            bins = nFFT / 2 + 1
            power = .allocate(capacity: bins)
            power.initialize(repeating: 0, count: bins)
        }

        deinit { power.deallocate() }
    }

    /// Calls `body(t, P)` for every frame t, where P[k] = |X_t[k]|^p, k = 0 ..< used, with
    /// X_t the DFT of the windowed frame t; p = 2 is the power spectrum, p = 1 the magnitude.
    /// `used` (all bins by default) spares computing bins the caller ignores.
    func forEachFrame(
        _ y: UnsafeBufferPointer<Float>, power p: T, scratch: Scratch, used: Int? = nil,
        _ body: (_ t: Int, _ spectrum: UnsafePointer<T>) -> Void
    ) {
        let n = y.count
        let frames = frameCount(samples: n)
        let input = scratch.buffers.input
        let bins = min(used ?? self.bins, self.bins)
        window.withUnsafeBufferPointer { w in
            for t in 0..<frames {
                // Frame t starts at sample t*hop - nFFT/2 of the unpadded signal when centred.
                let start = t * hop - (center ? nFFT / 2 : 0)
                if start >= 0 && start + nFFT <= n {
                    for i in 0..<nFFT { input[i] = T(y[start + i]) * w[i] }
                } else {
                    for i in 0..<nFFT {
                        let j = start + i
                        input[i] = j >= 0 && j < n ? T(y[j]) * w[i] : 0
                    }
                }
                fft.transform(scratch.buffers)
                let x = scratch.buffers.output  // (re, im) pairs
                let out = scratch.power
                if p == 2 {
                    for k in 0..<bins { out[k] = x[2 * k] * x[2 * k] + x[2 * k + 1] * x[2 * k + 1] }
                } else if p == 1 {
                    for k in 0..<bins { out[k] = (x[2 * k] * x[2 * k] + x[2 * k + 1] * x[2 * k + 1]).squareRoot() }
                } else {
                    let half = p / 2
                    for k in 0..<bins {
                        out[k] = T(pow(Double(x[2 * k] * x[2 * k] + x[2 * k + 1] * x[2 * k + 1]), Double(half)))
                    }
                }
                body(t, UnsafePointer(out))
            }
        }
    }
}

extension STFT where T == Float {
    /// Calls `body(t0, frames, P, width)` for consecutive blocks of up to `width` frames (8,
    /// or 16 with AVX-512) starting at frame t0, where P[k * width + j] = |X_{t0+j}[k]|^p for
    /// k < used and j < frames (lanes past the last frame hold no meaningful values). Runs the
    /// `LaneFFT` kernel when `lanes` is set, else FFTW frame by frame into the same layout.
    /// Returns max |y|, infinite where a sample is not finite (for `checkPeak`).
    @discardableResult
    func forEachBlock(
        _ y: UnsafeBufferPointer<Float>, power p: Float, scratch: Scratch, used: Int,
        _ body: (_ t0: Int, _ frames: Int, _ block: UnsafePointer<Float>, _ width: Int) -> Void
    ) -> Float {
        let width = lanes == nil ? 8 : scratch.lanes.lanes
        let bins = min(used, self.bins)
        let frameTotal = frameCount(samples: y.count)
        guard let lanes else {
            let block = UnsafeMutablePointer<Float>.allocate(capacity: max(1, bins) * width)
            defer { block.deallocate() }
            block.initialize(repeating: 0, count: max(1, bins) * width)
            forEachFrame(y, power: p, scratch: scratch, used: bins) { t, spectrum in
                let lane = t % width
                for k in 0..<bins { block[k * width + lane] = spectrum[k] }
                guard lane == width - 1 || t == frameTotal - 1 else { return }
                body(t - lane, lane + 1, block, width)
            }
            return peakMagnitude(y)
        }
        let n = y.count
        let work = scratch.lanes
        // The peak is taken block by block over the samples a block adds, just before its
        // transform reads them: one pass over the signal instead of two (a 30 s clip's 2.6 MB
        // leave the second-level cache between them).
        var (peak, scanned): (Float, Int) = (0, 0)
        window.withUnsafeBufferPointer { w in
            var t0 = 0
            while t0 < frameTotal {
                let count = min(width, frameTotal - t0)
                let end = min(n, (t0 + count - 1) * hop - (center ? nFFT / 2 : 0) + nFFT)
                if end > scanned {
                    peak = max(peak, mm_peak_magnitude(y.baseAddress! + scanned, end - scanned))
                    scanned = end
                }
                for j in 0..<width {
                    guard j < count else {
                        work.frames[j] = nil
                        continue
                    }
                    let start = (t0 + j) * hop - (center ? nFFT / 2 : 0)
                    if start >= 0 && start + nFFT <= n {
                        work.frames[j] = UnsafePointer(y.baseAddress! + start)
                    } else {
                        // The frame overhangs the signal: a zero-padded copy (center=True).
                        let edge = work.edges + j * nFFT
                        for i in 0..<nFFT {
                            let s = start + i
                            edge[i] = s >= 0 && s < n ? y[s] : 0
                        }
                        work.frames[j] = UnsafePointer(edge)
                    }
                }
                lanes.power(frames: work.frames, window: w.baseAddress!, bins: bins, scratch: work)
                if p == 1 {
                    for i in 0..<(bins * width) { work.power[i] = work.power[i].squareRoot() }
                } else if p != 2 {
                    for i in 0..<(bins * width) { work.power[i] = Float(pow(Double(work.power[i]), Double(p / 2))) }
                }
                body(t0, count, work.power, width)
                t0 += count
            }
        }
        if scanned < n { peak = max(peak, mm_peak_magnitude(y.baseAddress! + scanned, n - scanned)) }
        return peak
    }
}
