import Foundation
import XCTest

@testable import Native

/// The spectrogram cache, the threaded loader and the test-set views.
final class DataLoaderTests: XCTestCase {
    /// Small inputs (2 s) so the debug build stays quick; the layout is the same at 30 s.
    func examples(seed: UInt64 = 1, noise: ClosedRange<Int> = 1...3) throws -> FreshExamples {
        var recipe = MashupOptions()
        recipe.cropSeconds = 1...2
        recipe.noiseClips = noise
        var input = ModelInputOptions()
        input.seconds = 2
        let bank = try DataFixture.bank.get()
        let split = try DataSplit(bank.dataSet, seed: 1)
        return FreshExamples(
            builder: try MashupBuilder(bank: bank, songs: split.train, options: recipe, seed: seed),
            input: try ModelInput(input))
    }

    func temporaryFolder() -> String { NSTemporaryDirectory() + "cache-\(getpid())-\(UUID().uuidString)" }

    func testModelInputIs128By1292For30Seconds() throws {
        let input = try ModelInput()
        XCTAssertEqual(input.samples, 661_500)
        XCTAssertEqual([input.bins, input.frames], [128, 1292])
        let s = try input.spectrogram(
            Audio(samples: (0..<30_000).map { Float(sin(Double($0) * 0.1)) }, channels: 1, rate: 22_050))
        XCTAssertEqual(s.shape, [128, 1292])
        XCTAssertEqual(s.values.min(), 0)
        XCTAssertEqual(s.values.max(), 1)
    }

    func testCacheIsBuiltOnceReusedAndRebuiltForAnotherRecipe() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fresh = try examples()
        var reports: [(Int, Int)] = []
        let cache = try SpectrogramCache.prepare(folder: folder, examples: fresh, perSong: 2) {
            reports.append(($0, $1))
        }
        XCTAssertEqual(cache.count, 2 * fresh.builder.pool.count)
        XCTAssertEqual(reports.first?.0, 0)
        XCTAssertEqual(reports.last?.0, cache.count)
        XCTAssertEqual([cache.bins, cache.frames], [128, 87])
        // Entry k is example k with its anchor, stored as float16.
        let (expected, label) = try fresh.spectrogram(5, anchor: cache.anchors[5])
        XCTAssertEqual(cache.labels[5], label)
        let stored = cache.spectrogram(5)
        XCTAssertEqual(zip(stored.values, expected.values).map { abs($0 - $1) }.max()!, 0, accuracy: 5e-4)
        XCTAssertEqual(cache.anchors[5], fresh.builder.pool[2])

        var rebuilt = false
        let again = try SpectrogramCache.prepare(folder: folder, examples: fresh, perSong: 2) { _, _ in rebuilt = true }
        XCTAssertFalse(rebuilt)
        XCTAssertEqual(again.path, cache.path)
        let other = try SpectrogramCache.prepare(folder: folder, examples: try examples(noise: 0...0), perSong: 2)
        XCTAssertNotEqual(other.path, cache.path)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".f16") }.count, 2)
    }

    func testABuildKilledMidWayLeavesNoTemporaryFileBehindTheNextBuild() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // A dead writer's file (pid 2^22 + 1 is above Linux's pid_max) and a live one's (ours).
        let dead = ".spectrograms-0123.f16.4194305-77.tmp"
        let live = ".spectrograms-4567.f16.\(getpid())-78.tmp"
        for name in [dead, live] { try Data([1]).write(to: URL(fileURLWithPath: "\(folder)/\(name)")) }
        _ = try SpectrogramCache.prepare(folder: folder, examples: try examples(), perSong: 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertFalse(left.contains(dead), "\(left)")
        XCTAssertTrue(left.contains(live), "\(left)")
    }

    func testACorruptCacheFileIsNamed() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try SpectrogramCache.prepare(folder: folder, examples: try examples(), perSong: 1)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: cache.path))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        XCTAssertThrowsError(try SpectrogramCache.prepare(folder: folder, examples: try examples(), perSong: 1)) {
            error in
            XCTAssertTrue("\(error)".hasPrefix("\(cache.path): truncated or inconsistent cache"), "\(error)")
        }
    }

    func testLoaderBatchesAreShuffledPerEpochAndIdenticalWhateverTheWorkers() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fresh = try examples()
        let cache = try SpectrogramCache.prepare(folder: folder, examples: fresh, perSong: 2)
        var options = LoaderOptions()
        options.batchSize = 8
        options.freshFraction = 0.25
        options.seed = 5
        var runs: [[[Float]]] = []
        for workers in [1, 3] {
            options.workers = workers
            options.prefetch = workers
            let loader = try BatchLoader(
                cache: cache, fresh: fresh, options: options,
                spectrogramAugmentation: try SpectrogramPipeline([
                    (SpectrogramMask(.time, width: 0...5), probability: 0.5)
                ]))
            var epoch: [[Float]] = []
            for batch in loader.epoch(0) {
                XCTAssertEqual(batch.x.shape.dropFirst(), [1, 128, 87])
                epoch.append(batch.x.array + batch.labels.map(Float.init))
            }
            XCTAssertEqual(epoch.count, loader.batchesPerEpoch)
            runs.append(epoch)
        }
        XCTAssertEqual(runs[0], runs[1])
        let loader = try BatchLoader(cache: cache, fresh: fresh, options: options)
        let plans = (0..<2).map { loader.plan(epoch: $0) }
        XCTAssertNotEqual(plans[0], plans[1])
        for plan in plans {
            XCTAssertEqual(
                plan.filter { if case .fresh = $0 { true } else { false } }.count,
                Int((0.25 * Double(cache.count)).rounded()))
        }
    }

    func testOnTheFlyLoaderWithoutACacheAndStoppingEarly() throws {
        var options = LoaderOptions()
        options.batchSize = 4
        options.examplesPerEpoch = 10
        options.prefetch = 2
        let loader = try BatchLoader(fresh: try examples(), options: options)
        let batches = Array(loader.epoch(3))
        XCTAssertEqual(batches.map(\.labels.count), [4, 4, 2])
        XCTAssertNil(batches[0].targets)
        XCTAssertEqual(batches[1].x.array, try loader.batch(epoch: 3, 1).x.array)
        // Taking one batch and dropping the rest must not hang or leak workers.
        var first: Batch?
        for batch in loader.epoch(4) {
            first = batch
            break
        }
        XCTAssertNotNil(first)
        XCTAssertThrowsError(try BatchLoader(fresh: try examples())) { error in
            XCTAssertEqual(
                "\(error)", "examples_per_epoch: without a cache, expected at least 1 example per epoch, got 0")
        }
    }

    /// Data-parallel sharding: the shards of each global batch, put back together, are that
    /// batch as one process builds it (examples, labels and augmentation draws alike).
    func testShardsOfEveryBatchMakeUpTheWholeBatch() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fresh = try examples()
        let cache = try SpectrogramCache.prepare(folder: folder, examples: fresh, perSong: 2)
        var options = LoaderOptions()
        (options.batchSize, options.freshFraction, options.seed, options.dropLast) = (5, 0.5, 9, true)
        let pipeline = try SpectrogramPipeline([(SpectrogramMask(.time, width: 0...5), probability: 0.5)])
        let whole = try BatchLoader(cache: cache, fresh: fresh, options: options, spectrogramAugmentation: pipeline)
        let shards = try (0..<2).map { shard in
            var o = options
            (o.shard, o.shards) = (shard, 2)
            return try BatchLoader(cache: cache, fresh: fresh, options: o, spectrogramAugmentation: pipeline)
        }
        XCTAssertEqual(shards.map(\.batchesPerEpoch), [whole.batchesPerEpoch, whole.batchesPerEpoch])
        for b in 0..<whole.batchesPerEpoch {
            let one = try whole.batch(epoch: 1, b)
            let parts = try shards.map { try $0.batch(epoch: 1, b) }
            XCTAssertEqual(parts.map(\.labels.count), [2, 3])
            XCTAssertEqual(parts.flatMap(\.labels), one.labels)
            XCTAssertEqual(parts.flatMap(\.x.array), one.x.array)
        }
        var o = options
        // A last batch of 1 example for 4 processes.
        (o.batchSize, o.dropLast, o.shard, o.shards) = (cache.count - 1, false, 0, 4)
        XCTAssertThrowsError(try BatchLoader(cache: cache, fresh: fresh, options: o)) { error in
            XCTAssertTrue("\(error)".contains("cannot be split over 4 processes"), "\(error)")
        }
        (o.batchSize, o.shards, o.dropLast) = (2, 3, true)
        XCTAssertThrowsError(try BatchLoader(cache: cache, fresh: fresh, options: o)) { error in
            XCTAssertTrue("\(error)".hasPrefix("batch_size: a batch of 2 cannot be split over 3"), "\(error)")
        }
    }

    /// A fresh loader with the mixing options on: fresh mashups every epoch (tempo-aligned,
    /// stems equalised, an audio augmentation), the same batches for a seed whatever the worker count, and no
    /// example seen twice, within an epoch or across epochs.
    func testFreshLoaderIsDeterministicAndNeverRepeatsAnExample() throws {
        var recipe = MashupOptions()
        recipe.cropSeconds = 1...2
        recipe.tempoAlign = true
        recipe.stemEQ = 0.5
        var input = ModelInputOptions()
        input.seconds = 2
        let bank = try DataFixture.bank.get()
        let split = try DataSplit(bank.dataSet, seed: 1)
        let fresh = FreshExamples(
            builder: try MashupBuilder(bank: bank, songs: split.train, options: recipe, seed: 9),
            input: try ModelInput(input),
            augmentation: try AudioPipeline([(try Equalizer(), probability: 0.5)]))
        var options = LoaderOptions()
        options.batchSize = 4
        options.examplesPerEpoch = 12
        options.seed = 3
        func epochs(workers: Int) throws -> [[[Float]]] {
            options.workers = workers
            let loader = try BatchLoader(fresh: fresh, options: options)
            return (1...2).map { e in
                loader.epoch(e).flatMap { batch in
                    (0..<batch.labels.count).map { n in Array(batch.x.array[(n * 128 * 87)..<((n + 1) * 128 * 87)]) }
                }
            }
        }
        let one = try epochs(workers: 1)
        XCTAssertEqual(one, try epochs(workers: 3))
        let all = one.flatMap { $0 }
        XCTAssertEqual(all.count, 24)
        XCTAssertEqual(Set(all.map { $0.map(\.bitPattern) }).count, all.count, "an example repeated")
    }

    /// A stem equaliser that never fires leaves every mashup as the builder made it without
    /// one; one that always fires changes them.
    func testStemEqualiserChangesMashupsOnlyWhenItFires() throws {
        let bank = try DataFixture.bank.get()
        var recipe = MashupOptions()
        recipe.cropSeconds = 1...1
        recipe.noiseClips = 0...0
        func audio(_ p: Double) throws -> [Float] {
            recipe.stemEQ = p
            return try MashupBuilder(bank: bank, options: recipe, seed: 4).example(7).audio.samples
        }
        let plain = try audio(0)
        XCTAssertNotEqual(plain, try audio(1))
        recipe.stemEQ = 2
        XCTAssertThrowsError(try MashupBuilder(bank: bank, options: recipe, seed: 4)) { error in
            XCTAssertTrue("\(error)".hasPrefix("stem_eq:"), "\(error)")
        }
    }

    func testTestMashupsAreLoadedFittedAndCutIntoViews() throws {
        let set = try DataFixture.dataSet()
        var options = ModelInputOptions()
        options.seconds = 20
        let test = try TestMashups(set, input: try ModelInput(options), views: 3, shiftSeconds: 2)
        let batches = try test.batches(0..<3)
        XCTAssertEqual(batches.count, 3)
        XCTAssertEqual(batches[0].x.shape, [3, 1, 128, 862])
        let audio = try AudioFile.load(set.test[1].path)
        XCTAssertEqual(test.view(audio.samples, 2)[0], audio.samples[2 * 2 * 22_050])
        let direct = try ModelInput(options).spectrogram(audio)
        XCTAssertEqual(Array(batches[0].x.array[(128 * 862)..<(2 * 128 * 862)]), direct.values)
        XCTAssertNotEqual(batches[1].x.array, batches[0].x.array)
        XCTAssertEqual(test.ids, (1...SynthConfig.tiny.mashups).map(String.init))
    }
}
