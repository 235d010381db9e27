import Foundation
import Native
import XCTest

@testable import Host

/// mm.nn from Lua: the SE-ResNet against the PyTorch fixture, the loss by hand, checkpoints,
/// a training loop whose loss falls, and what the Lua layer costs per step.
final class LuaNNTests: XCTestCase {
    let fixturePath = LuaFixtures.path("nn/seresnet_small.safetensors")

    func testDefaultSEResNetCountsParametersLikePyTorch() throws {
        let fixture = try SafeTensors.read(fixturePath)
        XCTAssertEqual(
            try LuaState().evaluate("return mm.nn.seresnet{}:parameter_count()"),
            [fixture.metadata["reference_parameter_count"]!])
    }

    /// The fixture's initial weights and input as a weights file and an .npy file, its config
    /// as Lua table text and its labels 1-based.
    private func pyTorchCase() throws -> (
        weights: String, input: String, config: String, labels: String, fixture: SafeTensors.File
    ) {
        let folder = try LuaFixtures.scratch(self)
        let fixture = try SafeTensors.read(fixturePath)
        let initial = fixture.tensors.filter { $0.key.hasPrefix("init.") }.map {
            (name: String($0.key.dropFirst(5)), value: $0.value)
        }
        let weights = folder.appendingPathComponent("init.safetensors").path
        try SafeTensors.write(weights, initial.sorted { $0.name < $1.name })
        let input = folder.appendingPathComponent("input.npy").path
        guard case .f32(let x)? = fixture.tensors["input"], case .i64(_, let y)? = fixture.tensors["labels"] else {
            throw NNError("fixture lacks input or labels")
        }
        try Npy.write(x.array, shape: x.shape, to: input)
        let c = try JSONSerialization.jsonObject(with: Data(fixture.metadata["config"]!.utf8)) as! [String: Any]
        let list = { (key: String) in (c[key] as! [Int]).map(String.init).joined(separator: ", ") }
        let config =
            "{widths = {\(list("widths"))}, blocks = {\(list("blocks"))}, reduction = \(c["reduction"]!), classes = \(c["classes"]!), dropout = \(c["dropout"]!), in_channels = \(c["in_channels"]!)}"
        return (weights, input, config, "{" + y.map { String($0 + 1) }.joined(separator: ", ") + "}", fixture)
    }

    func testForwardAndLossThroughLuaMatchPyTorch() throws {
        let c = try pyTorchCase()
        let state = LuaState()
        let r = try state.evaluate(
            """
            local net = mm.nn.seresnet\(c.config):load('\(c.weights)')
            net:training()
            logits = net:forward(mm.npy.load('\(c.input)'))
            local loss, grad = mm.nn.cross_entropy(logits, \(c.labels), {label_smoothing = 0.1})
            net:backward(grad)
            grads = net:named_parameters()
            return loss
            """)
        guard case .f32(let loss)? = c.fixture.tensors["loss"], case .f32(let logits)? = c.fixture.tensors["logits"]
        else {
            return XCTFail("fixture lacks loss or logits")
        }
        XCTAssertEqual(Double(r[0]!)!, Double(loss[0]), accuracy: 1e-4 * Double(abs(loss[0])))
        let ours = try state.evaluate("return table.concat(logits:reshape{-1}:totable(), ' ')")[0]!.split(
            separator: " "
        ).map { Float($0)! }
        let scale = logits.array.map(abs).max()!
        for (a, b) in zip(ours, logits.array) { XCTAssertEqual(a, b, accuracy: 1e-4 * scale) }
    }

    func testCrossEntropyIsTheSmoothedNegativeLogLikelihood() throws {
        // logits (1, 3) = {1, 2, 3}, label 3, smoothing 0.1: q = 0.9 onehot + 0.1 / 3,
        // loss = -sum q log p, dloss/dz = p - q (one row, so no division).
        let z = [1.0, 2.0, 3.0]
        let logSum = log(z.map(exp).reduce(0, +))
        let p = z.map { exp($0 - logSum) }
        let q = [0.1 / 3, 0.1 / 3, 0.9 + 0.1 / 3]
        let loss = -zip(q, p).map { $0 * log($1) }.reduce(0, +)
        let r = try LuaState().evaluate(
            """
            local z = mm.tensor{{1, 2, 3}}
            local loss, grad = mm.nn.cross_entropy(z, {3}, {label_smoothing = 0.1})
            local same = mm.nn.cross_entropy(z, mm.tensor{3}, {label_smoothing = 0.1})
            local soft = mm.nn.cross_entropy(z, mm.tensor{{0, 0, 1}}, {label_smoothing = 0.1})
            local plain = mm.nn.cross_entropy(z, {3})
            return loss, grad:get(1, 1), grad:get(1, 3), same == loss, math.abs(soft - loss) < 1e-12, plain
            """)
        XCTAssertEqual(Double(r[0]!)!, loss, accuracy: 1e-12)
        XCTAssertEqual(Double(r[1]!)!, p[0] - q[0], accuracy: 1e-7)
        XCTAssertEqual(Double(r[2]!)!, p[2] - q[2], accuracy: 1e-7)
        XCTAssertEqual(r[3], "true")
        XCTAssertEqual(r[4], "true")
        XCTAssertEqual(Double(r[5]!)!, logSum - 3, accuracy: 1e-12)
    }

    func testSavedWeightsLoadIntoAFreshNetwork() throws {
        let file = try LuaFixtures.scratch(self).appendingPathComponent("net.safetensors").path
        let r = try LuaState().evaluate(
            """
            local config = {widths = {4, 8}, blocks = {1, 1}, reduction = 2, classes = 3}
            mm.seed(1)
            local a = mm.nn.seresnet(config)
            a:save('\(file)')
            mm.seed(2)
            local b = mm.nn.seresnet(config)
            local x = mm.randn{2, 1, 16, 16}
            local before = (a:evaluate():forward(x) - b:evaluate():forward(x)):max() ~= 0
            b:load('\(file)')
            local d = a:forward(x) - b:forward(x)
            return before, (d * d):max(), a:named_parameters()['fc.weight']:get(2, 3) == b:named_parameters()['fc.weight']:get(2, 3)
            """)
        XCTAssertEqual(r, ["true", "0.0", "true"])
    }

    func testStrictLoadListsMissingUnexpectedAndMisshapedNames() throws {
        let file = try LuaFixtures.scratch(self).appendingPathComponent("net.safetensors").path
        let state = LuaState()
        _ = try state.evaluate(
            "mm.nn.seresnet{widths = {4, 8}, blocks = {1, 1}, reduction = 2, classes = 3}:save('\(file)')")
        let misshaped = state.failure(
            "mm.nn.seresnet{widths = {4, 8}, blocks = {1, 1}, reduction = 2, classes = 5}:load('\(file)')")
        XCTAssertEqual(
            misshaped,
            "test:1: loading '\(file)': state dict does not match the model; mis-shaped: fc.weight (expected [5, 8], got [3, 8]), fc.bias (expected [5], got [3])"
        )
        let deeper =
            state.failure(
                "mm.nn.seresnet{widths = {4, 8}, blocks = {1, 2}, reduction = 2, classes = 3}:load('\(file)')") ?? ""
        XCTAssertTrue(deeper.contains("missing: layer2.1.conv1.weight"), deeper)
        let shallower =
            state.failure("mm.nn.seresnet{widths = {4}, blocks = {1}, reduction = 2, classes = 3}:load('\(file)')")
            ?? ""
        XCTAssertTrue(shallower.contains("unexpected: layer2.0.bn1.bias"), shallower)
        XCTAssertTrue(shallower.contains("mis-shaped: fc.weight (expected [3, 4], got [3, 8])"), shallower)
    }

    func testLayersComposeIntoASequentialWithPyTorchNames() throws {
        let r = try LuaState().evaluate(
            """
            local net = mm.nn.Sequential{
              mm.nn.Conv2d(1, 4, 3, {stride = 1, pad = 1}), mm.nn.BatchNorm2d(4), mm.nn.ReLU(),
              mm.nn.MaxPool2d(3, {stride = 2, pad = 1}), mm.nn.BasicBlock(4, 8, {stride = 2, reduction = 4}),
              mm.nn.SEBlock(8, {reduction = 2}), mm.nn.GlobalAvgPool(), mm.nn.Dropout(0.5), mm.nn.Linear(8, 3),
            }
            local x = mm.randn{2, 1, 16, 16}
            local out = net:forward(x)
            local loss, grad = mm.nn.cross_entropy(out, {1, 2})
            local dx = net:backward(grad)
            local names = net:parameters():names()
            return table.concat(out:shape(), 'x'), table.concat(dx:shape(), 'x'), names[1], names[#names], #net:parameters(),
              net:named_parameters()['0.weight']:numel(), tostring(net):match('^Sequential%(\\n  %(0%): Conv2d%(1, 4') ~= nil
            """)
        XCTAssertEqual(r, ["2x3", "2x1x16x16", "0.weight", "8.bias", "23", "36", "true"])
    }

    func testForwardOutputsAreTheScriptsToKeep() throws {
        // A second forward must not change the tensor the first one returned.
        let r = try LuaState().evaluate(
            """
            local layer = mm.nn.Linear(2, 2)
            local first = layer:forward(mm.ones{1, 2})
            local value = first:get(1, 1)
            layer:forward(mm.zeros{1, 2})
            return first:get(1, 1) == value
            """)
        XCTAssertEqual(r, ["true"])
    }

    func testPredictIsEvaluationForwardWithoutRecordingAndKeepsTheMode() throws {
        let r = try LuaState().evaluate(
            """
            mm.seed(3)
            local net = mm.nn.seresnet{widths = {4, 8, 8, 8}, blocks = {1, 1, 1, 1}, reduction = 2, classes = 3}
            local x = mm.randn{2, 1, 32, 24}
            net:training()
            for _ = 1, 3 do net:forward(x) end         -- running statistics move
            local p = net:predict(x)
            local still_training = net:is_training()
            net:evaluate()
            local f = net:forward(x)
            local d, scale = p - f, f:max() - f:min()
            local worst = math.max(d:max(), -d:min()) / scale
            local ok, err = pcall(function() net:predict(x); net:backward(mm.ones{2, 3}) end)
            return still_training, worst < 1e-4, p:shape()[1] .. "x" .. p:shape()[2], ok, tostring(err)
            """)
        XCTAssertEqual(Array(r.prefix(4)), ["true", "true", "2x3", "false"])
        XCTAssertTrue(r[4]?.contains("backward") ?? false, r[4] ?? "")
    }

    func testTrainSmallExampleLossFalls() throws {
        let script = LuaFixtures.root.appendingPathComponent("scripts/examples/train_small.lua").path
        let r = try LuaState().evaluate("local r = dofile('\(script)') return r.first_loss, r.last_loss, r.accuracy")
        let (first, last, accuracy) = (Double(r[0]!)!, Double(r[1]!)!, Double(r[2]!)!)
        XCTAssertLessThan(last, 0.75 * first, "loss \(first) -> \(last)")
        XCTAssertGreaterThan(accuracy, 0.8)
    }

    /// Rectangular kernels and padding per side from Lua: TensorFlow's "same" padding of a
    /// 128-row kernel keeps 187 frames; {rows, columns} padding; bad forms explained.
    func testRectangularConvolutionsFromLua() throws {
        let r = try LuaState(quiet: true).evaluate(
            """
            local tall = mm.nn.Conv2d(1, 4, {128, 1}, {pad = {63, 64, 0, 0}})
            local wide = mm.nn.Conv2d(1, 2, {7, 38}, {pad = {3, 0}})
            local x = mm.randn{2, 1, 187, 96}
            local a, b = tall:forward(x), wide:forward(x)
            return tostring(tall), table.concat(a:shape(), "x"), table.concat(b:shape(), "x"),
              select(2, pcall(mm.nn.Conv2d, 1, 2, {3, 3, 3})), select(2, pcall(mm.nn.Conv2d, 1, 2, 3, {pad = {1, 2, 3}}))
            """)
        XCTAssertEqual(r[0], "Conv2d(1, 4, kernel_size=(128, 1), stride=(1, 1), padding=(63, 64, 0, 0))")
        XCTAssertEqual(r[1], "2x4x187x96")
        XCTAssertEqual(r[2], "2x2x187x59")
        XCTAssertTrue(r[3]?.contains("a kernel side or {height, width} expected, got 3 entries") ?? false, "\(r)")
        XCTAssertTrue(r[4]?.contains("{top, bottom, left, right} expected, got 3 entries") ?? false, "\(r)")
    }

    /// mm.nn.musicnn from Lua, without the pretrained weights (weights = false): its size, a
    /// new head, freezing all but the head (the optimiser's parameters), the front end from a
    /// buffer, embed, and the errors a user meets.
    func testMusicnnFromLua() throws {
        let r = try LuaState(quiet: true).evaluate(
            """
            mm.seed(1)
            local net = mm.nn.musicnn{weights = false, classes = 10, trainable = "head"}
            local all = mm.nn.musicnn{weights = false}
            local samples = {}
            for i = 1, 22050 * 4 do samples[i] = 0.1 * math.sin(i * 0.05) + 0.01 * math.sin(i * 0.31) end
            local x = mm.dsp.musicnn(mm.audio.new(samples, 22050))
            local logits = net:forward(x)
            local embedding = net:embed(x)
            local short = mm.dsp.musicnn(mm.audio.new({0, 0, 0}, 16000))
            return all:parameter_count(), #net:parameters(), table.concat(x:shape(), "x"),
              table.concat(logits:shape(), "x"), table.concat(embedding:shape(), "x"), tostring(short),
              select(2, pcall(mm.nn.musicnn, {weights = "MSD", folder = "/nonexistent"})),
              select(2, pcall(mm.nn.musicnn, {weights = false, trainable = 9})),
              select(2, pcall(function() return mm.nn.seresnet{}:embed(x) end))
            """)
        XCTAssertEqual(
            r[0], "787159", "the published network's trainable size (its checkpoint's kernels, biases, gammas, betas)")
        XCTAssertEqual(r[1], "2", "a frozen backbone leaves the head's weight and bias")
        XCTAssertEqual(r[2], "1x1x187x96")
        XCTAssertEqual(r[3], "1x10")
        XCTAssertEqual(r[4], "1x200")
        XCTAssertEqual(r[5], "nil")
        XCTAssertTrue(r[6]?.contains("no MSD_musicnn weights here; run `make weights`") ?? false, "\(r)")
        XCTAssertTrue(r[7]?.contains("a count of layer groups 0 ... 7 expected, got 9") ?? false, "\(r)")
        XCTAssertTrue(r[8]?.contains("embed is a musicnn's") ?? false, "\(r)")
        let vgg = try LuaState(quiet: true).evaluate(
            """
            local net = mm.nn.musicnn{model = "vgg", weights = false, classes = 10, trainable = 2}
            local x = mm.randn{2, 1, 187, 96}
            return mm.nn.musicnn{model = "vgg", weights = false}:parameter_count(), #net:parameters(),
              table.concat(net:forward(x):shape(), "x"), table.concat(net:embed(x):shape(), "x")
            """)
        XCTAssertEqual(
            vgg, ["605748", "6", "2x10", "2x256"],
            "its checkpoint's size; block 5 (conv, bias, gamma, beta) and the head train")
    }

    func testBadNetworkArgumentsAreExplained() throws {
        let state = LuaState()
        let cases: [(String, String)] = [
            (
                "mm.nn.seresnet{widths = {8, 'x'}}",
                "bad argument #1 to 'seresnet' (field 'widths': entry 2: integer expected, got string)"
            ),
            (
                "mm.nn.Conv2d(1, 0, 3)",
                "Conv2d: channels, kernel_size and stride must be positive and padding >= 0, got in 1, out 0, kernel 3, stride 1, padding 0"
            ),
            (
                "mm.nn.Sequential{mm.nn.ReLU(), 3}",
                "bad argument #1 to 'Sequential' (entry 2: module expected, got number)"
            ),
            (
                "mm.nn.cross_entropy(mm.zeros{2, 3}, {1, 4})",
                "bad argument #2 to 'cross_entropy' (label 2 is 4, expected a class 1 ... 3)"
            ),
            (
                "mm.nn.cross_entropy(mm.zeros{2, 3}, {1})",
                "bad argument #2 to 'cross_entropy' (2 labels expected (one per row of logits), got 1)"
            ),
            (
                "mm.nn.cross_entropy(mm.zeros{3}, {1})",
                "bad argument #1 to 'cross_entropy' (logits of shape (N, C) expected, got [3])"
            ),
            ("mm.nn.Linear(2, 2):forward(mm.zeros{1, 3})", "Linear expects an input of shape (N, 2), got [1, 3]"),
            ("mm.nn.ReLU():backward(mm.zeros{1})", "ReLU.backward called before forward"),
        ]
        for (source, message) in cases {
            XCTAssertEqual(state.failure(source), "test:1: " + message, source)
        }
        try state.assertErrorLoopSurvives([
            "mm.nn.cross_entropy(mm.zeros{2, 3}, {1, 4})", "mm.nn.Linear(2, 2):forward(mm.zeros{1, 3})",
            "mm.nn.seresnet{classes = 0}", "mm.nn.Sequential(1)",
        ])
    }

    /// The same training steps driven from Lua and from Swift on one small network; the
    /// difference per step is what the Lua layer costs (argument checks, userdata, the copy of
    /// the logits).
    func testLuaOverheadPerTrainingStepIsSmall() throws {
        let steps = 20
        let config = SEResNetConfig(widths: [8, 16], blocks: [1, 1], reduction: 4, classes: 4, dropout: 0)
        Engine.seed(3)
        let x = Tensor(shape: [16, 1, 32, 32])
        Engine.withRandom { rng in for i in 0..<x.count { x[i] = Float(rng.normal()) } }
        let labels = (0..<16).map { $0 % 4 }

        let net = try SEResNet(config)
        let opt = try AdamW(net.parameters)
        func swiftStep() throws {
            opt.zeroGrad()
            let (_, d) = try crossEntropy(try net.forward(x), labels: labels)
            _ = try net.backward(d)
            opt.step()
        }
        let state = LuaState()
        _ = try state.evaluate(
            """
            net = mm.nn.seresnet{widths = {8, 16}, blocks = {1, 1}, reduction = 4, classes = 4, dropout = 0}
            opt = mm.optim.adamw(net:parameters())
            labels = {}
            for i = 1, 16 do labels[i] = (i - 1) % 4 + 1 end
            function step(x)
              opt:zero_grad()
              local loss, grad = mm.nn.cross_entropy(net:forward(x), labels)
              net:backward(grad)
              opt:step()
            end
            -- The same batch: mm.randn draws from the engine generator exactly as Swift did.
            mm.seed(3); x = mm.randn{16, 1, 32, 32}; step(x)
            """)
        try swiftStep()
        // The machine is shared: alternate the two loops and keep each one's fastest round.
        var (swiftSeconds, luaSeconds) = (Double.infinity, Double.infinity)
        for _ in 0..<3 {
            var started = Date()
            for _ in 0..<steps { try swiftStep() }
            swiftSeconds = min(swiftSeconds, Date().timeIntervalSince(started))
            started = Date()
            _ = try state.evaluate("for i = 1, \(steps) do step(x) end")
            luaSeconds = min(luaSeconds, Date().timeIntervalSince(started))
        }
        let overhead = (luaSeconds - swiftSeconds) / Double(steps)
        print(
            String(
                format: "Lua training step: %.3f ms from Lua, %.3f ms from Swift; overhead %.3f ms per step (%.1f%%)",
                luaSeconds * 1e3 / Double(steps), swiftSeconds * 1e3 / Double(steps), overhead * 1e3,
                100 * overhead * Double(steps) / swiftSeconds))
        XCTAssertLessThan(luaSeconds, 1.25 * swiftSeconds + 0.001 * Double(steps))

        // The floor: a whole step of a 2 -> 2 linear layer costs almost nothing natively, so its
        // time is the Lua side of the five calls of a step.
        let floor = try state.number(
            """
            local layer = mm.nn.Linear(2, 2)
            local o = mm.optim.sgd(layer, {lr = 0.01})
            local x, y = mm.ones{1, 2}, {1}
            local started = mm.clock()
            for i = 1, 10000 do
              o:zero_grad()
              local loss, grad = mm.nn.cross_entropy(layer:forward(x), y)
              layer:backward(grad)
              o:step()
            end
            return (mm.clock() - started) / 10000
            """)
        print(String(format: "Lua training step of a 2 -> 2 linear layer: %.1f us", floor * 1e6))
        XCTAssertLessThan(floor, 1e-3)
    }
}
