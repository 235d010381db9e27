import Foundation

/// musicnn's input representation (`musicnn.extractor.batch_data`): librosa's mel spectrogram of
/// 16 kHz audio (n_fft 512, hop 256, 96 bands, fmin 0, fmax 8 kHz, power 2, slaney), cast to
/// float16, then log10(10000 x + 1) in float16 arithmetic as numpy does it (each step rounded
/// to float16); as (frames, 96), time first, and cut into 187-frame (3 s) patches.
///
/// One deliberate difference: in float16, 10000 x overflows to infinity where x > 6.55 (loud
/// tonal bins), which makes the package's network output NaN; here a value or product that
/// float16 cannot hold keeps its float32 value, so the two agree wherever the package's result
/// is finite and ours stays finite where its is not.
public enum MusicnnFrontEnd {
    public static let rate = 16_000
    public static let bands = 96
    /// Frames per patch: 3 s.
    public static let patchFrames = 187

    public static var melOptions: MelOptions {
        var options = MelOptions.librosa
        (options.rate, options.nFFT, options.hop, options.bands) = (rate, 512, 256, bands)
        return options
    }

    /// The representation of mono `samples` at 16 kHz: (frames, 96) values, time first.
    public static func logMel(_ samples: [Float]) throws -> (values: [Float], frames: Int) {
        let mel = try MelSpectrogram.shared(melOptions)(samples)
        var out = [Float](repeating: 0, count: mel.values.count)
        for b in 0..<mel.bins {
            for t in 0..<mel.frames {
                let power = mel.values[b * mel.frames + t]
                let rounded16 = Float16(power)
                let x = rounded16.isFinite ? Float(rounded16) : power
                let scaled = Float16(10000 * x)
                let product = scaled.isFinite ? Float(scaled) : 10000 * x
                let rounded = Float16(product + 1)
                out[t * mel.bins + b] = rounded.isFinite ? Float(Float16(log10(Float(rounded)))) : log10(product + 1)
            }
        }
        return (out, mel.frames)
    }

    /// Patches of `patchFrames` frames starting every `hop` frames (the package's default: no
    /// overlap), as (patches, 1, 187, 96) values; a clip shorter than one patch gives none.
    public static func patches(_ logMel: (values: [Float], frames: Int), hop: Int = patchFrames) throws -> (
        values: [Float], count: Int
    ) {
        guard hop > 0 else { throw DSPError("hop", "expected a hop of at least 1 frame, got \(hop)") }
        let starts = Array(stride(from: 0, to: max(0, logMel.frames - patchFrames + 1), by: hop))
        var out: [Float] = []
        out.reserveCapacity(starts.count * patchFrames * bands)
        for s in starts { out += logMel.values[(s * bands)..<((s + patchFrames) * bands)] }
        return (out, starts.count)
    }
}
