import Foundation
import XCTest

@testable import Native

/// The Kaggle layout reader: what it indexes from the synthetic set, and the one message it
/// gives for a set broken in many ways at once.
final class DataSetTests: XCTestCase {
    func testIndexesTheSynthesisedLayout() throws {
        let set = try DataFixture.dataSet()
        XCTAssertEqual(set.songs.count, 10 * SynthConfig.tiny.songsPerGenre)
        XCTAssertEqual(set.songsByGenre.map(\.count), [Int](repeating: SynthConfig.tiny.songsPerGenre, count: 10))
        XCTAssertEqual(set.genreCounts().map(\.count), [Int](repeating: SynthConfig.tiny.songsPerGenre, count: 10))
        XCTAssertEqual(
            set.genreCounts(of: [0, set.songs.count - 1]).map { "\($0.genre) \($0.count)" }, ["blues 1", "rock 1"])
        XCTAssertEqual(set.songs[0].name, "blues.00000")
        XCTAssertEqual(
            set.songs[0].stems.map { ($0 as NSString).lastPathComponent },
            ["drums.wav", "vocals.wav", "bass.wav", "other.wav"])
        XCTAssertEqual(set.songs[0].rate, 44_100)
        XCTAssertEqual(set.songs[0].frames, Int(SynthConfig.tiny.seconds * 44_100))
        XCTAssertEqual(set.noiseClips.count, SynthConfig.tiny.noiseClips)
        XCTAssertTrue(set.noiseClips.allSatisfy { $0.category != nil && $0.rate == 44_100 })
        // Synth writes test.csv's filename column as the competition does: "mashups/song0001.wav".
        let csv = try String(contentsOfFile: set.root + "/test.csv", encoding: .utf8)
        XCTAssertTrue(csv.contains("1,mashups/song0001.wav"))
        XCTAssertEqual(set.test.count, SynthConfig.tiny.mashups)
        XCTAssertEqual(set.test[0].id, "1")
        XCTAssertEqual(set.test[0].path, set.root + "/mashups/song0001.wav")
        XCTAssertEqual(set.test[0].rate, 22_050)
        XCTAssertEqual(set.submissionIds, set.test.map(\.id))
    }

    func testByteOrderMarkCRLFAndBareFileNamesAreAccepted() throws {
        let dir = try DataFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = (1...SynthConfig.tiny.mashups).map { "\($0),song\(String(format: "%04d", $0)).wav\r\n" }
        try Data(("\u{FEFF}id,filename\r\n" + rows.joined() + "\r\n").utf8).write(
            to: URL(fileURLWithPath: dir + "/test.csv"))
        let set = try KaggleDataSet(root: dir)
        XCTAssertEqual(set.test.map(\.id), (1...SynthConfig.tiny.mashups).map(String.init))
        XCTAssertEqual(set.test[4].path, dir + "/mashups/song0005.wav")
    }

    func testReportsEveryProblemInOneError() throws {
        let dir = try DataFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        try fm.removeItem(atPath: dir + "/genres_stems/jazz")
        try fm.removeItem(atPath: dir + "/genres_stems/blues/blues.00001/vocals.wav")
        try Data("not audio at all".utf8).write(
            to: URL(fileURLWithPath: dir + "/genres_stems/rock/rock.00002/bass.wav"))
        try Data().write(to: URL(fileURLWithPath: dir + "/genres_stems/pop/pop.00000/drums.wav"))
        try AudioFile.write(
            Audio(samples: [Float](repeating: 0.1, count: 4800), channels: 1, rate: 48_000),
            to: dir + "/genres_stems/metal/metal.00000/other.wav")
        try fm.removeItem(atPath: dir + "/mashups/song0003.wav")
        var csv = try String(contentsOfFile: dir + "/test.csv", encoding: .utf8)
        csv += "7,mashups/song0007.wav\n"
        try csv.write(toFile: dir + "/test.csv", atomically: true, encoding: .utf8)

        XCTAssertThrowsError(try KaggleDataSet(root: dir)) { error in
            guard let error = error as? DataSetError else { return XCTFail("\(error)") }
            let expected = [
                "genres_stems/jazz/: missing genre folder",
                "genres_stems/blues/blues.00001/: missing vocals.wav",
                "genres_stems/rock/rock.00002/bass.wav: not a readable audio file",
                "genres_stems/pop/pop.00000/drums.wav: not a readable audio file",
                "genres_stems/metal/metal.00000/other.wav: 48000 Hz, but the other stems are 44100 Hz",
                "test.csv line 4: id 3: mashups/song0003.wav does not exist",
                "test.csv line 22: duplicate id 7 (first on line 8)",
            ]
            for text in expected {
                XCTAssertTrue(
                    error.problems.contains { $0.hasPrefix(text) }, "no problem starts with '\(text)' in\n\(error)")
            }
            XCTAssertEqual(error.problems.count, expected.count, "\(error)")
            XCTAssertTrue(error.description.contains("7 problems"))
        }
    }

    func testZeroLengthAudioIsReported() throws {
        let dir = try DataFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A valid WAV header with no frames.
        let header = try Data(contentsOf: URL(fileURLWithPath: dir + "/mashups/song0001.wav")).prefix(44)
        var wav = Data(header)
        wav.replaceSubrange(40..<44, with: [0, 0, 0, 0])
        wav.replaceSubrange(4..<8, with: [36, 0, 0, 0])
        try wav.write(to: URL(fileURLWithPath: dir + "/mashups/song0002.wav"))
        XCTAssertThrowsError(try KaggleDataSet(root: dir)) { error in
            XCTAssertTrue("\(error)".contains("mashups/song0002.wav: holds no audio frames"), "\(error)")
        }
    }

    func testMissingRootAndMissingFolders() throws {
        XCTAssertThrowsError(try KaggleDataSet(root: "/nonexistent/data")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/data: "), "\(error)")
        }
        let empty = NSTemporaryDirectory() + "data-empty-\(getpid())"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        XCTAssertThrowsError(try KaggleDataSet(root: empty)) { error in
            let problems = (error as? DataSetError)?.problems ?? []
            XCTAssertEqual(problems.count, 2, "\(error)")
            XCTAssertTrue(problems[0].hasPrefix("genres_stems/: missing folder"))
            XCTAssertTrue(problems[1].hasPrefix("ESC-50-master/audio/: missing folder"))
        }
    }
}
