import Foundation

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
/// The FFT runs in single precision (librosa transforms in double and rounds to complex64);
/// the mel projection skips each filter's zero weights, which is about 90 times fewer
/// multiplications than the dense product and so faster than sgemm.
public struct MelOptions: Sendable, Equatable {
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

    public init(_ options: MelOptions = MelOptions()) throws {
        guard options.power.isFinite, options.power > 0 else {
            throw DSPError("power", "expected an exponent > 0 (2 for power, 1 for magnitude), got \(options.power)")
        }
        stft = try STFT<Float>(nFFT: options.nFFT, hop: options.hop)
        filterbank = try MelFilterbank(
            rate: options.rate, nFFT: options.nFFT, bands: options.bands, fmin: options.fmin, fmax: options.fmax,
            htk: options.htk, slaneyNorm: options.slaneyNorm)
        self.options = options
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
        try stft.checkLength(samples.count)
        return compute(samples, scratch: STFT<Float>.Scratch(nFFT: options.nFFT))
    }

    func compute(_ samples: [Float], scratch: STFT<Float>.Scratch) -> Spectrogram {
        let frames = stft.frameCount(samples: samples.count)
        let bands = filterbank.bands
        let bins = filterbank.bins
        var out = [Float](repeating: 0, count: bands * frames)
        samples.withUnsafeBufferPointer { y in
            out.withUnsafeMutableBufferPointer { mel in
                filterbank.weights.withUnsafeBufferPointer { w in
                    stft.forEachFrame(y, power: options.power, scratch: scratch) { t, spectrum in
                        for m in 0..<bands {
                            let k0 = filterbank.first[m]
                            let row = w.baseAddress! + m * bins
                            var sum: Float = 0
                            for k in k0..<(k0 + filterbank.count[m]) { sum += row[k] * spectrum[k] }
                            mel[m * frames + t] = sum
                        }
                    }
                }
            }
        }
        return Spectrogram(values: out, bins: bands, frames: frames)
    }

    /// Mel spectrograms of many mono clips at the options' rate, in parallel over clips on
    /// `Engine.threads` workers, each with its own FFT scratch reused across its clips. With
    /// `decibels` each is converted by `powerToDB`, and with `minMax` then scaled to [0, 1].
    public func batch(_ clips: [[Float]], decibels: DecibelOptions? = nil, minMax: Bool = false) throws -> [Spectrogram] {
        for (i, clip) in clips.enumerated() {
            do { try stft.checkLength(clip.count) } catch let error as DSPError {
                throw DSPError("clips[\(i + 1)]", error.reason)
            }
        }
        try decibels?.validate()
        var results = [Spectrogram](repeating: Spectrogram(zeros: 0, frames: 0), count: clips.count)
        let workers = min(Engine.threads, clips.count)
        results.withUnsafeMutableBufferPointer { results in
            // Worker w owns results[lo ..< hi] and nothing else.
            nonisolated(unsafe) let out = results
            Engine.parallelFor(workers) { w in
                let scratch = STFT<Float>.Scratch(nFFT: options.nFFT)
                for i in (clips.count * w / workers)..<(clips.count * (w + 1) / workers) {
                    var s = compute(clips[i], scratch: scratch)
                    if let decibels { s = s.powerToDBUnchecked(decibels) }
                    if minMax { s = s.minMaxScaled() }
                    out[i] = s
                }
            }
        }
        return results
    }
}
