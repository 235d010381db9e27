import Foundation
import XCTest

@testable import Native

/// The stem bank, the split by song and the mashup builder on the tiny synthetic set.
final class DataBuilderTests: XCTestCase {
    func bank() throws -> StemBank { try DataFixture.bank.get() }

    func testStemBankHoldsEveryStemMonoAt22kHz() throws {
        let bank = try bank()
        XCTAssertEqual(bank.stems.count, 30)
        XCTAssertTrue(bank.stems.allSatisfy { $0.count == 4 })
        // 4 s at 44.1 kHz resampled to 22.05 kHz.
        XCTAssertEqual(bank.stems[0][0].count, 4 * 22_050)
        XCTAssertEqual(bank.noise.count, SynthConfig.tiny.noiseClips)
        XCTAssertEqual(bank.noise[0].count, 5 * 22_050)
        let loaded = try AudioFile.load(bank.dataSet.songs[3].stems[1])
        XCTAssertEqual(bank.stems[3][1].floats, loaded.samples)
        XCTAssertEqual(bank.bytes, (30 * 4 * 4 * 22_050 + 10 * 5 * 22_050) * 4)
    }

    func testFloat16BankIsHalfTheSizeAndCloseToFloat32() throws {
        var options = StemBankOptions()
        options.precision = .float16
        let half = try StemBank(try DataFixture.dataSet(), options: options)
        let full = try bank()
        XCTAssertEqual(half.bytes * 2, full.bytes)
        let (a, b) = (half.stems[5][2].floats, full.stems[5][2].floats)
        let worst = zip(a, b).map { abs($0 - $1) / max(abs($1), 1e-3) }.max()!
        XCTAssertLessThan(worst, 1e-3)
    }

    func testMemoryBudgetIsCheckedBeforeDecoding() throws {
        var options = StemBankOptions()
        options.memoryBudget = 1 << 20
        options.precision = .float32
        XCTAssertThrowsError(try StemBank(try DataFixture.dataSet(), options: options)) { error in
            XCTAssertEqual(
                "\(error)",
                "memory_budget: the 130 stems and noise clips need 0.04 GiB at float32 (0.02 GiB at float16), more than the budget of 0.00 GiB; raise memory_budget or choose precision float16"
            )
        }
        options.precision = nil
        XCTAssertThrowsError(try StemBank(try DataFixture.dataSet(), options: options)) { error in
            XCTAssertEqual(
                "\(error)",
                "memory_budget: the 130 stems and noise clips need 0.02 GiB at float16 (0.02 GiB at float16), more than the budget of 0.00 GiB; raise memory_budget"
            )
        }
    }

    func testAutomaticPrecisionIsFloat32WhenItFitsAndFloat16Otherwise() throws {
        let set = try DataFixture.dataSet()
        let samples = (30 * 4 * 4 * 22_050 + 10 * 5 * 22_050)
        var options = StemBankOptions()
        XCTAssertEqual(try StemBank(set, options: options).precision, .float32)
        options.memoryBudget = samples * 3  // room for float16 only
        let bank = try StemBank(set, options: options)
        XCTAssertEqual(bank.precision, .float16)
        XCTAssertEqual(bank.options.precision, .float16, "the cache key sees the precision actually used")
        XCTAssertEqual(bank.bytes, samples * 2)
    }

    func testSplitIsBySongStratifiedAndSeeded() throws {
        let set = try DataFixture.dataSet()
        let split = try DataSplit(set, validationFraction: 0.15, seed: 7)
        XCTAssertEqual(Set(split.train).intersection(split.validation), [])
        XCTAssertEqual((split.train + split.validation).sorted(), Array(0..<30))
        // round(0.15 x 3) = 0, raised to one song per genre so every genre is validated.
        XCTAssertEqual(split.validation.map { set.songs[$0].genre.rawValue }.sorted(), Array(0..<10))
        XCTAssertEqual(try DataSplit(set, seed: 7), split)
        XCTAssertNotEqual(try DataSplit(set, seed: 8), split)
        XCTAssertThrowsError(try DataSplit(set, validationFraction: 1.5, seed: 1)) { error in
            XCTAssertEqual("\(error)", "validation_split: expected a fraction in [0, 1), got 1.5")
        }
    }

    func testKFoldValidatesEverySongExactlyOnce() throws {
        let set = try DataFixture.dataSet()
        let folds = try DataSplit.folds(set, k: 3, seed: 1)
        XCTAssertEqual(folds.flatMap(\.validation).sorted(), Array(0..<30))
        for fold in folds {
            XCTAssertEqual(fold.validation.count, 10)
            XCTAssertEqual(Set(fold.train).intersection(fold.validation), [])
            XCTAssertEqual(fold.train.count + fold.validation.count, 30)
        }
    }

    func testTrainingMashupsUseOnlyTrainingSongs() throws {
        let bank = try bank()
        let split = try DataSplit(bank.dataSet, seed: 3)
        var options = MashupOptions()
        options.cropSeconds = 1...2
        let builder = try MashupBuilder(bank: bank, songs: split.train, options: options, seed: 11)
        let train = Set(split.train)
        for k in 0..<100 {
            let example = try builder.example(k)
            for song in example.songs.compactMap({ $0 }) {
                XCTAssertTrue(train.contains(song), "example \(k) uses validation song \(song)")
                XCTAssertEqual(bank.dataSet.songs[song].genre, example.genre)
            }
        }
    }

    func testDrawsStayInTheirRangesOverManyExamples() throws {
        var options = MashupOptions()
        options.cropSeconds = 1...2
        let builder = try MashupBuilder(bank: try bank(), options: options, seed: 5)
        var counts = [0, 0, 0, 0]
        var intensities: [Double] = []
        var volumes: [Float] = []
        var distinct = 0
        for k in 0..<300 {
            let e = try builder.example(k)
            volumes += e.volumes
            counts[e.noise.count] += 1
            intensities += e.noise.map(\.level)
            XCTAssertTrue((1...2).contains(e.seconds))
            XCTAssertEqual(e.audio.samples.count, Int(e.seconds * 22_050))
            XCTAssertEqual(peak(e.audio.samples), 0.98, accuracy: 1e-6)
            if Set(e.songs.compactMap { $0 }).count == 3 { distinct += 1 }
        }
        XCTAssertEqual(counts[0], 0)
        XCTAssertTrue(counts[1...3].allSatisfy { $0 > 70 }, "\(counts)")
        XCTAssertTrue(volumes.allSatisfy { (0.4...1.0).contains($0) })
        XCTAssertEqual(Double(volumes.reduce(0, +)) / Double(volumes.count), 0.7, accuracy: 0.02)
        XCTAssertTrue(intensities.allSatisfy { (0.05...0.35).contains($0) })
        XCTAssertEqual(intensities.reduce(0, +) / Double(intensities.count), 0.2, accuracy: 0.015)
        // Three songs per genre: the four stems always come from all three.
        XCTAssertEqual(distinct, 300)
    }

    func testDefaultCropMirrorsTheTestLengths() throws {
        let builder = try MashupBuilder(bank: try bank(), seed: 9)
        for k in 0..<4 {
            let e = try builder.example(k)
            XCTAssertTrue((15.84...30.0).contains(e.seconds))
            XCTAssertEqual(e.audio.samples.count, Int(e.seconds * 22_050))
        }
    }

    func testNoiseClipSitsAtTheDrawnIntensityOfTheMusicPeak() throws {
        var quiet = MashupOptions()
        // Longer than the 5 s clips, so the looped clip reaches its own peak.
        quiet.cropSeconds = 6...6
        quiet.normalization = .none
        quiet.noiseClips = 0...0
        var noisy = quiet
        noisy.noiseClips = 1...1
        let music = try MashupBuilder(bank: try bank(), options: quiet, seed: 2).example(4)
        let mixed = try MashupBuilder(bank: try bank(), options: noisy, seed: 2).example(4)
        XCTAssertEqual(music.songs, mixed.songs)
        let noise = zip(mixed.audio.samples, music.audio.samples).map { $0 - $1 }
        XCTAssertEqual(Double(peak(noise) / peak(music.audio.samples)), mixed.noise[0].level, accuracy: 1e-4)
    }

    func testSNRModeMixesTheNoiseBedAtTheDrawnRatio() throws {
        var quiet = MashupOptions()
        quiet.cropSeconds = 2...2
        quiet.normalization = .none
        quiet.noiseClips = 0...0
        quiet.noiseMode = .snr
        var noisy = quiet
        noisy.noiseClips = 2...2
        let music = try MashupBuilder(bank: try bank(), options: quiet, seed: 2).example(8)
        let mixed = try MashupBuilder(bank: try bank(), options: noisy, seed: 2).example(8)
        let noise = zip(mixed.audio.samples, music.audio.samples).map { $0 - $1 }
        let snr = 10 * log10(meanSquare(music.audio.samples) / meanSquare(noise))
        XCTAssertEqual(snr, mixed.noise[0].level, accuracy: 0.01)
        XCTAssertTrue((0...15).contains(mixed.noise[0].level))
    }

    func testStemDropoutKeepsOtherAndSameSongUsesOneSong() throws {
        var options = MashupOptions()
        options.cropSeconds = 1...1
        options.stemDropout = 1
        options.sameSong = 1
        let builder = try MashupBuilder(bank: try bank(), options: options, seed: 4)
        for k in 0..<20 {
            let e = try builder.example(k)
            XCTAssertEqual(e.songs[0...2].compactMap { $0 }, [])
            XCTAssertNotNil(e.songs[3])
        }
        options.stemDropout = 0
        let same = try MashupBuilder(bank: try bank(), options: options, seed: 4).example(1)
        XCTAssertEqual(Set(same.songs.compactMap { $0 }).count, 1)
    }

    func testExamplesAreDeterministicAndIndependentOfThreads() throws {
        var options = MashupOptions()
        options.cropSeconds = 1...3
        options.tempoAlign = true
        let builder = try MashupBuilder(bank: try bank(), options: options, seed: 21)
        let saved = Engine.threads
        defer { Engine.threads = saved }
        var runs: [[[Float]]] = []
        for threads in [1, 2] {
            Engine.threads = threads
            var out = [[Float]](repeating: [], count: 8)
            let results = SendableBox(out)
            Engine.parallelFor(8) { k in results.set(k, (try? builder.example(7 - k).audio.samples) ?? []) }
            out = results.values
            runs.append(out)
        }
        XCTAssertEqual(runs[0], runs[1])
        XCTAssertEqual(runs[0][3], try builder.example(4).audio.samples)
        XCTAssertNotEqual(
            runs[0][3], try MashupBuilder(bank: try bank(), options: options, seed: 22).example(4).audio.samples)
    }

    func testTempoOfAClickTrack() {
        let rate = 22_050
        var clicks = [Float](repeating: 0, count: 12 * rate)
        let period = 60.0 / 100 * Double(rate)
        var t = 0.0
        while Int(t) + 200 < clicks.count {
            for i in 0..<200 { clicks[Int(t) + i] = Float(sin(Double(i) * 0.3) * exp(-Double(i) / 40)) }
            t += period
        }
        XCTAssertEqual(TempoEstimator.bpm(clicks, rate: rate) ?? 0, 100, accuracy: 1.5)
        XCTAssertNil(TempoEstimator.bpm([Float](repeating: 0, count: rate), rate: rate))
    }

    func testTempoOfSynthesisedDrumsWithinTwoPercentUpToOctavesForMostGenres() throws {
        var right: [Genre] = []
        for genre in Genre.allCases where genre != .classical {
            let song = SynthSong.make(genre: genre, index: 2, seconds: 12, base: Random(seed: 99))
            let drums = try song.stems[.drums]!.mono().resampled(to: 22_050)
            let bpm = try XCTUnwrap(TempoEstimator.bpm(drums.samples, rate: 22_050))
            var ratio = bpm / song.bpm
            while ratio > 2.squareRoot() { ratio /= 2 }
            while ratio < 1 / 2.squareRoot() { ratio *= 2 }
            if abs(ratio - 1) < 0.02 { right.append(genre) }
        }
        // Song 2 of hip-hop is read at 2/3 of its tempo (a boom-bap kick every 1.5 beats).
        XCTAssertEqual(right, [.blues, .country, .disco, .jazz, .metal, .pop, .reggae, .rock])
    }

    func testBadOptionsAreNamed() throws {
        var options = MashupOptions()
        options.stemVolume = -1...1
        XCTAssertThrowsError(try MashupBuilder(bank: try bank(), options: options, seed: 1)) { error in
            XCTAssertEqual("\(error)", "stem_volume: expected a range within 0.0...10.0, got -1.0...1.0")
        }
        XCTAssertThrowsError(try MashupBuilder(bank: try bank(), songs: [99], seed: 1)) { error in
            XCTAssertEqual("\(error)", "songs: song index 99 is outside the data set's 30 songs")
        }
    }
}

/// Results written by parallel workers into their own slots.
final class SendableBox<T: Sendable>: @unchecked Sendable {
    // Only used from tests, each index written by one worker, read after the workers joined.
    private(set) var values: [T]
    init(_ values: [T]) { self.values = values }
    func set(_ i: Int, _ value: T) { values.withUnsafeMutableBufferPointer { $0[i] = value } }
}
