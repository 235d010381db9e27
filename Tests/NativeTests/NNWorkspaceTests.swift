import XCTest

@testable import Native

/// How a network uses its workspace: one set of recycled blocks for the whole tree, nothing
/// kept by a forward that does not record, and BatchNorm folded into the convolution before it
/// in inference.
final class NNWorkspaceTests: XCTestCase {
    private func smallNet() throws -> SEResNet {
        Engine.seed(11)
        return try SEResNet(
            SEResNetConfig(widths: [4, 8, 8, 16], blocks: [2, 1, 1, 1], reduction: 4, classes: 5, dropout: 0.3))
    }

    /// Running statistics far from (0, 1), so that a folding mistake shows.
    private func randomizeRunningStatistics(_ net: SEResNet) {
        for (k, (name, entry)) in net.stateDict().enumerated() {
            guard case .tensor(let t) = entry else { continue }
            if name.hasSuffix("running_mean") { try! t.assign(randomTensor(t.shape, seed: UInt64(k), scale: 0.5)) }
            if name.hasSuffix("running_var") {
                try! t.assign(randomTensor(t.shape, seed: UInt64(k)).map { 0.3 + abs($0) })
            }
        }
    }

    func testContainersShareOneWorkspaceWithTheirWholeTree() throws {
        let net = try smallNet()
        let block = net.stages[0].layers[0] as! BasicBlock
        XCTAssertTrue(block.conv1.workspace === net.workspace)
        XCTAssertTrue(block.se.fc2.workspace === net.workspace)
        let conv = try Conv2d(2, 3, kernelSize: 3)
        let seq = Sequential([conv, try BatchNorm2d(3)])
        XCTAssertTrue(conv.workspace === seq.workspace)
    }

    func testInferenceWithFoldedBatchNormMatchesLayerByLayerEvaluation() throws {
        let net = try smallNet()
        randomizeRunningStatistics(net)
        net.setTraining(false)
        let x = randomTensor([3, 1, 32, 48], seed: 12)
        let layered = try net.forward(x).array
        let folded = try net.workspace.withoutRecording { try net.forward(x) }.array
        assertClose(folded, layered, "logits", tolerance: 1e-5)
    }

    func testBackwardNeedsARecordedForward() throws {
        let net = try smallNet()
        let x = randomTensor([2, 1, 32, 48], seed: 13)
        let logits = try net.workspace.withoutRecording { try net.forward(x) }
        XCTAssertThrowsError(try net.backward(logits)) { error in
            XCTAssertTrue("\(error)".contains("before forward"), "\(error)")
        }
        let conv = try Conv2d(1, 2, kernelSize: 3)
        let out = try conv.workspace.withoutRecording { try conv.forward(x) }
        XCTAssertThrowsError(try conv.backward(out))
    }

    func testTrainingStepsReuseTheFirstStepsBlocks() throws {
        let net = try smallNet()
        let x = randomTensor([4, 1, 32, 48], seed: 14)
        func step() throws {
            net.zeroGrad()
            let (_, d) = try crossEntropy(net.forward(x), labels: [0, 1, 2, 3], labelSmoothing: 0.1)
            _ = try net.backward(d)
        }
        try step()
        let held = net.workspace.idleBytes
        XCTAssertGreaterThan(held, 0)
        for _ in 0..<3 {
            try step()
            XCTAssertEqual(net.workspace.idleBytes, held, "a step allocated blocks the first step did not")
        }
    }
}
