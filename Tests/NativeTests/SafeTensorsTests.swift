import Foundation
import XCTest

@testable import Native

final class SafeTensorsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    private func tinyModel() throws -> SEResNet {
        try SEResNet(SEResNetConfig(widths: [4, 8], blocks: [1, 1], reduction: 4, classes: 3, dropout: 0))
    }

    func testRoundTripKeepsValuesShapesMetadataAndAlignment() throws {
        let t = try Tensor(shape: [2, 3], values: [1, -2, 3.5, .pi, 0, 1e-30])
        try SafeTensors.write(
            path("a.safetensors"), [("w", .f32(t)), ("n", .i64(shape: [], values: [42]))],
            metadata: ["k": "v \"quoted\""])
        let data = try Data(contentsOf: URL(fileURLWithPath: path("a.safetensors")))
        let headerSize = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerSize % 8, 0, "tensor data must start 8-byte aligned")
        let file = try SafeTensors.read(path("a.safetensors"))
        guard case .f32(let back)? = file.tensors["w"], case .i64(let shape, let n)? = file.tensors["n"] else {
            return XCTFail("entries missing")
        }
        XCTAssertEqual(back.shape, [2, 3])
        XCTAssertEqual(back.array, t.array)
        XCTAssertEqual(shape, [])
        XCTAssertEqual(n, [42])
        XCTAssertEqual(file.metadata["k"], "v \"quoted\"")
    }

    func testReadsPyTorchFileWithI64Counters() throws {
        let file = try SafeTensors.read(nnFixtures.appendingPathComponent("seresnet_small.safetensors").path)
        guard case .i64(let shape, let v)? = file.tensors["init.bn1.num_batches_tracked"] else {
            return XCTFail("no counter")
        }
        XCTAssertEqual(shape, [])
        XCTAssertEqual(v, [0])
        XCTAssertEqual(try file.f32("init.conv1.weight").shape, [4, 1, 7, 7])
    }

    func testTruncatedFileIsAClearError() throws {
        let t = Tensor(shape: [100])
        try SafeTensors.write(path("t.safetensors"), [("w", .f32(t))])
        let data = try Data(contentsOf: URL(fileURLWithPath: path("t.safetensors")))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: path("cut.safetensors")))
        XCTAssertThrowsError(try SafeTensors.read(path("cut.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
            XCTAssertTrue("\(error)".contains("cut.safetensors"), "\(error)")
        }
        try data.prefix(5).write(to: URL(fileURLWithPath: path("tiny.safetensors")))
        XCTAssertThrowsError(try SafeTensors.read(path("tiny.safetensors")))
        XCTAssertThrowsError(try SafeTensors.read(path("missing.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("missing.safetensors"), "\(error)")
        }
    }

    func testModelSaveLoadRoundTrip() throws {
        Engine.seed(1)
        let a = try tinyModel()
        _ = try a.forward(randomTensor([2, 1, 16, 16], seed: 1))  // moves running stats and counters
        try a.save(to: path("m.safetensors"))
        Engine.seed(2)
        let b = try tinyModel()
        try b.load(from: path("m.safetensors"))
        for ((na, ea), (nb, eb)) in zip(a.stateDict(), b.stateDict()) {
            XCTAssertEqual(na, nb)
            switch (ea, eb) {
            case (.tensor(let x), .tensor(let y)): XCTAssertEqual(x.array, y.array, na)
            case (.counter(let x), .counter(let y)): XCTAssertEqual(x.value, y.value, na)
            default: XCTFail(na)
            }
        }
    }

    func testStrictLoadListsMissingUnexpectedAndMisshapedNames() throws {
        let model = try tinyModel()
        var state = Dictionary(uniqueKeysWithValues: model.stateTensors().map { ($0.name, $0.value) })
        state["conv1.weight"] = nil
        state["extra.weight"] = .f32(Tensor(shape: [1]))
        state["fc.bias"] = .f32(Tensor(shape: [7]))
        XCTAssertThrowsError(try model.loadState(state)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("missing: conv1.weight"), message)
            XCTAssertTrue(message.contains("unexpected: extra.weight"), message)
            XCTAssertTrue(message.contains("mis-shaped: fc.bias (expected [3], got [7])"), message)
        }
        XCTAssertNoThrow(try model.loadState(state.filter { $0.key != "fc.bias" }, strict: false))
    }

    func testWriteIsAtomicAndLeavesNoTemporaryFile() throws {
        try SafeTensors.write(path("x.safetensors"), [("w", .f32(Tensor(shape: [3])))])
        try SafeTensors.write(path("x.safetensors"), [("w", .f32(Tensor(shape: [4])))])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["x.safetensors"])
        XCTAssertThrowsError(try SafeTensors.write(dir.appendingPathComponent("no/such/dir/x.safetensors").path, []))
    }

    /// A save removes what killed saves of the same file left (both temporary-name forms), and
    /// keeps a live process's file and other names' files.
    func testSaveRemovesTemporariesOfDeadWriters() throws {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let live = getppid()
        let names = [
            ".x.safetensors.\(dead)-12345.tmp", ".x.safetensors.tmp-\(dead)", ".x.safetensors.\(live)-1.tmp",
            ".y.safetensors.\(dead)-1.tmp",
        ]
        for name in names { XCTAssertTrue(FileManager.default.createFile(atPath: path(name), contents: Data([1]))) }
        try SafeTensors.write(path("x.safetensors"), [("w", .f32(Tensor(shape: [3])))])
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)),
            ["x.safetensors", ".x.safetensors.\(live)-1.tmp", ".y.safetensors.\(dead)-1.tmp"])
    }
}
