import Foundation
import Native
import XCTest

final class AudioTests: XCTestCase {
    func testMonoIsTheMeanOfTheChannels() {
        let stereo = Audio(samples: [1, 0, 0.5, -0.5, -1, 0.25], channels: 2, rate: 8000)
        let mono = stereo.mono()
        XCTAssertEqual(mono.channels, 1)
        XCTAssertEqual(mono.rate, 8000)
        XCTAssertEqual(mono.samples, [0.5, 0, -0.375])
    }

    func testMonoOfMonoIsUnchanged() {
        let audio = Audio(samples: [0.1, 0.2, 0.3], channels: 1, rate: 100)
        XCTAssertEqual(audio.mono(), audio)
    }

    func testFramesAndDurationFollowFromSamples() {
        let audio = Audio(samples: [Float](repeating: 0, count: 44100 * 2), channels: 2, rate: 22050)
        XCTAssertEqual(audio.frames, 44100)
        XCTAssertEqual(audio.duration, 2.0)
    }

    func testCheckingInitRejectsPartialFrames() {
        XCTAssertThrowsError(try Audio(checking: [0, 0, 0], channels: 2, rate: 100)) { error in
            XCTAssertTrue("\(error)".contains("samples"), "\(error)")
        }
        XCTAssertThrowsError(try Audio(checking: [0], channels: 1, rate: 0)) { error in
            XCTAssertTrue("\(error)".hasPrefix("rate:"), "\(error)")
        }
    }

    func testInfoReadsTheHeaderOfAStereoPCM16Wav() throws {
        let info = try AudioFile.info(DSPFixtures.path("stereo44k.wav"))
        XCTAssertEqual(info.frames, 11025)
        XCTAssertEqual(info.channels, 2)
        XCTAssertEqual(info.rate, 44100)
        XCTAssertEqual(info.format, "WAV PCM_16")
        XCTAssertEqual(info.duration, 0.25)
    }

    func testInfoReadsTheHeaderOfA24BitFlac() throws {
        let info = try AudioFile.info(DSPFixtures.path("mono48k_24.flac"))
        XCTAssertEqual(info.frames, 14400)
        XCTAssertEqual(info.channels, 1)
        XCTAssertEqual(info.rate, 48000)
        XCTAssertEqual(info.format, "FLAC PCM_24")
    }

    /// librosa.load(path, sr=22050, mono=True): decode, mean of channels, soxr HQ, fix_length.
    func testStereoWavLoadsAsLibrosaLoadsIt() throws {
        let expected = try DSPFixtures.array("stereo44k", "input")
        let audio = try AudioFile.read(DSPFixtures.path("stereo44k.wav")).mono().resampled(to: 22050)
        XCTAssertEqual(audio.rate, 22050)
        XCTAssertEqual(audio.channels, 1)
        assertClose(audio.samples, expected.values, within: 1e-4, "stereo 44.1 kHz WAV -> 22050 mono")
    }

    func testLoadIsDecodeDownmixResample() throws {
        let expected = try DSPFixtures.array("stereo44k", "input")
        let audio = try AudioFile.load(DSPFixtures.path("stereo44k.wav"))
        XCTAssertEqual([audio.channels, audio.rate], [1, 22050])
        assertClose(audio.samples, expected.values, within: 1e-4, "AudioFile.load")
        let native = try AudioFile.load(DSPFixtures.path("stereo44k.wav"), rate: nil, mono: false)
        XCTAssertEqual([native.channels, native.rate, native.frames], [2, 44100, 11025])
    }

    func testFlac48kLoadsAsLibrosaLoadsIt() throws {
        let expected = try DSPFixtures.array("mono48k_24", "input")
        let audio = try AudioFile.read(DSPFixtures.path("mono48k_24.flac")).resampled(to: 22050)
        assertClose(audio.samples, expected.values, within: 1e-4, "24-bit FLAC 48 kHz -> 22050")
    }

    func testResamplingToTheSameRateIsTheIdentity() throws {
        let audio = Audio(samples: [0.1, -0.2, 0.3], channels: 1, rate: 22050)
        XCTAssertEqual(try audio.resampled(to: 22050), audio)
    }

    func testResampledLengthIsCeilOfTheRatio() throws {
        let audio = Audio(samples: [Float](repeating: 0.25, count: 1001), channels: 1, rate: 48000)
        XCTAssertEqual(try audio.resampled(to: 22050).frames, 460)  // ceil(1001 * 22050 / 48000)
        XCTAssertEqual(try audio.resampled(to: 96000, quality: .quick).frames, 2002)
    }

    func testResamplingToANonPositiveRateThrows() {
        let audio = Audio(samples: [0, 0], channels: 1, rate: 22050)
        XCTAssertThrowsError(try audio.resampled(to: 0)) { error in
            XCTAssertTrue("\(error)".hasPrefix("rate:"), "\(error)")
        }
    }

    func testPartialReadSeeksToTheOffset() throws {
        let path = DSPFixtures.path("stereo44k.wav")
        let whole = try AudioFile.read(path)
        let part = try AudioFile.read(path, offset: 0.1, duration: 0.05)
        let start = Int(0.1 * 44100.0)
        let count = Int(0.05 * 44100.0)
        XCTAssertEqual(part.frames, count)
        XCTAssertEqual(part.samples, Array(whole.samples[(start * 2)..<((start + count) * 2)]))
    }

    func testPartialReadStopsAtTheEnd() throws {
        let part = try AudioFile.read(DSPFixtures.path("stereo44k.wav"), offset: 0.2, duration: 10)
        XCTAssertEqual(part.frames, 11025 - 8820)
    }

    func testOffsetPastTheEndThrows() {
        XCTAssertThrowsError(try AudioFile.read(DSPFixtures.path("stereo44k.wav"), offset: 1.0)) { error in
            XCTAssertTrue("\(error)".contains("past the end"), "\(error)")
        }
        XCTAssertThrowsError(try AudioFile.read(DSPFixtures.path("stereo44k.wav"), duration: -1)) { error in
            XCTAssertTrue("\(error)".hasPrefix("duration:"), "\(error)")
        }
    }

    func testPCM16RoundTripQuantizesToSixteenBits() throws {
        let folder = try DSPFixtures.scratch(self)
        let path = folder.appendingPathComponent("a.wav").path
        let audio = Audio(samples: (0..<2000).map { sin(Float($0) * 0.01) * 0.9 }, channels: 2, rate: 16000)
        try AudioFile.write(audio, to: path)
        XCTAssertEqual(try AudioFile.info(path).format, "WAV PCM_16")
        let back = try AudioFile.read(path)
        XCTAssertEqual(back.channels, 2)
        XCTAssertEqual(back.rate, 16000)
        // libsndfile writes floor(x * 32768) and reads n / 32768.
        assertClose(back.samples, audio.samples, within: 1.0 / 32768, "PCM16 round trip")
    }

    func testFloatWavRoundTripIsExact() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("f.wav").path
        let audio = Audio(samples: [0.1, -1.5, 2.0, 1e-9], channels: 1, rate: 44100)
        try AudioFile.write(audio, to: path, format: .wavFloat)
        XCTAssertEqual(try AudioFile.read(path), audio)
    }

    func testFlacRoundTripKeeps24Bits() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("x.flac").path
        let audio = Audio(samples: (0..<3000).map { cos(Float($0) * 0.003) * 0.5 }, channels: 3, rate: 48000)
        try AudioFile.write(audio, to: path)
        XCTAssertEqual(try AudioFile.info(path).format, "FLAC PCM_24")
        assertClose(try AudioFile.read(path).samples, audio.samples, within: 2.0 / 8_388_607, "FLAC 24 round trip")
    }

    func testIntegerFormatsClipInsteadOfWrapping() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("clip.wav").path
        try AudioFile.write(Audio(samples: [1.5, -3], channels: 1, rate: 8000), to: path)
        let back = try AudioFile.read(path).samples
        XCTAssertGreaterThan(back[0], 0.999)
        XCTAssertEqual(back[1], -1)
    }

    func testWriteLeavesNoTemporaryFileBehind() throws {
        let folder = try DSPFixtures.scratch(self)
        try AudioFile.write(
            Audio(samples: [0, 0.5], channels: 1, rate: 8000), to: folder.appendingPathComponent("a.wav").path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["a.wav"])
    }

    func testWriteRefusesAnUnknownExtension() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("a.mp4").path
        XCTAssertThrowsError(try AudioFile.write(Audio(samples: [0], channels: 1, rate: 8000), to: path)) { error in
            XCTAssertTrue("\(error)".contains("a.mp4") && "\(error)".contains(".wav or .flac"), "\(error)")
        }
    }

    func testWriteRefusesNonFiniteSamples() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("nan.wav").path
        XCTAssertThrowsError(try AudioFile.write(Audio(samples: [0, .nan], channels: 1, rate: 8000), to: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testWriteIntoAMissingFolderNamesThePath() {
        let path = "/nonexistent-mashup-folder/a.wav"
        XCTAssertThrowsError(try AudioFile.write(Audio(samples: [0], channels: 1, rate: 8000), to: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    func testMissingFileErrorNamesThePath() {
        XCTAssertThrowsError(try AudioFile.read("/no/such/file.wav")) { error in
            XCTAssertEqual("\(error)", "/no/such/file.wav: no such file")
        }
    }

    func testNonAudioFileIsRejected() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("notes.wav").path
        try Data("this is not audio at all, just text".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try AudioFile.info(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path) && "\(error)".contains("not a readable audio file"), "\(error)")
        }
    }

    func testTruncatedWavIsRejected() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("cut.wav").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: DSPFixtures.path("stereo44k.wav")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try AudioFile.read(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path) && "\(error)".contains("truncated"), "\(error)")
        }
    }

    func testTruncatedFlacIsRejected() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("cut.flac").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: DSPFixtures.path("mono48k_24.flac")))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try AudioFile.read(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
        }
    }

    func testWavWithoutFramesIsRejected() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("empty.wav").path
        // A canonical 44-byte WAV header whose data chunk is empty.
        var header = Data("RIFF".utf8) + le32(36) + Data("WAVEfmt ".utf8) + le32(16)
        header += le16(1) + le16(1) + le32(8000) + le32(16000) + le16(2) + le16(16) + Data("data".utf8) + le32(0)
        try header.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try AudioFile.read(path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path) && "\(error)".contains("no audio frames"), "\(error)")
        }
    }

    func testFloatWavWithNaNOrInfinityIsRejectedWithWhere() throws {
        let folder = try DSPFixtures.scratch(self)
        for (name, bad) in [("nan", Float.nan), ("inf", -Float.infinity)] {
            let path = folder.appendingPathComponent("\(name).wav").path
            // A stereo IEEE-float WAV of 3 frames; the bad value is frame 2 (0-based 1), channel 2.
            let samples: [Float] = [0.1, 0.2, 0.3, bad, 0.5, 0.6]
            var file = Data("RIFF".utf8) + le32(36 + 24) + Data("WAVEfmt ".utf8) + le32(16)
            file += le16(3) + le16(2) + le32(8000) + le32(64000) + le16(8) + le16(32) + Data("data".utf8) + le32(24)
            for s in samples { file += withUnsafeBytes(of: s.bitPattern.littleEndian) { Data($0) } }
            try file.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try AudioFile.read(path)) { error in
                XCTAssertTrue(
                    "\(error)".hasPrefix(path) && "\(error)".contains("at frame 1, channel 2: expected finite samples"),
                    "\(error)")
            }
            XCTAssertThrowsError(try AudioFile.load(path))
            XCTAssertEqual(try AudioFile.read(path, duration: 1.0 / 8000).samples, [0.1, 0.2], "a clean part loads")
        }
    }

    private func le32(_ v: UInt32) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
    private func le16(_ v: UInt16) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
}

final class AudioPCM16Tests: XCTestCase {
    /// libsndfile (1.2, as python-soundfile uses it too) writes n = floor(x * 32768), clipped
    /// to [-32768, 32767] here, and decodes n / 32768.
    func testPCM16DecodesToExactlyNOver32768() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("q.wav").path
        let written: [Float] = [-1, -0.5, 0, 0.25, 0.999, 1e-4, -3e-5, 1]
        try AudioFile.write(Audio(samples: written, channels: 2, rate: 8000), to: path)
        let expected = written.map { Float(min(32767, max(-32768, ($0 * 32768).rounded(.down)))) / 32768 }
        XCTAssertEqual(try AudioFile.read(path).samples, expected)
    }

    func testLongPCM16ReadCrossesChunksIntact() throws {
        let path = try DSPFixtures.scratch(self).appendingPathComponent("long.wav").path
        let frames = 40_000  // more than one 16384-frame chunk, and not a multiple of it
        let written = (0..<(frames * 2)).map { Float(($0 % 2001) - 1000) / 32768 }
        try AudioFile.write(Audio(samples: written, channels: 2, rate: 8000), to: path, format: .wavPCM16)
        let back = try AudioFile.read(path)
        XCTAssertEqual(back.frames, frames)
        // n / 32768 is written as n and read back exactly.
        XCTAssertEqual(back.samples, written)
    }
}
