import Foundation
import XCTest

@testable import Native

/// The tiny data set, generated once for the whole class, checked file by file.
final class SynthDataSetTests: XCTestCase {
    nonisolated(unsafe) static var made: (dir: String, summary: SynthSummary)?
    static let config = SynthConfig.tiny

    static func dataSet() throws -> (dir: String, summary: SynthSummary) {
        if let made { return made }
        let dir = NSTemporaryDirectory() + "synth-tiny-\(getpid())/messy_mashup"
        try? FileManager.default.removeItem(atPath: dir)
        let summary = try Synth.generate(config, into: dir)
        made = (dir, summary)
        return (dir, summary)
    }

    override class func tearDown() {
        if let made { try? FileManager.default.removeItem(atPath: (made.dir as NSString).deletingLastPathComponent) }
        made = nil
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testEveryGenreHasItsSongFoldersWithFourStems() throws {
        let (dir, _) = try Self.dataSet()
        let fm = FileManager.default
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir + "/genres_stems").sorted(), Genre.allCases.map(\.name))
        for genre in Genre.allCases {
            let songs = try fm.contentsOfDirectory(atPath: "\(dir)/genres_stems/\(genre.name)").sorted()
            XCTAssertEqual(songs, (0..<Self.config.songsPerGenre).map { "\(genre.name).0000\($0)" })
            for song in songs {
                let stems = try fm.contentsOfDirectory(atPath: "\(dir)/genres_stems/\(genre.name)/\(song)").sorted()
                XCTAssertEqual(stems, ["bass.wav", "drums.wav", "other.wav", "vocals.wav"])
            }
        }
    }

    /// The test mashups are made of songs of their own, as the competition's are: none of them
    /// is written to genres_stems, and every mashup's stems come from them.
    func testHeldOutTestSongsNeverAppearInGenresStems() throws {
        let (dir, summary) = try Self.dataSet()
        let perGenre = Self.config.testSongsPerGenre
        XCTAssertEqual(summary.testSongs.count, Genre.allCases.count * perGenre)
        let written = Set(summary.songs.map(\.folder))
        for song in summary.testSongs {
            XCTAssertGreaterThanOrEqual(song.index, Self.config.songsPerGenre)
            XCTAssertFalse(written.contains(song.folder), song.folder)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + song.folder), song.folder)
        }
        for recipe in summary.mashups {
            XCTAssertTrue(recipe.songs.allSatisfy { (0..<perGenre).contains($0) }, "\(recipe.songs)")
        }
        // The loader of the written set sees only the training songs.
        XCTAssertEqual(try KaggleDataSet(root: dir).songs.count, summary.songs.count)
        let description = try String(contentsOfFile: dir + ".synth.json", encoding: .utf8)
        XCTAssertTrue(description.contains("\"test_from_train\": false"), description)
    }

    func testTestFromTrainBuildsTheMashupsFromTheWrittenSongs() throws {
        var config = SynthConfig.tiny
        config.testFromTrain = true
        config.mashups = 10
        let dir = NSTemporaryDirectory() + "synth-from-train-\(getpid())/set"
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let summary = try Synth.generate(config, into: dir)
        XCTAssertTrue(summary.testSongs.isEmpty)
        XCTAssertEqual(summary.songs.count, Genre.allCases.count * config.songsPerGenre)
        XCTAssertTrue(summary.mashups.allSatisfy { $0.songs.allSatisfy { (0..<config.songsPerGenre).contains($0) } })
    }

    func testStemsAreStereo44kPCM16OfTheConfiguredLength() throws {
        let (dir, summary) = try Self.dataSet()
        for song in summary.songs {
            for stem in Stem.allCases {
                let info = try AudioFile.info("\(dir)/\(song.folder)/\(stem.rawValue).wav")
                XCTAssertEqual(info.channels, 2)
                XCTAssertEqual(info.rate, 44_100)
                XCTAssertEqual(info.format, "WAV PCM_16")
                XCTAssertEqual(info.frames, Int(Self.config.seconds * 44_100))
            }
        }
    }

    func testNoiseClipsFollowESC50NamingAndMeta() throws {
        let (dir, summary) = try Self.dataSet()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/ESC-50-master/audio").sorted()
        XCTAssertEqual(files.count, Self.config.noiseClips)
        let pattern = try NSRegularExpression(pattern: #"^([1-5])-(\d{6})-A-(\d{1,2})\.wav$"#)
        let meta = try lines(dir + "/ESC-50-master/meta/esc50.csv")
        XCTAssertEqual(meta.first, "filename,fold,target,category,esc10,src_file,take")
        XCTAssertEqual(meta.dropFirst().map { String($0.split(separator: ",")[0]) }, files)
        for row in meta.dropFirst() {
            let f = row.split(separator: ",").map(String.init)
            XCTAssertEqual(f.count, 7)
            let m = try XCTUnwrap(pattern.firstMatch(in: f[0], range: NSRange(f[0].startIndex..., in: f[0])))
            let part = { (k: Int) in String(f[0][Range(m.range(at: k), in: f[0])!]) }
            XCTAssertEqual(part(1), f[1])
            XCTAssertEqual(part(2), f[5])
            XCTAssertEqual(part(3), f[2])
            let category = try XCTUnwrap(NoiseCategory(rawValue: Int(f[2])!))
            XCTAssertEqual(category.name, f[3])
            XCTAssertEqual(f[4], category.esc10 ? "True" : "False")
            XCTAssertEqual(f[6], "A")
            let info = try AudioFile.info("\(dir)/ESC-50-master/audio/\(f[0])")
            XCTAssertEqual(info.channels, 1)
            XCTAssertEqual(info.rate, 44_100)
            XCTAssertEqual(info.duration, 5, accuracy: 1e-9)
        }
        XCTAssertEqual(
            Set(summary.noiseClips.map(\.category)).count, min(Self.config.noiseClips, NoiseCategory.allCases.count))
    }

    func testMashupsAreMono22kWithinTheCompetitionsLengths() throws {
        let (dir, summary) = try Self.dataSet()
        XCTAssertEqual(summary.mashups.count, Self.config.mashups)
        for recipe in summary.mashups {
            let audio = try AudioFile.read("\(dir)/\(recipe.filename)")
            XCTAssertEqual(audio.channels, 1)
            XCTAssertEqual(audio.rate, 22_050)
            XCTAssertGreaterThanOrEqual(audio.duration, 15.84)
            XCTAssertLessThanOrEqual(audio.duration, 30.01)
            let peak = audio.samples.map(abs).max()!
            XCTAssertEqual(peak, 0.98, accuracy: 0.001, "peak-normalised, not clipped")
            // Different held-out songs for the stems, as far as the genre has them.
            let songs = Self.config.testSongsPerGenre
            XCTAssertEqual(Set(recipe.songs).count, min(4, songs))
        }
    }

    func testCSVsAgreeWithTheMashupFilesAndBalanceTheGenres() throws {
        let (dir, summary) = try Self.dataSet()
        let test = try lines(dir + "/test.csv")
        let sample = try lines(dir + "/sample_submission.csv")
        let labels = try lines(dir + ".labels.csv")
        XCTAssertEqual(summary.labelsPath, dir + ".labels.csv")
        XCTAssertEqual(test.first, "id,filename")
        XCTAssertEqual(sample.first, "id,genre")
        XCTAssertEqual(labels.first, "id,genre")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/mashups").sorted()
        XCTAssertEqual(test.dropFirst().map { String($0.split(separator: ",")[1]) }, files.map { "mashups/\($0)" })
        XCTAssertEqual(test.dropFirst().first, "1,mashups/song0001.wav")
        let ids = test.dropFirst().map { $0.split(separator: ",")[0] }
        XCTAssertEqual(sample.dropFirst().map { $0.split(separator: ",")[0] }, ids)
        XCTAssertEqual(labels.dropFirst().map { $0.split(separator: ",")[0] }, ids)
        let genres = labels.dropFirst().map { Genre(name: String($0.split(separator: ",")[1])) }
        XCTAssertFalse(genres.contains(nil))
        XCTAssertTrue(sample.dropFirst().allSatisfy { Genre(name: String($0.split(separator: ",")[1])) != nil })
        let counts = Dictionary(grouping: genres.compactMap { $0 }, by: { $0 }).mapValues(\.count)
        XCTAssertEqual(counts.count, Genre.allCases.count)
        XCTAssertLessThanOrEqual(counts.values.max()! - counts.values.min()!, 1)
    }

    func testSameSeedOnOneThreadWritesIdenticalBytes() throws {
        let (dir, _) = try Self.dataSet()
        let other = (dir as NSString).deletingLastPathComponent + "/one-thread"
        let threads = Engine.threads
        Engine.threads = threads == 1 ? 2 : 1
        defer { Engine.threads = threads }
        _ = try Synth.generate(Self.config, into: other)
        let fm = FileManager.default
        let files = try XCTUnwrap(fm.subpathsOfDirectory(atPath: dir)).filter {
            $0.hasSuffix(".wav") || $0.hasSuffix(".csv")
        }.sorted()
        XCTAssertEqual(
            files,
            try fm.subpathsOfDirectory(atPath: other).filter { $0.hasSuffix(".wav") || $0.hasSuffix(".csv") }.sorted())
        XCTAssertEqual(
            files.count, 10 * Self.config.songsPerGenre * 4 + Self.config.noiseClips + Self.config.mashups + 3)
        for file in files {
            XCTAssertEqual(fm.contents(atPath: "\(dir)/\(file)"), fm.contents(atPath: "\(other)/\(file)"), file)
        }
        XCTAssertEqual(fm.contents(atPath: dir + ".labels.csv"), fm.contents(atPath: other + ".labels.csv"))
    }

    func testProgressCountsEveryItemOnce() throws {
        let dir = NSTemporaryDirectory() + "synth-progress-\(getpid())"
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? FileManager.default.removeItem(atPath: dir + ".labels.csv")
            try? FileManager.default.removeItem(atPath: dir + ".synth.json")
        }
        var config = SynthConfig(scale: .tiny, seed: 5)
        (config.songsPerGenre, config.testSongsPerGenre, config.seconds, config.mashups, config.noiseClips) = (
            1, 1, 2, 3, 2
        )
        var reports: [SynthProgress] = []
        _ = try Synth.generate(config, into: dir) { reports.append($0) }
        // Noise clips, training and held-out songs, mashups.
        XCTAssertEqual(reports.first, SynthProgress(done: 0, total: 2 + 10 + 10 + 3, stage: "noise"))
        XCTAssertEqual(reports.last?.done, 25)
        XCTAssertEqual(reports.map(\.done), reports.map(\.done).sorted())
    }

    func testAbsurdOptionsAreRejectedByName() {
        var config = SynthConfig.tiny
        config.songsPerGenre = 0
        XCTAssertThrowsError(try Synth.generate(config, into: "/tmp/never")) { error in
            XCTAssertEqual((error as? SynthError)?.subject, "songsPerGenre")
        }
        config = .tiny
        config.seconds = .nan
        XCTAssertThrowsError(try config.validate()) { XCTAssertEqual(($0 as? SynthError)?.subject, "seconds") }
        config = .tiny
        config.mashups = 10_000
        XCTAssertThrowsError(try config.validate()) { XCTAssertEqual(($0 as? SynthError)?.subject, "mashups") }
    }

    func testAFileInPlaceOfTheFolderIsAnError() throws {
        let path = NSTemporaryDirectory() + "synth-file-\(getpid())"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try Synth.generate(.tiny, into: path)) { error in
            XCTAssertTrue("\(error)".contains(path))
        }
    }
}
