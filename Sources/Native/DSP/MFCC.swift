import COpenBLAS
import Foundation

extension DSP {
    /// librosa.feature.mfcc(y, sr, n_mfcc=20) with its defaults: the DCT-II (orthonormal) along
    /// the mel axis of power_to_db(melspectrogram(y, sr), ref=1.0, amin=1e-10, top_db=80),
    /// first n_mfcc rows, no liftering. The mel options default to librosa's (fmin 0, fmax sr/2):
    ///
    ///   mfcc[c, t] = s_c sum_m db[m, t] cos(pi c (2m + 1) / (2M)),
    ///   s_0 = sqrt(1 / M), s_c = sqrt(2 / M) for c > 0.
    public static func mfcc(
        _ y: [Float], coefficients: Int = 20, mel options: MelOptions = .librosa,
        decibels: DecibelOptions = DecibelOptions()
    ) throws -> Spectrogram {
        let bands = options.bands
        guard coefficients >= 1, coefficients <= bands else {
            throw DSPError("n_mfcc", "expected 1 ... n_mels (\(bands)), got \(coefficients)")
        }
        let db = try MelSpectrogram(options)(y).powerToDB(decibels)
        let frames = db.frames
        // dct: [coefficients, bands]
        var dct = [Float](repeating: 0, count: coefficients * bands)
        for c in 0..<coefficients {
            let scale = (c == 0 ? 1.0 : 2.0).squareRoot() / Double(bands).squareRoot()
            for m in 0..<bands {
                dct[c * bands + m] = Float(scale * cos(Double.pi * Double(c) * Double(2 * m + 1) / Double(2 * bands)))
            }
        }
        // out[coefficients, frames] = dct[coefficients, bands] @ db[bands, frames]
        var out = [Float](repeating: 0, count: coefficients * frames)
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(coefficients), Int32(frames), Int32(bands),
            1, dct, Int32(bands), db.values, Int32(frames), 0, &out, Int32(frames))
        return Spectrogram(values: out, bins: coefficients, frames: frames)
    }
}
