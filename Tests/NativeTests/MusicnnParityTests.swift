import Foundation
import XCTest

@testable import Native

/// The native musicnn against the original package under TensorFlow
/// (tools/reference/musicnn_parity.py, Tests/Fixtures/musicnn): MSD_musicnn's logits,
/// penultimate features, input gradient and every variable's gradient for two 3 s patches.
/// Needs the converted weights (`make weights`); skipped without them, as the tests need no
/// network.
final class MusicnnParityTests: XCTestCase {
    static let fixtures = TensorFlowCheckpointTests.folder.deletingLastPathComponent().appendingPathComponent("musicnn")

    func fixture(_ name: String) throws -> NpyArray {
        try Npy.read(Self.fixtures.appendingPathComponent(name + ".npy").path)
    }

    /// The converted weights of `model`; the test is skipped when they were not fetched.
    func weights(_ model: MusicnnWeights.Model) throws -> [String: SafeTensorValue] {
        let path = Self.fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/weights/" + model.fileName).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("musicnn weights not fetched (make weights)")
        }
        return try MusicnnWeights.load(path, model: model)
    }

    func network() throws -> Musicnn {
        let net = try Musicnn()
        try net.load(tensorflow: weights(.msdMusicnn))
        net.setTraining(false)
        return net
    }

    /// The input gradient `dx` against TensorFlow's (fixture `name`): at least the share
    /// `agreeing` of coordinates within 1e-4 of the largest, and the whole within `l2` (relative).
    func assertInputGradient(
        _ dx: [Float], _ name: String, agreeing: Double, l2 bound: Double, file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let tensorflow = try fixture(name).values
        let scale = tensorflow.map { abs($0) }.max()!
        let agree = zip(dx, tensorflow).filter { abs($0 - $1) <= 1e-4 * scale }.count
        XCTAssertGreaterThan(
            Double(agree) / Double(dx.count), agreeing, "\(name): \(dx.count - agree) coordinates differ", file: file,
            line: line)
        let l2 =
            zip(dx, tensorflow).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
            / tensorflow.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        XCTAssertLessThan(l2, bound, "\(name), L2 relative", file: file, line: line)
    }

    /// max |a - b| / max |b|: the error relative to the reference's scale.
    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        XCTAssertEqual(a.count, b.count)
        let scale = Double(b.map { abs($0) }.max() ?? 0)
        return zip(a, b).map { Double(abs($0 - $1)) }.max()! / max(scale, 1e-12)
    }

    func testForwardAndBackwardMatchTensorFlow() throws {
        let net = try network()
        let patches = try fixture("patches")
        let x = try Tensor(shape: [2, 1, 187, 96], values: patches.values)
        let logits = try net.forward(x)
        XCTAssertLessThan(relativeError(logits.array, try fixture("logits").values), 1e-4, "logits")
        XCTAssertLessThan(relativeError(net.penultimate!.array, try fixture("penultimate").values), 1e-4, "penultimate")

        net.zeroGrad()
        let dx = try net.backward(try Tensor(shape: [2, 50], values: try fixture("r").values)).array
        // The input gradient passes each frequency max-pool to one band. The float16-rounded
        // input leaves hundreds of maxima within 1e-5 (relative) of the runner-up, and
        // TensorFlow's convolutions round in another order than ours, so a few of them crown
        // another band there and route a 7 x 38 (or 7 x 67) block of the gradient elsewhere:
        // measured 93.5% of the 35,904 coordinates agree to 1e-4 of the largest, the whole to
        // 1.1% (L2). The parameter gradients below, sums over every position, agree to 1e-4.
        try assertInputGradient(dx, "dpatches", agreeing: 0.9, l2: 0.03)
        // the tags: each clip's three strongest, by name, as TensorFlow's logits rank them
        let tensorflow = try fixture("logits").values
        for n in 0..<2 {
            func top3(_ v: ArraySlice<Float>) -> [String] {
                v.indices.sorted { v[$0] > v[$1] }.prefix(3).map { MusicnnWeights.msdTags[$0 - v.startIndex] }
            }
            XCTAssertEqual(top3(logits.array[(n * 50)..<(n * 50 + 50)]), top3(tensorflow[(n * 50)..<(n * 50 + 50)]))
        }
        // every variable's gradient: TensorFlow's name -> ours (sums and norms do not depend on
        // the transposed layouts)
        struct Stats: Decodable { let sum: Double, norm: Double }
        let reference = try JSONDecoder().decode(
            [String: Stats].self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("gradients.json")))
        var ours: [String: Tensor] = [:]
        func norm(_ bn: BatchNorm2d, _ i: Int) {
            let name = i == 0 ? "batch_normalization" : "batch_normalization_\(i)"
            (ours[name + "/gamma"], ours[name + "/beta"]) = (bn.weight.grad, bn.bias.grad)
        }
        func conv(_ c: Conv2d, _ i: Int) {
            let name = i == 0 ? "conv2d" : "conv2d_\(i)"
            (ours[name + "/kernel"], ours[name + "/bias"]) = (c.weight.grad, c.bias!.grad)
        }
        norm(net.inputNorm, 0)
        for (i, b) in net.branches.enumerated() {
            conv(b.layers[0] as! Conv2d, i)
            norm(b.layers[2] as! BatchNorm2d, i + 1)
        }
        for (j, m) in net.midend.enumerated() {
            conv(m.layers[0] as! Conv2d, 5 + j)
            norm(m.layers[2] as! BatchNorm2d, 6 + j)
        }
        norm(net.poolNorm, 9)
        norm(net.denseNorm, 10)
        (ours["dense/kernel"], ours["dense/bias"]) = (net.dense.weight.grad, net.dense.bias!.grad)
        (ours["dense_1/kernel"], ours["dense_1/bias"]) = (net.classifier.weight.grad, net.classifier.bias!.grad)
        XCTAssertEqual(ours.keys.sorted(), reference.keys.sorted())
        for (name, stats) in reference {
            let g = try XCTUnwrap(ours[name]).array.map(Double.init)
            let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(norm, stats.norm, accuracy: 1e-4 * max(stats.norm, 1e-6), "\(name) gradient norm")
            XCTAssertEqual(
                g.reduce(0, +), stats.sum, accuracy: 1e-4 * max(stats.norm, 1e-6) * Double(g.count).squareRoot(), name)
        }
    }

    /// The weights' tags and embedding: a patch's penultimate features from `embed`, the same
    /// as forward's, in evaluation mode whatever mode the network was in.
    func testEmbedGivesThePenultimateFeatures() throws {
        let net = try network()
        let x = try Tensor(shape: [2, 1, 187, 96], values: try fixture("patches").values)
        net.setTraining(true)
        let embedding = try net.embed(x)
        XCTAssertTrue(net.isTraining)
        XCTAssertEqual(embedding.shape, [2, 200])
        XCTAssertLessThan(relativeError(embedding.array, try fixture("penultimate").values), 1e-4)
    }

    /// The front end against the package's (librosa's mel at 16 kHz, float16, log10(10000 x + 1)),
    /// then audio to tags end to end. Runs without the weights for the front end.
    func testTheFrontEndIsThePackagesRepresentation() throws {
        let audio = try fixture("audio")
        let reference = try fixture("logmel")
        let clip = audio.values.count / 2
        for n in 0..<2 {
            let ours = try MusicnnFrontEnd.logMel(Array(audio.values[(n * clip)..<((n + 1) * clip)]))
            XCTAssertEqual(ours.frames, 201)
            let theirs = Array(reference.values[(n * 201 * 96)..<((n + 1) * 201 * 96)])
            // float16 rounding can land one step apart where librosa's and our power differ in
            // the last float32 bits: a rare step of 2^-11 of x
            let (worst, _) = maxAbsDifference(ours.values, theirs)
            XCTAssertLessThan(worst, 2e-3, "clip \(n)")
            let exact = zip(ours.values, theirs).filter { $0 == $1 }.count
            XCTAssertGreaterThan(Double(exact) / Double(theirs.count), 0.99, "clip \(n)")
            let patches = try MusicnnFrontEnd.patches(ours)
            XCTAssertEqual(patches.count, 1)
            XCTAssertEqual(patches.values.count, 187 * 96)
        }
        // a clip so loud that float16 cannot hold its mel power (the package's input turns inf)
        let loud = (0..<16000).map { 1000 * sin(Float($0) * 0.2) }
        let values = try MusicnnFrontEnd.logMel(loud).values
        XCTAssertTrue(values.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(values.max()!, log10(Float(65504)), "powers past float16's range keep their value")
        XCTAssertEqual(try MusicnnFrontEnd.patches((Array(repeating: 0, count: 186 * 96), 186)).count, 0)
        XCTAssertEqual(try MusicnnFrontEnd.patches((Array(repeating: 0, count: 400 * 96), 400), hop: 100).count, 3)
    }

    /// MSD_vgg against the original under TensorFlow: logits, pool5 features (TensorFlow flattens
    /// them (H, W, C), ours (C, H, W)), the input gradient and every variable's gradient.
    func testTheVGGNetworkMatchesTensorFlow() throws {
        let net = try MusicnnVGG()
        try net.load(tensorflow: weights(.msdVGG))
        net.setTraining(false)
        let x = try Tensor(shape: [2, 1, 187, 96], values: try fixture("patches").values)
        let logits = try net.forward(x)
        XCTAssertLessThan(relativeError(logits.array, try fixture("vgg_logits").values), 1e-4, "logits")
        let theirs = try fixture("vgg_features").values  // (2, 2 * 1 * 128) as (h, w, c)
        var reordered = [Float](repeating: 0, count: theirs.count)
        for n in 0..<2 {
            for c in 0..<128 {
                for h in 0..<2 { reordered[n * 256 + c * 2 + h] = theirs[n * 256 + h * 128 + c] }
            }
        }
        XCTAssertLessThan(relativeError(net.features!.array, reordered), 1e-4, "pool5 features")

        net.zeroGrad()
        let dx = try net.backward(try Tensor(shape: [2, 50], values: try fixture("r").values)).array
        // measured: 34,423 of the 35,904 coordinates (95.9%) agree; near-tied max-pool windows again
        try assertInputGradient(dx, "vgg_dpatches", agreeing: 0.9, l2: 0.05)
        XCTAssertEqual(try net.embed(x).shape, [2, 256])
        struct Stats: Decodable {
            let sum: Double
            let norm: Double
        }
        let reference = try JSONDecoder().decode(
            [String: Stats].self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("vgg_gradients.json")))
        var ours: [String: Tensor] = [:]
        (ours["batch_normalization/gamma"], ours["batch_normalization/beta"]) = (
            net.inputNorm.weight.grad, net.inputNorm.bias.grad
        )
        for (i, block) in net.blocks.enumerated() {
            let (conv, bn) = (block.layers[0] as! Conv2d, block.layers[2] as! BatchNorm2d)
            (ours["\(i + 1)CNN/kernel"], ours["\(i + 1)CNN/bias"]) = (conv.weight.grad, conv.bias!.grad)
            (ours["batch_normalization_\(i + 1)/gamma"], ours["batch_normalization_\(i + 1)/beta"]) = (
                bn.weight.grad, bn.bias.grad
            )
        }
        (ours["dense/kernel"], ours["dense/bias"]) = (net.classifier.weight.grad, net.classifier.bias!.grad)
        XCTAssertEqual(ours.keys.sorted(), reference.keys.sorted())
        for (name, stats) in reference {
            let g = try XCTUnwrap(ours[name]).array.map(Double.init)
            XCTAssertEqual(
                g.reduce(0) { $0 + $1 * $1 }.squareRoot(), stats.norm, accuracy: 1e-4 * max(stats.norm, 1e-6), name)
            XCTAssertEqual(
                g.reduce(0, +), stats.sum, accuracy: 1e-4 * max(stats.norm, 1e-6) * Double(g.count).squareRoot(), name)
        }
    }
}
