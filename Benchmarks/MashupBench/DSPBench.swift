import Foundation
import Native

/// Times the audio front end on the work tools/peers/dsp.py times librosa on: a 30 s, 44.1 kHz
/// stereo PCM16 WAV (written here from a deterministic signal when missing) loaded as
/// librosa.load(sr=22050, mono=True) does, then the mel step: 128 x 1292 mel spectrogram,
/// power_to_db(ref=max, top_db=80) and min-max. Targets: mel step >= 15x librosa (issue 17)
/// and whole front end >= 5x librosa.load + melspectrogram, both on one thread.
/// `window_fft_only_30s` shows what bounds the mel step: the lane FFT of its 1,292 frames with
/// the window and the signal check, but power for almost no bins (a 1-band filterbank below
/// 20 Hz).
enum DSPBench {
    static let rate = 44100
    static let seconds = 30

    static var wavPath: String {
        let folder = ProcessInfo.processInfo.environment["MASHUP_BENCH_DIR"] ?? "/tmp/mashup-bench"
        return folder + "/dsp_30s_44k_stereo.wav"
    }

    /// The same signal as tools/peers/dsp.py `signal`: two detuned chords with a slow tremolo.
    static func signal() -> Audio {
        let frames = seconds * rate
        var samples = [Float](repeating: 0, count: 2 * frames)
        let left = [110.0, 220.5, 330.7, 441.3, 1234.0, 3210.0]
        let right = [98.0, 196.2, 392.9, 523.1, 2100.0, 5000.0]
        for i in 0..<frames {
            let t = Double(i) / Double(rate)
            let tremolo = 0.75 + 0.25 * sin(2 * Double.pi * 0.5 * t)
            let l = left.reduce(0) { $0 + sin(2 * Double.pi * $1 * t) } / 6
            let r = right.reduce(0) { $0 + sin(2 * Double.pi * $1 * t + 0.5) } / 6
            samples[2 * i] = Float(0.8 * tremolo * l)
            samples[2 * i + 1] = Float(0.8 * tremolo * r)
        }
        return Audio(samples: samples, channels: 2, rate: rate)
    }

    /// Median and best wall time of at least `runs` calls after one warm-up call, in
    /// milliseconds, and the spread: how much slower than the best the next-best call was.
    /// While the two fastest differ by more than 5% it runs on, up to three times as many calls,
    /// as the nn suite does, so that a number from a busy machine is not taken for progress.
    static func time(_ runs: Int, _ body: () throws -> Void) rethrows -> (median: Double, best: Double, spread: Double)
    {
        try body()
        var times: [Double] = []
        var spread = 0.0
        repeat {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            times.sort()
            spread = times.count > 1 ? times[1] / times[0] - 1 : 0
        } while times.count < runs || (spread > 0.05 && times.count < 3 * max(runs, 2))
        return (times[times.count / 2], times[0], spread)
    }

    static func emit(_ name: String, threads: Int, runs: Int, extra: String = "", _ body: () throws -> Void) rethrows {
        let saved = Engine.threads
        Engine.threads = threads
        defer { Engine.threads = saved }
        let (median, best, spread) = try time(runs, body)
        let fields = String(
            format: "\"median_ms\": %.3f, \"min_ms\": %.3f, \"spread\": %.3f, \"runs\": %d", median, best, spread, runs)
        print(
            "{\"suite\": \"dsp\", \"impl\": \"mashup\", \"bench\": \"\(name)\", \"threads\": \(threads), \(fields)\(extra)}"
        )
    }

    static func run() throws {
        let path = wavPath
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try AudioFile.write(signal(), to: path, format: .wavPCM16)
        }
        let mel = try MelSpectrogram()
        let decibels = DecibelOptions(ref: .max, topDB: 80)
        let stereo = try AudioFile.read(path)
        let mono44 = stereo.mono()
        let y = try mono44.resampled(to: 22050).samples
        func logMel(_ y: [Float]) throws -> Spectrogram { try mel.logMel(y, decibels: decibels) }

        try emit("decode_wav_30s", threads: 1, runs: 20) { _ = try AudioFile.read(path) }
        emit("downmix_30s", threads: 1, runs: 20) { _ = stereo.mono() }
        try emit("resample_hq_44k_to_22k_30s", threads: 1, runs: 20) { _ = try mono44.resampled(to: 22050) }
        // The floor under the mel step: windowing and FFTW's r2c for 1292 frames, with a one-band
        // filterbank below 20 Hz so that the projection costs nothing.
        var floorOptions = MelOptions()
        (floorOptions.bands, floorOptions.fmin, floorOptions.fmax) = (1, 0, 20)
        let framing = try MelSpectrogram(floorOptions)
        try emit("window_fft_only_30s", threads: 1, runs: 20) { _ = try framing(y) }
        try emit("mel_power_30s", threads: 1, runs: 20) { _ = try mel(y) }
        let shape = try logMel(y).shape
        try emit("mel_step_30s", threads: 1, runs: 20, extra: ", \"shape\": \(shape), \"target\": \"15x librosa\"") {
            _ = try logMel(y)
        }
        try emit("front_end_30s", threads: 1, runs: 10, extra: ", \"target\": \"5x librosa\"") {
            _ = try logMel(AudioFile.read(path).mono().resampled(to: 22050).samples)
        }
        try emit("mfcc_30s", threads: 1, runs: 10) { _ = try DSP.mfcc(y) }
        try emit("spectral_features_30s", threads: 1, runs: 10) {
            _ = try (DSP.rms(y), DSP.zeroCrossingRate(y), DSP.spectralCentroid(y), DSP.spectralFlatness(y))
        }
        let clips = (0..<8).map { i in Array(y[(1000 * i)...] + y[..<(1000 * i)]) }
        for threads in [1, 2] {
            try emit("batch_mel_step_8x30s", threads: threads, runs: 5, extra: ", \"clips\": 8") {
                _ = try mel.batch(clips, decibels: decibels, minMax: true)
            }
        }
    }
}
