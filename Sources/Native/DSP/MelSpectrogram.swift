import CKernels
import Foundation
import Synchronization

/// Mel spectrograms exactly as librosa 0.11 computes them with these defaults:
///
///   librosa.feature.melspectrogram(y, sr=22050, n_fft=2048, hop_length=512, win_length=None,
///       window="hann", center=True, pad_mode="constant", power=2.0,
///       n_mels=128, fmin=20, fmax=8000, htk=False, norm="slaney")
///   = mel_basis @ |stft(y)|**2
///
/// - window: periodic Hann, scipy.signal.get_window("hann", 2048, fftbins=True);
/// - center=True pads n_fft/2 zeros at each end (librosa 0.11's default pad_mode "constant"),
///   so a signal of n samples gives 1 + n // hop frames;
/// - mel_basis: librosa.filters.mel with the Slaney mel scale and Slaney area normalisation
///   (see `MelFilterbank`); `htk: true` selects the HTK scale;
/// - fmin=20 and fmax=8000 are mashup's defaults; librosa's own are 0 and sr/2
///   (`MelOptions.librosa`), which `mfcc` uses as librosa.feature.mfcc does.
/// Then `powerToDB` (librosa.power_to_db: ref, amin=1e-10, top_db=80) and `minMaxScaled`.
///
/// The FFT runs in single precision (librosa's in double, rounded to complex64), 8 or 16 frames
/// at a time for power-of-two sizes (`LaneFFT`, CKernels) and through FFTW otherwise. The mel
/// projection visits only each filter's non-zero weights (about 1,500 of the 128 x 1025 per
/// frame): on this project's older machine, one thread, 30 s of audio, OpenBLAS sgemm
/// 128 x 1025 x 1292 took 3.6 ms (2.6 ms on the 744 bins below fmax) where the sparse
/// projection took about 0.1 ms. The whole log-mel step takes 0.69-0.75 ms on the current
/// Zen 5 machine (BENCHMARKS.md).
public struct MelOptions: Sendable, Hashable {
    public var rate = 22050
    public var nFFT = 2048
    public var hop = 512
    public var bands = 128
    public var fmin = 20.0
    /// nil: rate / 2.
    public var fmax: Double? = 8000
    /// The exponent of the magnitude: 2 for power, 1 for magnitude.
    public var power: Float = 2
    public var htk = false
    public var slaneyNorm = true

    public init() {}

    /// librosa.feature.melspectrogram's own defaults: fmin 0, fmax sr/2.
    public static var librosa: MelOptions {
        var options = MelOptions()
        options.fmin = 0
        options.fmax = nil
        return options
    }
}

/// A mel spectrogram transform: the window, the FFT plan and the filterbank, built once and
/// shared by any number of threads.
public struct MelSpectrogram: Sendable {
    public let options: MelOptions
    public let filterbank: MelFilterbank
    let stft: STFT<Float>
    /// The filterbank as the C kernel reads it: each band's non-zero weights, band after band,
    /// and where each band starts and how many bins it covers (6 KB for the defaults, where
    /// the full matrix is 525 KB).
    private let packedWeights: [Float]
    private let bandFirst: [Int32]
    private let bandCount: [Int32]

    public init(_ options: MelOptions = MelOptions()) throws {
        guard options.power.isFinite, options.power > 0 else {
            throw DSPError("power", "expected an exponent > 0 (2 for power, 1 for magnitude), got \(options.power)")
        }
        stft = try STFT<Float>(nFFT: options.nFFT, hop: options.hop)
        filterbank = try MelFilterbank(
            rate: options.rate, nFFT: options.nFFT, bands: options.bands, fmin: options.fmin, fmax: options.fmax,
            htk: options.htk, slaneyNorm: options.slaneyNorm)
        packedWeights = (0..<filterbank.bands).flatMap { [filterbank] m in
            let row = m * filterbank.bins + filterbank.first[m]
            return filterbank.weights[row..<(row + filterbank.count[m])]
        }
        bandFirst = filterbank.first.map { Int32($0) }
        bandCount = filterbank.count.map { Int32($0) }
        self.options = options
    }

    /// The transform for `options`, built once and kept for later calls with the same options
    /// (building the filterbank costs about a fifth of a 30 s mel step). Holds up to 16
    /// transforms and starts over when full; safe from any thread.
    public static func shared(_ options: MelOptions) throws -> MelSpectrogram {
        if let hit = sharedTransforms.withLock({ $0[options] }) { return hit }
        let made = try MelSpectrogram(options)
        sharedTransforms.withLock { cache in
            if cache.count >= 16 { cache.removeAll() }
            cache[options] = made
        }
        return made
    }

    /// The mel spectrogram of mono audio at the options' rate.
    public func callAsFunction(_ audio: Audio) throws -> Spectrogram {
        guard audio.channels == 1 else {
            throw DSPError("audio", "expected mono audio, got \(audio.channels) channels (call mono() first)")
        }
        guard audio.rate == options.rate else {
            throw DSPError(
                "audio", "expected audio at \(options.rate) Hz, got \(audio.rate) Hz (resample first or set rate)")
        }
        return try callAsFunction(audio.samples)
    }

    /// [bands, 1 + n / hop]: mel[m, t] = sum_k W[m, k] |X_t[k]|^power.
    public func callAsFunction(_ samples: [Float]) throws -> Spectrogram {
        try stft.checkLength(samples)
        let (mel, peak) = STFT<Float>.withPooledScratch(nFFT: options.nFFT) { compute(samples, scratch: $0) }
        try stft.checkPeak(peak, of: samples)
        return mel
    }

    /// The model's input image of mono samples at the options' rate: the mel spectrogram,
    /// `powerToDB` (by default ref = the maximum, top_db 80) and `minMaxScaled`, the last two
    /// fused into two passes over the values.
    public func logMel(_ samples: [Float], decibels: DecibelOptions = DecibelOptions(ref: .max, topDB: 80)) throws
        -> Spectrogram
    {
        try stft.checkLength(samples)
        try decibels.validate()
        var (image, peak) = STFT<Float>.withPooledScratch(nFFT: options.nFFT) { compute(samples, scratch: $0) }
        try stft.checkPeak(peak, of: samples)
        image.applyDecibels(decibels, minMax: true)
        return image
    }

    /// `logMel` on checked input with one thread's scratch.
    func logMel(_ samples: [Float], decibels: DecibelOptions, scratch: STFT<Float>.Scratch) -> Spectrogram {
        var image = compute(samples, scratch: scratch).mel
        image.applyDecibels(decibels, minMax: true)
        return image
    }

    /// Frames come in blocks of 8 or 16 (the kernels' lanes) from `STFT.forEachBlock`, their
    /// power spectra bin-major [usedBins, lanes]; CKernels' filterbank multiplies each filter
    /// weight into the block's frames in one vector operation and stores each band's results in
    /// its output row.
    func compute(_ samples: [Float], scratch: STFT<Float>.Scratch) -> (mel: Spectrogram, peak: Float) {
        let frames = stft.frameCount(samples: samples.count)
        let bands = filterbank.bands
        var peak: Float = 0
        // Every block writes all bands of its frames, so the output needs no zeroing first.
        let out = [Float](unsafeUninitializedCapacity: bands * frames) { mel, initialized in
            samples.withUnsafeBufferPointer { y in
                packedWeights.withUnsafeBufferPointer { w in
                    bandFirst.withUnsafeBufferPointer { first in
                        bandCount.withUnsafeBufferPointer { count in
                            peak = stft.forEachBlock(
                                y, power: options.power, scratch: scratch, used: filterbank.usedBins
                            ) {
                                t0, blockFrames, block, width in
                                mm_filterbank_lanes(
                                    block, Int32(width), w.baseAddress!, first.baseAddress!, count.baseAddress!,
                                    Int32(bands), mel.baseAddress! + t0, frames, Int32(blockFrames))
                            }
                        }
                    }
                }
            }
            initialized = bands * frames
        }
        return (Spectrogram(values: out, bins: bands, frames: frames), peak)
    }

    /// Mel spectrograms of many mono clips at the options' rate, in parallel over clips on
    /// `Engine.threads` workers, each with its own FFT scratch reused across its clips. With
    /// `decibels` each is converted by `powerToDB`, and with `minMax` then scaled to [0, 1].
    public func batch(_ clips: [[Float]], decibels: DecibelOptions? = nil, minMax: Bool = false) throws -> [Spectrogram]
    {
        func checked(_ i: Int, _ check: () throws -> Void) throws {
            do { try check() } catch let error as DSPError {
                throw DSPError("clip \(i + 1) of \(clips.count)", error.reason)
            }
        }
        for (i, clip) in clips.enumerated() { try checked(i) { try stft.checkLength(clip) } }
        try decibels?.validate()
        var results = [Spectrogram](repeating: Spectrogram(zeros: 0, frames: 0), count: clips.count)
        var peaks = [Float](repeating: 0, count: clips.count)
        let workers = min(Engine.threads, clips.count)
        results.withUnsafeMutableBufferPointer { results in
            peaks.withUnsafeMutableBufferPointer { peaks in
                // Worker w owns results[lo ..< hi] and peaks[lo ..< hi] and nothing else.
                nonisolated(unsafe) let (out, peakOut) = (results, peaks)
                Engine.parallelFor(workers) { w in
                    STFT<Float>.withPooledScratch(nFFT: options.nFFT) { scratch in
                        for i in (clips.count * w / workers)..<(clips.count * (w + 1) / workers) {
                            var (s, peak) = compute(clips[i], scratch: scratch)
                            if let decibels {
                                s.applyDecibels(decibels, minMax: minMax)
                            } else if minMax {
                                s = s.minMaxScaled()
                            }
                            (out[i], peakOut[i]) = (s, peak)
                        }
                    }
                }
            }
        }
        for (i, clip) in clips.enumerated() { try checked(i) { try stft.checkPeak(peaks[i], of: clip) } }
        return results
    }
}

private let sharedTransforms = Mutex<[MelOptions: MelSpectrogram]>([:])
