import Foundation
import XCTest

@testable import Native

/// The TensorFlow checkpoint reader on a bundle TensorFlow's own Saver wrote
/// (tools/reference/tf_checkpoint.py), crafted corruptions of it, and musicnn's weight files.
final class TensorFlowCheckpointTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tf_checkpoint")
    static let prefix = folder.appendingPathComponent("tiny").path

    struct Expected: Decodable {
        let dtype: String
        let shape: [Int]
        let values: [Double]
    }

    func expected() throws -> [String: Expected] {
        try JSONDecoder().decode(
            [String: Expected].self, from: Data(contentsOf: Self.folder.appendingPathComponent("expected.json")))
    }

    func testEveryVariableReadsAsTensorFlowWroteIt() throws {
        let expected = try expected()
        let (entries, shards) = try TensorFlowCheckpoint.entries(Self.prefix)
        XCTAssertEqual(shards, 1)
        XCTAssertEqual(entries.map(\.name), expected.keys.sorted())
        let tensors = try TensorFlowCheckpoint.read(Self.prefix)
        for (name, e) in expected {
            let value = try XCTUnwrap(tensors[name], name)
            XCTAssertEqual(value.shape, e.shape, name)
            switch value {
            case .f32(let t):
                // float32 exactly; float64 rounded to float32
                XCTAssertEqual(t.array, e.values.map { Float($0) }, name)
                XCTAssertTrue(["float32", "float64"].contains(e.dtype), name)
            case .i64(_, let values):
                XCTAssertEqual(values, e.values.map { Int64($0) }, name)
                XCTAssertEqual(e.dtype, "int64", name)
            }
        }
        let kernel = try XCTUnwrap(entries.first { $0.name == "conv2d/kernel" })
        XCTAssertEqual(kernel.shape, [7, 3, 1, 4], "TensorFlow's HWIO order is kept")
    }

    func testANameFilterLeavesTheOptimiserOut() throws {
        let tensors = try TensorFlowCheckpoint.read(Self.prefix, include: MusicnnWeights.isNetworkVariable)
        XCTAssertNil(tensors["dense/kernel/Adam"])
        XCTAssertNil(tensors["global_step"])
        XCTAssertNotNil(tensors["dense/kernel"])
    }

    /// Copies the fixture to a scratch folder, lets `damage` change the index or data bytes,
    /// and returns the error reading it gives.
    func readDamaged(_ damage: (inout [UInt8], inout [UInt8]) -> Void) throws -> String {
        let scratch = try DSPFixtures.scratch(self)
        var index = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.prefix + ".index")))
        var data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.prefix + ".data-00000-of-00001")))
        damage(&index, &data)
        let prefix = scratch.appendingPathComponent("bad").path
        try Data(index).write(to: URL(fileURLWithPath: prefix + ".index"))
        try Data(data).write(to: URL(fileURLWithPath: prefix + ".data-00000-of-00001"))
        do {
            _ = try TensorFlowCheckpoint.read(prefix)
        } catch let error as SerializationError {
            XCTAssertTrue(error.path.hasPrefix(prefix), "the error names the file: \(error)")
            return error.reason
        }
        XCTFail("a damaged checkpoint was read")
        return ""
    }

    func testDamagedCheckpointsAreRefusedWithWhatIsWrong() throws {
        XCTAssertTrue(try readDamaged { _, data in data[100] ^= 0x40 }.contains("checksum mismatch"))
        XCTAssertTrue(try readDamaged { _, data in data.removeLast(64) }.contains("outside the"))
        XCTAssertTrue(try readDamaged { index, _ in index[index.count - 1] ^= 1 }.contains("magic number"))
        XCTAssertTrue(try readDamaged { index, _ in index.removeFirst(index.count - 20) }.contains("footer"))
        // the index block's handle pointing past the end
        let past = try readDamaged { index, _ in
            for i in (index.count - 48)..<(index.count - 8) { index[i] = 0x7f }
        }
        XCTAssertTrue(past.contains("not a TensorFlow checkpoint index"), past)
        // every byte of the index flipped in turn: an error or the same variables, never a crash
        let clean = try Data(contentsOf: URL(fileURLWithPath: Self.prefix + ".index"))
        let scratch = try DSPFixtures.scratch(self)
        let prefix = scratch.appendingPathComponent("flip").path
        try Data(contentsOf: URL(fileURLWithPath: Self.prefix + ".data-00000-of-00001"))
            .write(to: URL(fileURLWithPath: prefix + ".data-00000-of-00001"))
        for i in 0..<clean.count {
            var bytes = [UInt8](clean)
            bytes[i] ^= 0xff
            try Data(bytes).write(to: URL(fileURLWithPath: prefix + ".index"))
            _ = try? TensorFlowCheckpoint.read(prefix)
        }
    }

    func testAMissingCheckpointNamesTheFile() {
        XCTAssertThrowsError(try TensorFlowCheckpoint.read("/nonexistent/model")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/model.index"), "\(error)")
        }
    }

    func testMusicnnWeightsRefuseTheWrongFilesWithWhatToRun() throws {
        let scratch = try DSPFixtures.scratch(self)
        let missing = scratch.appendingPathComponent("MSD_musicnn.safetensors").path
        XCTAssertThrowsError(try MusicnnWeights.load(missing, model: .msdMusicnn)) { error in
            XCTAssertTrue("\(error)".contains("run `make weights`"), "\(error)")
        }
        // a checkpoint without the network's layers
        XCTAssertThrowsError(try MusicnnWeights.convert(checkpoint: Self.prefix, model: .msdVGG, to: missing)) {
            XCTAssertTrue("\($0)".contains("not a MSD_vgg checkpoint"), "\($0)")
        }
        // another network's file, and a corrupt one
        let other = scratch.appendingPathComponent("other.safetensors").path
        try SafeTensors.write(
            other, [("5CNN/kernel", .f32(Tensor(shape: [3, 3, 1, 2])))], metadata: ["model": "MTT_vgg"])
        XCTAssertThrowsError(try MusicnnWeights.load(other, model: .msdVGG)) {
            XCTAssertTrue("\($0)".contains("holds the MTT_vgg network, not MSD_vgg"), "\($0)")
        }
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: other))
        XCTAssertThrowsError(try MusicnnWeights.load(other, model: .msdVGG)) {
            XCTAssertTrue("\($0)".contains("mashup weights --force"), "\($0)")
        }
        XCTAssertEqual(MusicnnWeights.Model.msdMusicnn.tags.count, 50)
        XCTAssertEqual(MusicnnWeights.Model.mttVGG.tags.count, 50)
        XCTAssertEqual(MusicnnWeights.Model.msdMusicnn.tags.prefix(2), ["rock", "pop"])
    }

    /// The real wheel's four networks, when `make weights` has fetched them (skipped otherwise:
    /// the tests need no network), against what TensorFlow itself reads from the same
    /// checkpoints (tools/reference/musicnn_checkpoints.py): every variable's name, shape, sum,
    /// sum of squares and first values.
    func testTheWheelsCheckpointsConvertAsTensorFlowReadsThem() throws {
        struct Stats: Decodable {
            let shape: [Int]
            let sum: Double
            let sum_squares: Double
            let first: [Double]
        }
        let root = Self.folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let weights = root.appendingPathComponent("data/weights").path
        let models = MusicnnWeights.Model.allCases
        guard models.allSatisfy({ FileManager.default.fileExists(atPath: weights + "/" + $0.fileName) }) else {
            throw XCTSkip("musicnn weights not fetched (make weights)")
        }
        let reference = try JSONDecoder().decode(
            [String: [String: Stats]].self,
            from: Data(
                contentsOf: Self.folder.deletingLastPathComponent().appendingPathComponent("musicnn/checkpoints.json")))
        for model in models {
            let tensors = try MusicnnWeights.load(weights + "/" + model.fileName, model: model)
            let expected = try XCTUnwrap(reference[model.rawValue])
            XCTAssertEqual(tensors.keys.sorted(), expected.keys.sorted(), model.rawValue)
            for (name, stats) in expected {
                guard case .f32(let t) = tensors[name] else { return XCTFail("\(model.rawValue) \(name)") }
                XCTAssertEqual(t.shape, stats.shape, name)
                let values = t.array.map(Double.init)
                XCTAssertEqual(Array(values.prefix(4)), stats.first, name)
                XCTAssertEqual(values.reduce(0, +), stats.sum, accuracy: 1e-9 * max(1, stats.sum_squares), name)
                XCTAssertEqual(
                    values.reduce(0) { $0 + $1 * $1 }, stats.sum_squares, accuracy: 1e-9 * max(1, stats.sum_squares),
                    name)
            }
        }
    }
}
