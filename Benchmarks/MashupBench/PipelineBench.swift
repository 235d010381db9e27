import Foundation
import Native

/// Times the data pipeline on a synthetic set of 30 s stems (4 songs per genre, 40 noise
/// clips, written under MASHUP_BENCH_DIR when missing): on-the-fly training examples (mashup
/// of the seed recipe, then the 128 x 1292 log-mel input) per second on 1 and 2 threads, and
/// the spectrogram cache's build time, extrapolated to the competition's 5,000 spectrograms.
/// tools/peers/pipeline.py times the same recipe in librosa + numpy on the same files.
enum PipelineBench {
    static var dataDir: String {
        (ProcessInfo.processInfo.environment["MASHUP_BENCH_DIR"] ?? "/tmp/mashup-bench") + "/pipeline_synth"
    }

    static func emit(_ name: String, threads: Int, _ fields: String) {
        print(
            "{\"suite\": \"pipeline\", \"impl\": \"mashup\", \"bench\": \"\(name)\", \"threads\": \(threads), \(fields)}"
        )
    }

    static func run() throws {
        if !FileManager.default.fileExists(atPath: dataDir + "/test.csv") {
            var config = SynthConfig(scale: .small, seed: 7)
            (config.songsPerGenre, config.seconds, config.mashups, config.noiseClips) = (4, 30, 10, 40)
            _ = try Synth.generate(config, into: dataDir)
        }
        let saved = Engine.threads
        defer { Engine.threads = saved }
        let set = try KaggleDataSet(root: dataDir)
        var start = Date()
        let bank = try StemBank(set)
        emit(
            "stem_bank_decode", threads: Engine.threads,
            String(
                format: "\"seconds\": %.3f, \"files\": %d", Date().timeIntervalSince(start),
                set.songs.count * 4 + set.noiseClips.count))
        let fresh = FreshExamples(builder: try MashupBuilder(bank: bank, seed: 1), input: try ModelInput())
        let count = 192
        for threads in [1, 2] {
            Engine.threads = threads
            _ = try fresh.spectrogram(0)
            start = Date()
            Engine.parallelFor(count) { i in _ = try? fresh.spectrogram(1 + i) }
            let elapsed = Date().timeIntervalSince(start)
            emit(
                "on_the_fly_examples", threads: threads,
                String(format: "\"examples_per_s\": %.2f, \"examples\": %d", Double(count) / elapsed, count))
        }
        Engine.threads = 2
        let folder = NSTemporaryDirectory() + "pipeline-bench-cache-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        start = Date()
        let cache = try SpectrogramCache.prepare(folder: folder, examples: fresh, perSong: 2)
        let elapsed = Date().timeIntervalSince(start)
        emit(
            "cache_build", threads: 2,
            String(
                format: "\"seconds\": %.3f, \"spectrograms\": %d, \"extrapolated_5000_s\": %.1f", elapsed, cache.count,
                elapsed / Double(cache.count) * 5000))
        var options = LoaderOptions()
        options.workers = 2
        let loader = try BatchLoader(cache: cache, options: options)
        start = Date()
        var examples = 0
        for batch in loader.epoch(0) { examples += batch.labels.count }
        emit(
            "cache_read_batches", threads: 2,
            String(format: "\"examples_per_s\": %.1f", Double(examples) / Date().timeIntervalSince(start)))
    }
}
