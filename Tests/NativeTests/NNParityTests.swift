import Foundation
import XCTest

@testable import Native

/// The native SE-ResNet against PyTorch (tools/reference/nn.py): same weights, same batch.
final class NNParityTests: XCTestCase {
    private var fixture: SafeTensors.File!
    private var model: SEResNet!
    private var labels: [Int] = []

    override func setUpWithError() throws {
        fixture = try SafeTensors.read(nnFixtures.appendingPathComponent("seresnet_small.safetensors").path)
        let config = try JSONSerialization.jsonObject(with: Data(fixture.metadata["config"]!.utf8)) as! [String: Any]
        model = try SEResNet(
            SEResNetConfig(
                widths: config["widths"] as! [Int], blocks: config["blocks"] as! [Int],
                reduction: config["reduction"] as! Int,
                classes: config["classes"] as! Int, dropout: config["dropout"] as! Double,
                inChannels: config["in_channels"] as! Int))
        let initial = fixture.tensors.filter { $0.key.hasPrefix("init.") }
        try model.loadState(Dictionary(uniqueKeysWithValues: initial.map { (String($0.key.dropFirst(5)), $0.value) }))
        guard case .i64(_, let y)? = fixture.tensors["labels"] else { throw NNError("fixture lacks labels") }
        labels = y.map { Int($0) }
    }

    private func trainStep() throws -> (logits: Tensor, loss: Double) {
        model.zeroGrad()
        let logits = try model.forward(try fixture.f32("input"))
        let (loss, dlogits) = try crossEntropy(logits, labels: labels, labelSmoothing: 0.1)
        _ = try model.backward(dlogits)
        return (logits, loss)
    }

    func testParameterNamesAndCountMatchPyTorch() throws {
        let torchNames = Set(fixture.tensors.keys.filter { $0.hasPrefix("init.") }.map { String($0.dropFirst(5)) })
        XCTAssertEqual(Set(model.stateDict().map(\.name)), torchNames)
        let full = try SEResNet()
        XCTAssertEqual(full.parameterCount, Int(fixture.metadata["reference_parameter_count"]!))
    }

    func testForwardLossAndGradientsMatchPyTorch() throws {
        let (logits, loss) = try trainStep()
        let e1 = assertClose(logits.array, try fixture.f32("logits").array, "logits", tolerance: 1e-4)
        let e2 = assertClose([Float(loss)], try fixture.f32("loss").array, "loss", tolerance: 1e-4)
        var worst: Float = 0
        for (name, p) in model.namedParameters() {
            worst = max(
                worst, assertClose(p.grad.array, try fixture.f32("grad." + name).array, "grad." + name, tolerance: 1e-3)
            )
        }
        print("parity: logits \(e1), loss \(e2), worst gradient \(worst) (relative, floor 1e-3)")
    }

    /// Every 3x3 stride-1 convolution by Winograd F(2x2, 3x3) (whatever its width): PyTorch's
    /// logits and gradients all the same.
    func testWinogradForwardMatchesPyTorch() throws {
        func convolutions(_ m: any Module) -> [Conv2d] {
            ((m as? Conv2d).map { [$0] } ?? []) + m.children.flatMap { convolutions($0.module) }
        }
        let forced = convolutions(model).filter { $0.kernelSize == 3 && $0.stride == 1 }
        XCTAssertGreaterThan(forced.count, 2)
        for conv in forced { conv.algorithm = .winograd }
        let (logits, loss) = try trainStep()
        assertClose(logits.array, try fixture.f32("logits").array, "logits", tolerance: 1e-4)
        assertClose([Float(loss)], try fixture.f32("loss").array, "loss", tolerance: 1e-4)
        for (name, p) in model.namedParameters() {
            assertClose(p.grad.array, try fixture.f32("grad." + name).array, "grad." + name, tolerance: 1e-3)
        }
    }

    func testBatchNormRunningStatisticsMatchPyTorch() throws {
        _ = try trainStep()
        for (name, entry) in model.stateDict() {
            switch entry {
            case .tensor(let t) where name.contains("running"):
                assertClose(t.array, try fixture.f32("stats." + name).array, name, tolerance: 1e-4)
            case .counter(let c):
                guard case .i64(_, let v)? = fixture.tensors["stats." + name] else { return XCTFail("no \(name)") }
                XCTAssertEqual(c.value, v[0], name)
            default: continue
            }
        }
    }

    func testThreeAdamWOneCycleStepsMatchPyTorch() throws {
        let opt = try AdamW(model.parameters, learningRate: 1e-3, weightDecay: 1e-4)
        let sched = try OneCycleLR(opt, maxLR: 1e-3, totalSteps: 10)
        let lrs = try JSONSerialization.jsonObject(with: Data(fixture.metadata["lrs"]!.utf8)) as! [Double]
        let beta1s = try JSONSerialization.jsonObject(with: Data(fixture.metadata["beta1s"]!.utf8)) as! [Double]
        for step in 0..<3 {
            XCTAssertEqual(opt.learningRate, lrs[step], accuracy: 1e-15)
            XCTAssertEqual(opt.beta1, beta1s[step], accuracy: 1e-15)
            _ = try trainStep()
            opt.step()
            try sched.step()
        }
        var worst: Float = 0
        for (name, entry) in model.stateDict() {
            switch entry {
            case .tensor(let t):
                worst = max(
                    worst,
                    assertClose(t.array, try fixture.f32("step3." + name).array, "step3." + name, tolerance: 1e-3))
            case .counter(let c): XCTAssertEqual(c.value, 3)
            }
        }
        model.setTraining(false)
        let eval = try model.forward(try fixture.f32("input"))
        let e = assertClose(eval.array, try fixture.f32("eval_logits").array, "eval_logits", tolerance: 1e-3)
        print("parity after 3 AdamW+OneCycle steps: worst state \(worst), eval logits \(e)")
    }

    func testSoftTargetCrossEntropyMatchesPyTorch() throws {
        let logits = try fixture.f32("logits")
        let (loss, d) = try crossEntropy(logits, targets: try fixture.f32("soft_targets"), labelSmoothing: 0.1)
        assertClose([Float(loss)], try fixture.f32("soft_loss").array, "soft_loss", tolerance: 1e-5)
        assertClose(d.array, try fixture.f32("soft_dlogits").array, "soft_dlogits", tolerance: 1e-4)
    }
}
