import Foundation
import Native

// The CNN engine: convolution GFLOP/s per layer type against plain OpenBLAS sgemm on the same
// GEMM shapes, and the SE-ResNet training step / inference throughput with peak RSS.
// NN_BENCH_FULL=0 skips the reference model (16 x 1 x 128 x 1292, several seconds a step);
// NN_BENCH_STEPS sets its timed steps (default 2); NN_BENCH_PARTS picks among small,conv,seresnet
// (and small-1292, the small model on the quickstart's full-length 128 x 1292 spectrograms;
// small-inference and seresnet-inference, for profiling).
// Every time is the best of its repeats, as in tools/peers/torch_train.py: the machine is shared;
// repeats go on while the two fastest differ by more than 5%, and each row reports that spread.

enum NNBench {
    static func emit(_ name: String, _ value: Double, _ unit: String, _ extra: [String: String] = [:]) {
        var fields = [
            "\"suite\":\"nn\"", "\"name\":\"\(name)\"", "\"value\":\(String(format: "%.4g", value))",
            "\"unit\":\"\(unit)\"",
            "\"threads\":\(Engine.threads)",
        ]
        fields += extra.sorted(by: { $0.key < $1.key }).map { "\"\($0.key)\":\"\($0.value)\"" }
        print("{\(fields.joined(separator: ","))}")
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// The spread of the last `best`: how much slower than the best its next-best run was.
    nonisolated(unsafe) static var lastSpread = 0.0

    /// Best of `repeats` timings (the machine is shared). When the two fastest differ by more
    /// than 5%, it runs on, up to three times as many, until they agree; `lastSpread` says by
    /// how much they still differ, so a number from a busy machine is not taken for progress.
    static func best(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        repeat {
            times.append(try seconds(body))
            times.sort()
            lastSpread = times.count > 1 ? times[1] / times[0] - 1 : 0
        } while times.count < repeats || (lastSpread > 0.05 && times.count < 3 * max(repeats, 2))
        return times[0]
    }

    /// `lastSpread` as an emitted field.
    static var spread: [String: String] { ["spread": String(format: "%.3f", lastSpread)] }

    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    static func random(_ shape: [Int]) -> Tensor {
        var rng = Random(seed: 1)
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t[i] = Float(rng.uniform()) }
        return t
    }

    /// Forward and backward of one conv layer of the reference model at batch 16, in GFLOP/s,
    /// next to OpenBLAS on the forward GEMM (OC x C*K*K) @ (C*K*K x OH*OW), once per image.
    static func convLayers() throws {
        let n = 16
        let layers: [(String, Int, Int, Int, Int, Int, Int)] = [
            // name, C, H, W, OC, K, stride
            ("stem7x7", 1, 128, 1292, 64, 7, 2),
            ("layer1.3x3", 64, 32, 323, 64, 3, 1),
            ("layer2.3x3", 128, 16, 162, 128, 3, 1),
            ("layer3.3x3", 256, 8, 81, 256, 3, 1),
            ("layer4.3x3", 512, 4, 41, 512, 3, 1),
            ("layer2.down1x1", 64, 32, 323, 128, 1, 2),
            // the small model's narrow layers, where Winograd's transforms weigh most
            ("small.layer1.3x3", 16, 32, 323, 16, 3, 1),
            ("small.layer2.3x3", 32, 16, 162, 32, 3, 1),
        ]
        for (name, c, h, w, oc, k, s) in layers {
            let conv = try Conv2d(c, oc, kernelSize: k, stride: s, padding: k / 2, bias: false)
            conv.algorithm = .direct
            let x = random([n, c, h, w])
            let out = try conv.forward(x)
            let p = out.shape[2] * out.shape[3]
            let flops = 2.0 * Double(oc * c * k * k * p * n)
            let fwd = try best(3) { _ = try conv.forward(x) }
            if k == 3 && s == 1 {
                // the same layer by Winograd F(2x2, 3x3), in direct-convolution GFLOP/s
                conv.algorithm = .winograd
                let winograd = try best(3) { _ = try conv.forward(x) }
                emit("conv.\(name).winograd", flops / winograd / 1e9, "GFLOP/s", spread)
                let dout = random(out.shape)
                var backward = Double.infinity
                for _ in 0..<2 {
                    _ = try conv.forward(x)
                    backward = min(backward, try seconds { _ = try conv.backward(dout) })
                }
                emit("conv.\(name).winograd_backward", 2 * flops / backward / 1e9, "GFLOP/s")
                conv.algorithm = .direct
            }
            let dout = random(out.shape)
            var bwd = Double.infinity
            for _ in 0..<2 {
                _ = try conv.forward(x)  // backward consumes what forward recorded
                bwd = min(bwd, try seconds { _ = try conv.backward(dout) })
            }
            let a = random([oc, c * k * k])
            let b = random([c * k * k, p])
            let gemm = try best(3) { for _ in 0..<n { _ = try a.matmul(b) } }
            emit("conv.\(name).forward", flops / fwd / 1e9, "GFLOP/s")
            emit("conv.\(name).backward", 2 * flops / bwd / 1e9, "GFLOP/s")
            emit("sgemm.\(name)", flops / gemm / 1e9, "GFLOP/s", ["shape": "\(oc)x\(c * k * k)x\(p)"])
        }
    }

    /// Training steps (forward, label-smoothed loss, backward, AdamW) and inference.
    static func model(_ label: String, _ config: SEResNetConfig, input: [Int], steps: Int, train doTrain: Bool = true)
        throws
    {
        Engine.seed(1)
        try model(label, try SEResNet(config), classes: config.classes, input: input, steps: steps, train: doTrain)
    }

    /// The same for any network, `classes` wide.
    static func model(
        _ label: String, _ net: any Module, classes: Int, input: [Int], steps: Int, train doTrain: Bool = true
    ) throws {
        // a partly frozen backbone's optimiser holds its trainable parameters only, as the recipe's
        let trainable = (net as? any PretrainedBackbone)?.trainableNamedParameters.map(\.parameter)
        let opt = try AdamW(trainable ?? net.parameters, learningRate: 1e-3, weightDecay: 1e-4)
        let x = random(input)
        let labels = (0..<input[0]).map { $0 % classes }
        func step() throws {
            net.zeroGrad()
            let (_, d) = try crossEntropy(try net.forward(x), labels: labels, labelSmoothing: 0.1)
            _ = try net.backward(d)
            opt.step()
        }
        let shape = input.map(String.init).joined(separator: "x")
        if doTrain {
            try step()  // first step allocates every buffer
            let train = try best(steps) { try step() }
            emit("\(label).train_step", train, "s/step", ["input": shape].merging(spread) { $1 })
            emit("\(label).train", Double(input[0]) / train, "samples/s", ["input": shape].merging(spread) { $1 })
        }
        net.setTraining(false)
        let infer = try net.workspace.withoutRecording {
            _ = try net.forward(x)
            return try best(steps) { _ = try net.forward(x) }
        }
        emit("\(label).inference", Double(input[0]) / infer, "samples/s", ["input": shape].merging(spread) { $1 })
        emit("\(label).peak_rss", peakRSSMiB(), "MiB", ["params": String(net.parameterCount)])
    }

    static func run() throws {
        let env = ProcessInfo.processInfo.environment
        let steps = Int(env["NN_BENCH_STEPS"] ?? "") ?? 2
        let parts = Set((env["NN_BENCH_PARTS"] ?? "small,conv,seresnet,musicnn").split(separator: ",").map(String.init))
        let small = SEResNetConfig(widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1])
        if parts.contains("small") { try model("small", small, input: [16, 1, 128, 256], steps: 10) }
        if parts.contains("small-1292") { try model("small-1292", small, input: [16, 1, 128, 1292], steps: 5) }
        if parts.contains("small-inference") {
            try model("small", small, input: [16, 1, 128, 256], steps: 50, train: false)
        }
        if parts.contains("conv") { try convLayers() }
        if parts.contains("seresnet") && env["NN_BENCH_FULL"] != "0" {
            try model("seresnet", SEResNetConfig(), input: [16, 1, 128, 1292], steps: steps)
        }
        if parts.contains("musicnn") {
            // musicnn and its VGG (random weights: the speed is the same), 16 patches of 3 s
            // (187 frames x 96 bands at 16 kHz), a 10-genre head as the recipe would train it
            var config = MusicnnConfig()
            config.classes = 10
            Engine.seed(1)
            try model("musicnn", try Musicnn(config), classes: 10, input: [16, 1, 187, 96], steps: 5)
            // as the recipe runs it (--model musicnn --trainable 5): 3 s crops in training with the
            // front end frozen, whole 30 s clips (96 x 1876, ten patches) in inference, so that
            // its inference samples/s are clips/s beside the SE-ResNet's
            let tuned = try Musicnn(config)
            tuned.trainableGroups = 5
            let recipe = try ClipPatches(tuned, patch: MusicnnFrontEnd.patchFrames)
            try model("musicnn-recipe", recipe, classes: 10, input: [16, 1, 96, 187], steps: 5)
            try model("musicnn-clips", recipe, classes: 10, input: [4, 1, 96, 1876], steps: 3, train: false)
            var vgg = MusicnnVGGConfig()
            vgg.classes = 10
            try model("musicnn-vgg", try MusicnnVGG(vgg), classes: 10, input: [16, 1, 187, 96], steps: 5)
        }
        if parts.contains("seresnet-inference") {
            try model("seresnet", SEResNetConfig(), input: [16, 1, 128, 1292], steps: steps, train: false)
        }
    }
}
