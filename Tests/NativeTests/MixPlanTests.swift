import Foundation
import XCTest

@testable import Native

/// The one mixing routine: the training builder and the synthetic test set both turn their
/// draws into a `MixPlan`, and the same draws give the same samples, the ones the competition's
/// formula gives (checked against a straightforward sum written here in double precision).
final class MixPlanTests: XCTestCase {
    func bank() throws -> StemBank { try DataFixture.bank.get() }

    /// The competition's mix of a plan's draws, sample by sample in double precision.
    func reference(_ plan: MixPlan) -> [Double] {
        func at(_ x: [Float], _ i: Int) -> Double { Double(x[i % x.count]) }
        var music = [Double](repeating: 0, count: plan.length)
        for layer in plan.stems {
            let x = layer.samples.floats
            for i in 0..<plan.length where layer.looped || layer.offset + i < x.count {
                music[i] += Double(layer.gain) * at(x, layer.offset + i)
            }
        }
        let musicPeak = max(music.map(abs).max() ?? 0, 1e-3)
        var bed = [Double](repeating: 0, count: plan.length)
        for clip in plan.noise where clip.peak > 0 {
            let x = clip.samples.floats
            let gain = plan.noiseLevel == .peak ? clip.intensity * musicPeak / Double(clip.peak) : 1 / Double(clip.peak)
            for i in 0..<plan.length { bed[i] += gain * at(x, clip.offset + i) }
        }
        var g = 1.0
        if case .snr(let snr) = plan.noiseLevel {
            let pm = music.map { $0 * $0 }.reduce(0, +)
            let pb = bed.map { $0 * $0 }.reduce(0, +)
            g = pb > 0 ? (pm / (pb * pow(10, snr / 10))).squareRoot() : 0
        }
        var mix = zip(music, bed).map { $0 + g * $1 }
        switch plan.level {
        case .peak(let target):
            let p = mix.map(abs).max() ?? 0
            if p > 0 { mix = mix.map { $0 * target / p } }
        case .rms(let dB):
            let rms = (mix.map { $0 * $0 }.reduce(0, +) / Double(mix.count)).squareRoot()
            if rms > 0 { mix = mix.map { $0 * pow(10, dB / 20) / rms } }
        case .none: break
        }
        return mix
    }

    func assertClose(_ a: [Float], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 2e-6, what, file: file, line: line)
    }

    func testTrainingMashupsAreTheirDrawsMixedByTheFormula() throws {
        var variants: [(String, MashupOptions)] = []
        var options = MashupOptions()
        options.cropSeconds = 1...3
        variants.append(("seed recipe", options))
        options.noiseMode = .snr
        options.normalization = .rms
        variants.append(("snr, rms", options))
        options = MashupOptions()
        options.cropSeconds = 1...2
        options.stemEQ = 1
        options.tempoAlign = true
        options.stemDropout = 0.5
        variants.append(("eq, tempo, dropout", options))
        for (name, options) in variants {
            let builder = try MashupBuilder(bank: try bank(), options: options, seed: 9)
            for k in 0..<4 {
                let plan = try builder.plan(k)
                let example = try builder.example(k)
                XCTAssertEqual(example.audio.samples, plan.render(), "\(name), example \(k)")
                if options.noiseMode == .peak {
                    XCTAssertEqual(plan.noise.map(\.intensity), example.noise.map(\.level))
                }
                assertClose(example.audio.samples, reference(plan), "\(name), example \(k)")
            }
        }
    }

    func testTestSetMashupsAreTheirDrawsMixedByTheSameFormula() throws {
        let bank = try bank()
        // Four songs of one genre at different tempi (so stems are stretched and cut to whole
        // bars) and three noise clips, as the synthetic test set mixes them.
        let songs = Array(0..<3)
        let sources = songs.map { song in
            MashupSource(bpm: [96, 120, 141][song], stems: bank.stems[song].map(\.floats))
        }
        let noise = (0..<3).map { bank.noise[$0].floats }
        let recipe = MashupRecipe(
            id: 7, genre: bank.dataSet.songs[0].genre, songs: [0, 1, 2, 1], volumes: [0.5, 0.9, 0.7, 0.4],
            noise: [(clip: 0, intensity: 0.3), (clip: 2, intensity: 0.1)], seconds: 2.5)
        let seed = Random(seed: 3)
        let plan = recipe.plan(sources: sources, noiseClips: noise, seed: seed)
        XCTAssertEqual(plan.stems.map(\.gain), recipe.volumes)
        XCTAssertEqual(plan.noise.map(\.intensity), [0.3, 0.1].map { Double(Float($0)) })
        XCTAssertEqual(plan.level, .peak(0.98))
        // Every stem starts on a bar line of the drums' tempo (96 bpm: 55,125 samples a bar).
        let bar = 4 * 60 / 96.0 * 22_050
        for layer in plan.stems {
            XCTAssertEqual(Double(layer.offset) / bar, (Double(layer.offset) / bar).rounded(), accuracy: 1e-3)
        }
        let mixed = recipe.mix(sources: sources, noiseClips: noise, seed: seed)
        XCTAssertEqual(mixed, plan.render())
        assertClose(mixed, reference(plan), "test-set mashup")
        XCTAssertEqual(Double(peak(mixed)), 0.98, accuracy: 1e-6)
    }

    /// A layer that is not looped ends in silence; a looped one wraps around.
    func testLayersLoopOrEndInSilence() {
        let x = StoredSamples([1, 2, 3], precision: .float32)
        var plan = MixPlan(length: 5)
        plan.level = .none
        plan.stems = [MixPlan.Layer(x, offset: 1, gain: 2)]
        XCTAssertEqual(plan.render(), [4, 6, 2, 4, 6])
        plan.stems = [MixPlan.Layer(x, offset: 1, gain: 2, looped: false)]
        XCTAssertEqual(plan.render(), [4, 6, 0, 0, 0])
        plan.noise = [MixPlan.Noise(StoredSamples([0, 1], precision: .float32), offset: 0, peak: 1, intensity: 0.5)]
        // Each clip's peak at half the music's (6): 0, 3, 0, 3, 0 added.
        XCTAssertEqual(plan.render(), [4, 9, 0, 3, 0])
    }
}
