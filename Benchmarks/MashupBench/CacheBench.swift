import Foundation
import Native

/// The seed's pre-compute step at the competition's size, on a data set in the Kaggle layout
/// at MASHUP_FULL_DIR (`mashup synth DIR --scale full` makes the synthetic one: 1,000 songs,
/// 2,000 noise clips, about 24 GB and 8 minutes). Times what scripts/kaggle.lua does before
/// its first epoch: index and validate the set, decode and resample all 4,000 stems and the
/// noise clips into the stem bank, then build the spectrogram caches: 5 mashups per training
/// song (85% of the songs, split by song) and 10 per validation song. Target: 5,000
/// spectrograms in <= 3 minutes on 2 cores. Skipped, with a note, when the folder is absent.
enum CacheBench {
    static func emit(_ name: String, _ fields: String) {
        print(
            "{\"suite\": \"cache\", \"impl\": \"mashup\", \"bench\": \"\(name)\", \"threads\": \(Engine.threads), \(fields)}"
        )
    }

    static func run() throws {
        guard let root = ProcessInfo.processInfo.environment["MASHUP_FULL_DIR"],
            FileManager.default.fileExists(atPath: root + "/test.csv")
        else {
            FileHandle.standardError.write(
                Data("mashup-bench: cache: skipped (set MASHUP_FULL_DIR to a full-size data set)\n".utf8))
            return
        }
        let saved = Engine.threads
        Engine.threads = 2
        defer { Engine.threads = saved }
        var start = Date()
        let set = try KaggleDataSet(root: root)
        emit(
            "index_full_set",
            String(
                format: "\"seconds\": %.3f, \"songs\": %d, \"noise_clips\": %d", Date().timeIntervalSince(start),
                set.songs.count, set.noiseClips.count))
        start = Date()
        let bank = try StemBank(set)
        emit(
            "stem_bank_full_set",
            String(
                format: "\"seconds\": %.3f, \"files\": %d, \"resident_mib\": %.0f", Date().timeIntervalSince(start),
                set.songs.count * 4 + set.noiseClips.count, Double(bank.bytes) / 1_048_576))
        let split = try DataSplit(set, validationFraction: 0.15, seed: 42)
        let folder = NSTemporaryDirectory() + "mashup-cache-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var total = 0
        var seconds = 0.0
        for (name, songs, perSong, seed) in [
            ("cache_train_5_per_song", split.train, 5, UInt64(42)),
            ("cache_val_10_per_song", split.validation, 10, UInt64(43)),
        ] {
            let examples = FreshExamples(
                builder: try MashupBuilder(bank: bank, songs: songs, seed: seed), input: try ModelInput())
            start = Date()
            let cache = try SpectrogramCache.prepare(folder: folder, examples: examples, perSong: perSong)
            let elapsed = Date().timeIntervalSince(start)
            total += cache.count
            seconds += elapsed
            emit(
                name,
                String(
                    format: "\"seconds\": %.3f, \"spectrograms\": %d, \"per_s\": %.1f", elapsed, cache.count,
                    Double(cache.count) / elapsed))
        }
        emit(
            "cache_full_set",
            String(
                format:
                    "\"seconds\": %.3f, \"spectrograms\": %d, \"seconds_per_5000\": %.1f, \"target\": \"5000 in <= 180 s\"",
                seconds, total, seconds / Double(total) * 5000))
    }
}
