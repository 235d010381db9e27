import XCTest

@testable import Native

/// What the recipe needs of a pretrained backbone beyond parity: whole clips cut into the
/// network's patches and averaged (`ClipPatches`), frozen groups that cost no backward, and
/// musicnn's representation as a model input.
final class NNPretrainedTests: XCTestCase {
    /// A musicnn small enough to run in a test: 12 bands, a few filters.
    private func tinyMusicnn(seed: UInt64 = 6) throws -> Musicnn {
        Engine.seed(seed)
        var config = MusicnnConfig()
        (config.mels, config.timbralFilters, config.temporalFilters, config.midendFilters) = (12, 4, 3, 5)
        (config.backendUnits, config.classes, config.dropout, config.temporalLengths) = (6, 4, 0.2, [8, 4, 3])
        return try Musicnn(config)
    }

    /// Clip n's patch p of x (N, 1, F, T) in the network's layout (1, 1, patch, F).
    private func patch(_ x: Tensor, clip n: Int, _ p: Int, frames: Int) -> [Float] {
        let (f, t) = (x.shape[2], x.shape[3])
        var out: [Float] = []
        for time in 0..<frames {
            for band in 0..<f {
                let source = p * frames + time
                out.append(source < t ? x.data[(n * f + band) * t + source] : 0)
            }
        }
        return out
    }

    /// The logits of clips are the mean of the network's logits on their whole patches (the
    /// tail short of a patch dropped), a patch of zeros (padding) left out of the mean, and a
    /// clip shorter than a patch zero-padded to one; the embedding likewise.
    func testClipsAreTheMeanOfTheirPatches() throws {
        let net = try tinyMusicnn()
        net.setTraining(false)
        let clips = try ClipPatches(net, patch: 10)
        let x = randomTensor([2, 1, 12, 34], seed: 1)
        for b in 0..<12 { for t in 10..<34 { x.data[(12 + b) * 34 + t] = 0 } }  // clip 2: one patch of audio
        let logits = try clips.forward(x)
        let embedding = try clips.embed(x)
        XCTAssertEqual(logits.shape, [2, 4])
        XCTAssertEqual(embedding.shape, [2, 6])

        let patches = (0..<3).flatMap { patch(x, clip: 0, $0, frames: 10) } + patch(x, clip: 1, 0, frames: 10)
        let each = try net.forward(try Tensor(shape: [4, 1, 10, 12], values: patches))
        let features = try net.embed(try Tensor(shape: [4, 1, 10, 12], values: patches))
        for c in 0..<4 {
            let mean = (0..<3).map { each.data[$0 * 4 + c] }.reduce(0, +) / 3
            XCTAssertEqual(logits.data[c], mean, accuracy: 1e-5, "clip 1: the mean of its three patches")
            XCTAssertEqual(logits.data[4 + c], each.data[12 + c], accuracy: 1e-5, "clip 2: its one patch of audio")
        }
        for k in 0..<6 {
            let mean = (0..<3).map { features.data[$0 * 6 + k] }.reduce(0, +) / 3
            XCTAssertEqual(embedding.data[k], mean, accuracy: 1e-5)
        }

        let short = randomTensor([1, 1, 12, 7], seed: 2)
        let padded = try net.forward(try Tensor(shape: [1, 1, 10, 12], values: patch(short, clip: 0, 0, frames: 10)))
        XCTAssertEqual(try clips.forward(short).array, padded.array)
        XCTAssertThrowsError(try ClipPatches(net, patch: 0))
    }

    /// Backward through the patches: the input gradient against central differences (along a
    /// random direction, as the whole-network checks do), frames outside the patches and the
    /// padding patch getting none.
    func testClipPatchesGradient() throws {
        let net = try tinyMusicnn()
        net.setTraining(false)  // running statistics: each patch's logits depend on it alone
        let clips = try ClipPatches(net, patch: 10)
        let x = randomTensor([2, 1, 12, 25], seed: 3)
        for b in 0..<12 { for t in 10..<20 { x.data[(12 + b) * 25 + t] = 0 } }  // clip 2's second patch: padding
        let r = randomTensor([2, 4], seed: 4)
        _ = try clips.forward(x)
        let dx = try clips.backward(r).copy()
        for b in 0..<12 {
            for t in 20..<25 { XCTAssertEqual(dx.data[b * 25 + t], 0, "the tail short of a patch") }
            for t in 10..<20 { XCTAssertEqual(dx.data[(12 + b) * 25 + t], 0, "the padding patch") }
        }
        func loss(_ x: Tensor) throws -> Double {
            let out = try clips.forward(x)
            return dotOfFloats(out.data, r.data, out.count)
        }
        let d = randomTensor(x.shape, seed: 5)
        for b in 0..<12 { for t in 10..<25 { d.data[(12 + b) * 25 + t] = 0 } }  // keep the padding zeros
        d.scaleInPlace(Float(1 / dotOfFloats(d.data, d.data, d.count).squareRoot()))
        let eps: Float = 1e-3
        let (plus, minus) = (x.copy(), x.copy())
        try plus.addInPlace(d, alpha: eps)
        try minus.addInPlace(d, alpha: -eps)
        let numeric = (try loss(plus) - loss(minus)) / (2 * Double(eps))
        let exact = dotOfFloats(dx.data, d.data, d.count)
        XCTAssertEqual(exact, numeric, accuracy: 2e-2 * max(abs(numeric), 1e-3))
    }

    /// With its first groups frozen (all but the last k), a network computes the trainable
    /// groups' gradients exactly as a full backward does (the frozen layers on their running
    /// statistics either way), leaves the frozen parameters' gradients at zero and returns a
    /// zero input gradient. `make` builds the same network each call.
    private func checkFrozen(
        _ make: () throws -> any PretrainedBackbone, k: Int, x: Tensor, r: Tensor, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let (frozenNet, fullNet) = (try make(), try make())
        frozenNet.trainableGroups = k
        for module in fullNet.groups.prefix(fullNet.groups.count - k).flatMap(\.modules) { module.setTraining(false) }
        Engine.seed(10)
        _ = try frozenNet.forward(x)
        let dx = try frozenNet.backward(r)
        Engine.seed(10)
        _ = try fullNet.forward(x)
        _ = try fullNet.backward(r)
        XCTAssertTrue(dx.array.allSatisfy { $0 == 0 }, "k = \(k): no input gradient", file: file, line: line)
        let trainable = Set(frozenNet.trainableNamedParameters.map(\.name))
        XCTAssertEqual(trainable.isEmpty, k == 0, file: file, line: line)
        for ((name, mine), (_, reference)) in zip(frozenNet.namedParameters(), fullNet.namedParameters()) {
            if trainable.contains(name) {
                assertClose(
                    mine.grad.array, reference.grad.array, "k = \(k): \(name)", tolerance: 1e-4, floor: 1e-4,
                    file: file, line: line)
            } else {
                XCTAssertTrue(
                    mine.grad.array.allSatisfy { $0 == 0 }, "k = \(k): \(name) is frozen", file: file, line: line)
            }
        }
    }

    func testFrozenGroupsSkipTheirBackward() throws {
        let x = randomTensor([3, 1, 16, 12], seed: 7)
        let r = randomTensor([3, 4], seed: 8)
        for k in [0, 1, 2, 4, 6] { try checkFrozen({ try tinyMusicnn(seed: 9) }, k: k, x: x, r: r) }
    }

    /// The VGG's frozen blocks likewise.
    func testFrozenVGGBlocksSkipTheirBackward() throws {
        var config = MusicnnVGGConfig()
        (config.mels, config.frames, config.filters, config.classes) = (64, 66, 3, 4)
        let make = { () throws -> any PretrainedBackbone in
            Engine.seed(13)
            return try MusicnnVGG(config)
        }
        for k in [1, 3] {
            try checkFrozen(make, k: k, x: randomTensor([2, 1, 66, 64], seed: 11), r: randomTensor([2, 4], seed: 12))
        }
    }

    /// musicnn's representation as a model input: the front end's values, mel-first, at the
    /// fitted length; its mel settings are fixed.
    func testMusicnnModelInput() throws {
        let input = try ModelInput(.musicnn(seconds: 1.5))
        XCTAssertEqual(input.rate, 16_000)
        XCTAssertEqual(input.bins, 96)
        XCTAssertEqual(input.frames, 94)
        let samples = (0..<20_000).map { Float(sin(Double($0) * 0.07) * 0.3) }
        let image = try input.spectrogram(Audio(samples: samples, channels: 1, rate: 16_000))
        XCTAssertEqual(image.shape, [96, 94])
        let (timeFirst, frames) = try MusicnnFrontEnd.logMel(samples + [Float](repeating: 0, count: 4_000))
        XCTAssertEqual(frames, 94)
        for t in [0, 17, 93] {
            for b in [0, 40, 95] { XCTAssertEqual(image.values[b * 94 + t], timeFirst[t * 96 + b]) }
        }

        var wrong = ModelInputOptions.musicnn(seconds: 3)
        wrong.mel.hop = 512
        XCTAssertThrowsError(try ModelInput(wrong)) { error in
            XCTAssertTrue("\(error)".contains("musicnn's input fixes its mel settings"), "\(error)")
        }
        XCTAssertThrowsError(try input.spectrogram(Audio(samples: samples, channels: 1, rate: 22_050))) { error in
            XCTAssertTrue("\(error)".contains("expected mono audio at 16000 Hz"), "\(error)")
        }
    }
}
