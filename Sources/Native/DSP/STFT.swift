import CFFTW3f
import Foundation

/// The short-time Fourier transform as librosa 0.11's `stft` frames it: a periodic Hann window
/// of `nFFT` points (scipy.signal.get_window("hann", nFFT, fftbins=True)), and with `center`
/// the signal padded by nFFT/2 zeros on each side (pad_mode="constant"), so frame t covers
/// padded samples [t*hop, t*hop + nFFT) and there are 1 + (n + 2*(nFFT/2) - nFFT) / hop frames
/// (1 + n / hop for even nFFT). Computed with FFTW in the precision T: Float for the mel path,
/// Double where a feature needs the tiny powers between harmonics right (spectral flatness).
struct STFT<T: FFTWScalar>: Sendable {
    let nFFT: Int
    let hop: Int
    let center: Bool
    let window: [T]  // [nFFT]
    let fft: RealFFT<T>
    var bins: Int { nFFT / 2 + 1 }

    init(nFFT: Int, hop: Int, center: Bool = true) throws {
        guard nFFT >= 2 else { throw DSPError("n_fft", "expected at least 2 points, got \(nFFT)") }
        guard hop >= 1 else { throw DSPError("hop", "expected at least 1 sample, got \(hop)") }
        guard hop <= nFFT else { throw DSPError("hop", "expected at most n_fft (\(nFFT)), got \(hop)") }
        self.nFFT = nFFT
        self.hop = hop
        self.center = center
        window = STFT.hann(nFFT)
        fft = RealFFT<T>.plan(size: nFFT)
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

    /// Throws unless the signal gives at least one frame.
    func checkLength(_ n: Int) throws {
        guard n > 0, frameCount(samples: n) > 0 else {
            throw DSPError("samples", "expected at least \(center ? 1 : nFFT) samples for n_fft \(nFFT), got \(n)")
        }
    }

    /// One thread's working memory for `forEachFrame`.
    final class Scratch {
        let buffers: RealFFT<T>.Buffers
        let power: UnsafeMutablePointer<T>  // [bins]
        let bins: Int

        init(nFFT: Int) {
            buffers = RealFFT<T>.Buffers(size: nFFT)
            bins = nFFT / 2 + 1
            power = .allocate(capacity: bins)
            power.initialize(repeating: 0, count: bins)
        }

        deinit { power.deallocate() }
    }

    /// Calls `body(t, P)` for every frame t, where P[k] = |X_t[k]|^p, k = 0 ..< bins, with
    /// X_t the DFT of the windowed frame t; p = 2 is the power spectrum, p = 1 the magnitude.
    func forEachFrame(
        _ y: UnsafeBufferPointer<Float>, power p: T, scratch: Scratch,
        _ body: (_ t: Int, _ spectrum: UnsafePointer<T>) -> Void
    ) {
        let n = y.count
        let frames = frameCount(samples: n)
        let input = scratch.buffers.input
        let bins = self.bins
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
                    for k in 0..<bins { out[k] = T(pow(Double(x[2 * k] * x[2 * k] + x[2 * k + 1] * x[2 * k + 1]), Double(half))) }
                }
                body(t, UnsafePointer(out))
            }
        }
    }
}
