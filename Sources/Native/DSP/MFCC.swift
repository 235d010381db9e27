import COpenBLAS
import Foundation

extension DSP {
    /// librosa.feature.mfcc(y, sr, n_mfcc=20) with its defaults: the DCT-II (orthonormal) along
    /// the mel axis of power_to_db(melspectrogram(y, sr), ref=1.0, amin=1e-10, top_db=80),
    /// first n_mfcc rows, no liftering. The mel options default to librosa's (fmin 0, fmax sr/2):
    ///
    ///   mfcc[c, t] = s_c sum_m db[m, t] cos(pi c (2m + 1) / (2M)),
    ///   s_0 = sqrt(1 / M), s_c = sqrt(2 / M) for c > 0.
    ///
    /// Computed in double precision from the STFT on: the DCT cancels dB values of +-100 into
    /// coefficients near zero, and bands 80 dB below the peak carry a single-precision FFT's
    /// rounding (about 4e-4 dB), which the cancellation would turn into relative errors above
    /// 1e-4. librosa's own FFT (numpy's pocketfft) runs in double here too.
    public static func mfcc(
        _ y: [Float], coefficients: Int = 20, mel options: MelOptions = .librosa,
        decibels: DecibelOptions = DecibelOptions()
    ) throws -> Spectrogram {
        let bands = options.bands
        guard coefficients >= 1, coefficients <= bands else {
            throw DSPError("n_mfcc", "expected 1 ... n_mels (\(bands)), got \(coefficients)")
        }
        try decibels.validate()
        let mel = try MelSpectrogram.shared(options)
        let db = try mel.decibelsInDouble(y, decibels)
        let frames = db.count / bands
        // dct: [coefficients, bands]
        var dct = [Double](repeating: 0, count: coefficients * bands)
        for c in 0..<coefficients {
            let scale = (c == 0 ? 1.0 : 2.0).squareRoot() / Double(bands).squareRoot()
            for m in 0..<bands {
                dct[c * bands + m] = scale * cos(Double.pi * Double(c) * Double(2 * m + 1) / Double(2 * bands))
            }
        }
        // out[coefficients, frames] = dct[coefficients, bands] @ db[bands, frames]
        var out = [Double](repeating: 0, count: coefficients * frames)
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(coefficients), Int32(frames), Int32(bands),
            1, dct, Int32(bands), db, Int32(frames), 0, &out, Int32(frames))
        return Spectrogram(values: out.map { Float($0) }, bins: coefficients, frames: frames)
    }
}

extension MelSpectrogram {
    /// power_to_db of the mel spectrogram of `y`, [bands, frames] row-major, with the STFT,
    /// the projection and the logarithm in double precision (for `DSP.mfcc`).
    func decibelsInDouble(_ y: [Float], _ decibels: DecibelOptions) throws -> [Double] {
        try stft.checkSamples(y)
        let stft = try STFT<Double>(nFFT: options.nFFT, hop: options.hop)
        let frames = stft.frameCount(samples: y.count)
        let bands = filterbank.bands
        let bins = filterbank.bins
        var power = [Double](repeating: 0, count: bands * frames)
        y.withUnsafeBufferPointer { y in
            stft.forEachFrame(
                y, power: Double(options.power), scratch: STFT<Double>.Scratch(nFFT: options.nFFT),
                used: filterbank.usedBins
            ) { t, spectrum in
                for m in 0..<bands {
                    var sum = 0.0
                    for k in filterbank.first[m]..<(filterbank.first[m] + filterbank.count[m]) {
                        sum += Double(filterbank.weights[m * bins + k]) * spectrum[k]
                    }
                    power[m * frames + t] = sum
                }
            }
        }
        let amin = Double(decibels.amin)
        let reference: Double
        switch decibels.ref {
        case .max: reference = power.max() ?? 0
        case .value(let r): reference = Double(r)
        }
        let offset = 10 * log10(max(amin, reference))
        var db = power.map { 10 * log10(max(amin, $0)) - offset }
        if let topDB = decibels.topDB, let peak = db.max() {
            let floor = peak - Double(topDB)
            for i in db.indices where db[i] < floor { db[i] = floor }
        }
        return db
    }
}
