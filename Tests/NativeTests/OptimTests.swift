import Foundation
import XCTest

@testable import Native

final class OptimTests: XCTestCase {
    private func parameter(_ values: [Float], grad: [Float]) throws -> Parameter {
        let p = Parameter(try Tensor(shape: [values.count], values: values))
        try p.grad.assign(Tensor(shape: [grad.count], values: grad))
        return p
    }

    func testAdamWFirstStepMovesEachWeightByAboutLR() throws {
        // step 1: m/(1-b1) = g and sqrt(v/(1-b2)) = |g|, so p = p(1 - lr wd) - lr g / (|g| + eps)
        let p = try parameter([1, -2, 0.5], grad: [0.3, -4, 1e-3])
        let opt = try AdamW([p], learningRate: 0.1, weightDecay: 0.01)
        opt.step()
        for (i, (p0, g)) in zip([1.0, -2, 0.5], [0.3, -4, 1e-3]).enumerated() {
            let expected = p0 * (1 - 0.1 * 0.01) - 0.1 * g / (abs(g) + 1e-8)
            XCTAssertEqual(Double(p.value[i]), expected, accuracy: 1e-6)
        }
    }

    /// An optimiser gathers the parameters and gradients into one block each; tensors handed
    /// out before (here a state-dict entry) follow them there.
    func testParametersAndGradientsLiveInOneBlockEach() throws {
        Engine.seed(3)
        let net = try SEResNet(SEResNetConfig(widths: [4, 8], blocks: [1, 1], reduction: 4, classes: 3, dropout: 0))
        guard case .tensor(let early)? = net.stateDict().first(where: { $0.name.hasSuffix("conv1.weight") })?.entry
        else { return XCTFail("no conv1.weight") }
        let before = early.array
        let opt = try AdamW(net.parameters, learningRate: 0.1)
        let flat = opt.flat
        XCTAssertEqual(flat.parameters.count, net.parameters.count)
        for (p, range) in zip(flat.parameters, flat.ranges) {
            XCTAssertEqual(p.value.data, flat.values.data + range.lowerBound)
            XCTAssertEqual(p.grad.data, flat.gradients.data + range.lowerBound)
            XCTAssertEqual(range.lowerBound % 16, 0, "each parameter starts on a cache line")
        }
        XCTAssertEqual(early.array, before, "values kept when gathered")
        var gaps: [Float] = []
        for (range, next) in zip(flat.ranges, flat.ranges.dropFirst().map(\.lowerBound) + [flat.count]) {
            gaps +=
                Array(flat.values.buffer[range.upperBound..<next])
                + Array(flat.gradients.buffer[range.upperBound..<next])
        }
        XCTAssertEqual(Set(gaps), [0], "the gaps between parameters hold zeros")
        XCTAssertTrue(flat.ranges.contains { flat.values.data + $0.lowerBound == early.data })
        for p in net.parameters { p.grad.fill(1) }
        opt.step()
        XCTAssertNotEqual(early.array, before, "the early view sees the step")
        opt.zeroGrad()
        XCTAssertEqual(flat.gradients.array.max(), 0)
        let p = try parameter([1], grad: [0])
        XCTAssertThrowsError(try AdamW([p, p])) { XCTAssertTrue("\($0)".contains("listed twice"), "\($0)") }
    }

    /// Two optimisers over shared parameters both update them (each brings them back to its
    /// block before stepping), as two torch.optim optimisers over one tensor do.
    func testTwoOptimisersOverSharedParametersBothStep() throws {
        let (a, b) = (try parameter([10], grad: [1]), try parameter([20], grad: [1]))
        let both = try SGD([a, b], learningRate: 1)
        let second = try SGD([b], learningRate: 1)
        second.step()
        XCTAssertEqual([a.value[0], b.value[0]], [10, 19])
        both.step()
        XCTAssertEqual([a.value[0], b.value[0]], [9, 18])
        second.step()
        XCTAssertEqual([a.value[0], b.value[0]], [9, 17])
    }

    func testSGDNesterovMatchesTheRecurrence() throws {
        let p = try parameter([1], grad: [0.5])
        let opt = try SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true)
        var (w, b) = (1.0, 0.0)
        for step in 0..<3 {
            let d = 0.5 + 0.1 * w
            b = step == 0 ? d : 0.9 * b + d
            w -= 0.1 * (d + 0.9 * b)
            opt.step()
            XCTAssertEqual(Double(p.value[0]), w, accuracy: 1e-6)
        }
        XCTAssertThrowsError(try SGD([p], learningRate: 0.1, nesterov: true))
    }

    func testOneCyclePyTorchValues() throws {
        let opt = try AdamW([try parameter([0], grad: [0])])
        let sched = try OneCycleLR(opt, maxLR: 0.01, totalSteps: 100)
        // PyTorch: initial 4e-4 at step 0, max_lr at step 29 (= 0.3 * 100 - 1), min = 4e-8 at 99
        XCTAssertEqual(opt.learningRate, 4e-4, accuracy: 1e-15)
        XCTAssertEqual(opt.beta1, 0.95, accuracy: 1e-15)
        for _ in 0..<29 { try sched.step() }
        XCTAssertEqual(opt.learningRate, 0.01, accuracy: 1e-15)
        XCTAssertEqual(opt.beta1, 0.85, accuracy: 1e-15)
        for _ in 29..<99 { try sched.step() }
        XCTAssertEqual(opt.learningRate, 4e-8, accuracy: 1e-18)
        XCTAssertEqual(opt.beta1, 0.95, accuracy: 1e-15)
        try sched.step()
        XCTAssertThrowsError(try sched.step())
    }

    func testCosineWarmupRisesLinearlyThenDecaysToMin() throws {
        let opt = try AdamW([try parameter([0], grad: [0])], learningRate: 1)
        let sched = try CosineWarmupLR(opt, warmupSteps: 4, totalSteps: 14, minLR: 0.1)
        var lrs = [opt.learningRate]
        for _ in 0..<14 {
            try sched.step()
            lrs.append(opt.learningRate)
        }
        XCTAssertEqual(Array(lrs.prefix(5)), [0.25, 0.5, 0.75, 1, 1])
        XCTAssertEqual(lrs[9], 0.1 + 0.9 * 0.5, accuracy: 1e-12)  // halfway through the cosine
        XCTAssertEqual(lrs[14], 0.1, accuracy: 1e-12)
    }

    func testStepDecay() throws {
        let opt = try SGD([try parameter([0], grad: [0])], learningRate: 1)
        let sched = try StepLR(opt, stepSize: 3, gamma: 0.5)
        var lrs: [Double] = []
        for _ in 0..<7 {
            try sched.step()
            lrs.append(opt.learningRate)
        }
        XCTAssertEqual(lrs, [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
    }

    func testReduceOnPlateauPatienceThresholdCooldown() throws {
        let opt = try SGD([try parameter([0], grad: [0])], learningRate: 1)
        let plateau = try ReduceLROnPlateau(opt, mode: .min, factor: 0.5, patience: 2, cooldown: 1, minLR: 0.2)
        // 1.0 improves; 0.99995 is within the relative threshold 1e-4, so it is not better
        let metrics = [1.0, 0.99995, 1.2, 1.1, 0.9, 1, 1, 1, 1, 1, 1, 1, 1]
        var lrs: [Double] = []
        for m in metrics {
            plateau.step(m)
            lrs.append(opt.learningRate)
        }
        // bad steps 1, 2, 3 > patience: halve; 0.9 improves (and uses up the cooldown); three more
        // bad steps: halve; a cooldown step that does not count, three bad: 0.125 floors at min_lr
        XCTAssertEqual(lrs, [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2])
    }

    func testClipGradNormScalesToMaxNorm() throws {
        let a = try parameter([0, 0], grad: [3, 0])
        let b = try parameter([0], grad: [4])
        let norm = try clipGradNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-12)
        XCTAssertEqual(Double(a.grad[0]), 0.6, accuracy: 1e-6)
        XCTAssertEqual(Double(b.grad[0]), 0.8, accuracy: 1e-6)
        XCTAssertThrowsError(try clipGradNorm([a], maxNorm: -1))
    }

    /// Trains a tiny SE-ResNet (dropout on, so the generator matters) for `steps` steps.
    private func train(_ model: SEResNet, _ opt: AdamW, _ sched: OneCycleLR, steps: Int) throws {
        for _ in 0..<steps {
            let x = randomTensor([4, 1, 16, 20], seed: UInt64(100 + opt.stepCount))
            model.zeroGrad()
            let (_, d) = try crossEntropy(try model.forward(x), labels: [0, 1, 2, 1], labelSmoothing: 0.1)
            _ = try model.backward(d)
            opt.step()
            try sched.step()
        }
    }

    private func freshRun() throws -> (SEResNet, AdamW, OneCycleLR) {
        Engine.seed(2024)
        let model = try SEResNet(
            SEResNetConfig(widths: [4, 8], blocks: [1, 1], reduction: 4, classes: 3, dropout: 0.5))
        let opt = try AdamW(model.parameters, weightDecay: 1e-4)
        return (model, opt, try OneCycleLR(opt, maxLR: 1e-2, totalSteps: 10))
    }

    func testResumeIsBitIdentical() throws {
        let (a, optA, schedA) = try freshRun()
        try train(a, optA, schedA, steps: 4)
        let generatorAfterA = Engine.randomState

        let (b, optB, schedB) = try freshRun()
        try train(b, optB, schedB, steps: 2)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "resume-\(UUID().uuidString).safetensors"
        ).path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try TrainingState(epoch: 1, bestMetric: 0.5, extra: ["note": "x"]).save(
            to: file, model: b, optimizer: optB, scheduler: schedB)

        Engine.seed(77)  // a different generator and different weights, all to be overwritten
        let c = try SEResNet(SEResNetConfig(widths: [4, 8], blocks: [1, 1], reduction: 4, classes: 3, dropout: 0.5))
        let optC = try AdamW(c.parameters)
        let schedC = try OneCycleLR(optC, maxLR: 1e-2, totalSteps: 10)
        let state = try TrainingState.load(from: file, model: c, optimizer: optC, scheduler: schedC)
        XCTAssertEqual(state, TrainingState(epoch: 1, bestMetric: 0.5, extra: ["note": "x"]))
        try train(c, optC, schedC, steps: 2)

        for ((name, ea), (_, ec)) in zip(a.stateDict(), c.stateDict()) {
            switch (ea, ec) {
            case (.tensor(let x), .tensor(let y)): XCTAssertEqual(x.array, y.array, "\(name) differs after resume")
            case (.counter(let x), .counter(let y)): XCTAssertEqual(x.value, y.value, name)
            default: XCTFail(name)
            }
        }
        XCTAssertEqual(optA.learningRate, optC.learningRate)
        XCTAssertEqual(Engine.randomState, generatorAfterA, "the dropout generator resumes where it was saved")
    }

    /// A training state that is refused at any point leaves model, optimiser, scheduler and
    /// weight average exactly as they were, and names what is wrong.
    func testRefusedTrainingStateChangesNothing() throws {
        let (b, optB, schedB) = try freshRun()
        let averageB = try WeightAverage(b, decay: 0.9)
        try train(b, optB, schedB, steps: 2)
        try averageB.update()
        let good = FileManager.default.temporaryDirectory.appendingPathComponent(
            "state-\(UUID().uuidString).safetensors"
        ).path
        defer { try? FileManager.default.removeItem(atPath: good) }
        try TrainingState(epoch: 1).save(to: good, model: b, optimizer: optB, scheduler: schedB, average: averageB)
        let saved = try SafeTensors.read(good)

        typealias Edit = (inout [String: SafeTensorValue], inout [String: String]) -> Void
        let nan = try Tensor(shape: [4], values: [0, .nan, 0, 0])
        let cases: [(String, Edit, String)] = [
            ("scheduler step far out", { _, m in m["scheduler.last_step"] = "1000000000000" }, "last_step"),
            ("negative optimizer step", { _, m in m["optimizer.step"] = "-1" }, "'step' is -1.0"),
            ("NaN optimizer step", { _, m in m["optimizer.step"] = "nan" }, "'step' is nan"),
            ("huge optimizer step", { _, m in m["optimizer.step"] = "1e30" }, "'step'"),
            ("NaN learning rate", { _, m in m["optimizer.lr"] = "nan" }, "'lr'"),
            ("NaN weights", { t, _ in t["model.bn1.bias"] = .f32(nan) }, "NaN or infinite values in model.bn1.bias"),
            (
                "a moment missing (after the average and model took theirs)",
                { t, _ in
                    t["optimizer.state.3.exp_avg"] = nil
                }, "state.3.exp_avg"
            ),
        ]
        for (what, edit, expected) in cases {
            var (tensors, metadata) = (saved.tensors, saved.metadata)
            edit(&tensors, &metadata)
            let bad = good + ".bad"
            defer { try? FileManager.default.removeItem(atPath: bad) }
            try SafeTensors.write(
                bad, tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata)

            Engine.seed(77)
            let c = try SEResNet(
                SEResNetConfig(widths: [4, 8], blocks: [1, 1], reduction: 4, classes: 3, dropout: 0.5))
            let optC = try AdamW(c.parameters)
            let schedC = try OneCycleLR(optC, maxLR: 1e-2, totalSteps: 10)
            let averageC = try WeightAverage(c, decay: 0.9)
            try train(c, optC, schedC, steps: 1)
            try averageC.update()
            averageC.swap()  // validating: the network holds the average
            func snapshot() -> [[Float]] {
                c.stateTensors().map { v in if case .f32(let t) = v.value { return t.array } else { return [] } }
                    + optC.stateTensors().map { v in if case .f32(let t) = v.value { return t.array } else { return [] }
                    }
                    + averageC.stateTensors().map { v in
                        if case .f32(let t) = v.value { return t.array } else { return [] }
                    }
            }
            let before = snapshot()
            let scalars = (optC.stateScalars, schedC.lastStep, averageC.updates, averageC.swapped)
            XCTAssertThrowsError(
                try TrainingState.load(from: bad, model: c, optimizer: optC, scheduler: schedC, average: averageC), what
            ) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(what): \(error)")
            }
            XCTAssertTrue(snapshot() == before, "\(what): the objects changed")
            XCTAssertEqual(optC.stateScalars, scalars.0, what)
            XCTAssertEqual(schedC.lastStep, scalars.1, what)
            XCTAssertEqual(averageC.updates, scalars.2, what)
            XCTAssertEqual(averageC.swapped, scalars.3, what)
        }
    }

    func testSameSeedAndThreadCountReproduceBitForBit() throws {
        var runs: [[Float]] = []
        for _ in 0..<2 {
            let (m, opt, sched) = try freshRun()
            try train(m, opt, sched, steps: 2)
            runs.append(m.parameters.flatMap(\.value.array))
        }
        XCTAssertEqual(runs[0], runs[1])
    }

    /// The weight gradient is summed over shards fixed by the batch size, not by the workers:
    /// one, two and three threads train the same bits (a batch of 8 with dropout, so the
    /// backward pass splits the images differently on each count).
    func testTrainingIsTheSameBitsOnAnyThreadCount() throws {
        let saved = Engine.threads
        defer { Engine.threads = saved }
        var runs: [[Float]] = []
        for threads in [1, 2, 3] {
            Engine.threads = threads
            Engine.seed(2024)
            let model = try SEResNet(
                SEResNetConfig(widths: [4, 8], blocks: [1, 1], reduction: 4, classes: 3, dropout: 0.5))
            let opt = try AdamW(model.parameters, weightDecay: 1e-4)
            for step in 0..<3 {
                let x = randomTensor([8, 1, 16, 40], seed: UInt64(200 + step))
                model.zeroGrad()
                let (_, d) = try crossEntropy(
                    try model.forward(x), labels: [0, 1, 2, 1, 0, 2, 2, 1], labelSmoothing: 0.1)
                _ = try model.backward(d)
                opt.step()
            }
            runs.append(model.parameters.flatMap(\.value.array))
        }
        XCTAssertTrue(runs[0] == runs[1], "1 and 2 threads trained different weights")
        XCTAssertTrue(runs[0] == runs[2], "1 and 3 threads trained different weights")
    }
}
