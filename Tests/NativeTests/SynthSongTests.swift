import XCTest

@testable import Native

/// Musical properties that tell the genres apart, measured on the synthesised signals.
final class SynthSongTests: XCTestCase {
    let base = Random(seed: 2024)

    func rms(_ a: Audio) -> Double {
        (a.samples.reduce(0.0) { $0 + Double($1 * $1) } / Double(a.samples.count)).squareRoot()
    }

    func testClassicalDrumStemIsNearSilentAndRockDrumsAreNot() {
        let classical = SynthSong.make(genre: .classical, index: 0, seconds: 3, base: base)
        XCTAssertLessThan(rms(classical.stems[.drums]!), 0.005 * rms(classical.stems[.other]!))
        let rock = SynthSong.make(genre: .rock, index: 0, seconds: 3, base: base)
        XCTAssertGreaterThan(rms(rock.stems[.drums]!), 0.3 * rms(rock.stems[.other]!))
    }

    func testStemsAreStereoAlignedAndOfTheRequestedLength() {
        let song = SynthSong.make(genre: .reggae, index: 1, seconds: 2.5, base: base)
        for stem in Stem.allCases {
            let a = song.stems[stem]!
            XCTAssertEqual(a.channels, 2)
            XCTAssertEqual(a.rate, 44_100)
            XCTAssertEqual(a.frames, Int(2.5 * 44_100))
            XCTAssertLessThanOrEqual(a.samples.map(abs).max()!, 0.98 + 1e-6)
            XCTAssertTrue(a.samples.allSatisfy(\.isFinite))
        }
    }

    func testMetalIsFasterThanAnyJazzBallad() {
        var r = base
        let metal = (0..<200).map { _ in Groove.draw(for: .metal, &r).bpm }
        let ballads = (0..<200).map { _ in Groove.draw(for: .jazz, &r) }.filter(\.isBallad).map(\.bpm)
        XCTAssertGreaterThan(ballads.count, 40)
        XCTAssertGreaterThan(metal.min()!, ballads.max()!)
    }

    func testBluesAndJazzSwingWhileRockAndMetalPlayStraight() {
        var r = base
        for _ in 0..<50 {
            XCTAssertGreaterThanOrEqual(Groove.draw(for: .blues, &r).swing, 0.2)
            XCTAssertGreaterThanOrEqual(Groove.draw(for: .jazz, &r).swing, 0.2)
            XCTAssertLessThanOrEqual(Groove.draw(for: .rock, &r).swing, 0.05)
            XCTAssertEqual(Groove.draw(for: .metal, &r).swing, 0)
        }
    }

    func testDiscoKicksOnEveryBeat() {
        var r = base
        let groove = Groove.draw(for: .disco, &r)
        let kicks = Set(
            DrumPart.hits(genre: .disco, groove: groove, bars: 4, &r).filter { $0.voice == .kick }.map(\.beat))
        XCTAssertTrue((0..<16).allSatisfy { kicks.contains(Double($0)) })
    }

    func testSameSongIsIdenticalEachTimeAndSongsDifferWithinAGenre() {
        let a = SynthSong.make(genre: .pop, index: 3, seconds: 2, base: base)
        let b = SynthSong.make(genre: .pop, index: 3, seconds: 2, base: base)
        let c = SynthSong.make(genre: .pop, index: 4, seconds: 2, base: base)
        XCTAssertEqual(a.stems, b.stems)
        XCTAssertNotEqual(a.stems[.other], c.stems[.other])
    }

    func testSwingDelaysTheOffBeatToTwoThirds() {
        let shuffle = Groove(bpm: 60, swing: 1.0 / 3, swingsSixteenths: false, looseness: 0)
        XCTAssertEqual(shuffle.time(1.5), 1 + 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(shuffle.time(2), 2, accuracy: 1e-12)
        let straight = Groove(bpm: 120, swing: 0, swingsSixteenths: true, looseness: 0)
        XCTAssertEqual(straight.time(1.25), 0.625, accuracy: 1e-12)
    }
}
