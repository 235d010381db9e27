import Foundation
import Native
import XCTest

@testable import Host

/// mm.optim from Lua: updates by hand, schedules against PyTorch's values, and a resumed run
/// that ends bit for bit where an uninterrupted one does.
final class LuaOptimTests: XCTestCase {
    /// A 1 -> 2 linear layer without bias, weights (0.5, -0.5), one example x = 1 of class 1:
    /// dloss/dw = softmax(w) - (1, 0).
    let oneStep = """
        local layer = mm.nn.Linear(1, 2, {bias = false})
        local w = layer:named_parameters()['weight']
        w:set(0.5, 1, 1); w:set(-0.5, 2, 1)
        local function step(opt)
          opt:zero_grad()
          local loss, grad = mm.nn.cross_entropy(layer:forward(mm.ones{1, 1}), {1})
          layer:backward(grad)
          opt:step()
        end

        """

    /// mm.optim.ema: after one step the average sits a tenth of the way from the start to the
    /// new weight (the warmed-up decay is 1/10), swap lends it to the layer and takes it back.
    func testWeightAverageFollowsTheStepsAndSwapsIntoTheNetwork() throws {
        let r = try LuaState().evaluate(
            oneStep + """
                local opt = mm.optim.sgd(layer:parameters(), {lr = 1})
                local ema = mm.optim.ema(layer, {decay = 0.999})
                step(opt)
                ema:update()
                local live = w:get(1, 1)
                local swapped = ema:swap()
                local averaged = w:get(1, 1)
                ema:swap()
                return live, averaged, w:get(1, 1), swapped, ema.updates, ema.decay
                """)
        let live = Double(r[0]!)!
        XCTAssertEqual(Double(r[1]!)!, 0.1 * 0.5 + 0.9 * live, accuracy: 1e-6)
        XCTAssertEqual(Double(r[2]!)!, live)
        XCTAssertEqual(Array(r[3...]), ["true", "1", "0.999"])
    }

    func testWeightAverageDecayOutsideZeroToOneIsAnErrorNamingIt() throws {
        for decay in ["1", "0", "-0.1", "1.5"] {
            XCTAssertThrowsError(try LuaState().evaluate("mm.optim.ema(mm.nn.Linear(1, 2), {decay = \(decay)})")) {
                error in
                XCTAssertTrue(
                    "\(error)".contains("field 'decay': a number in (0, 1) expected, like 0.999, got"), "\(error)")
            }
        }
    }

    func testAdamWStepIsDecoupledDecayThenTheBiasCorrectedUpdate() throws {
        let r = try LuaState().evaluate(
            oneStep + """
                local opt = mm.optim.adamw(layer:parameters(), {lr = 0.1, betas = {0.8, 0.99}, eps = 1e-8, weight_decay = 0.01})
                step(opt)
                return w:get(1, 1), w:get(2, 1), opt.steps
                """)
        let p1 = exp(0.5) / (exp(0.5) + exp(-0.5))
        let g = [p1 - 1, 1 - p1]
        // Step 1: m = (1 - b1) g, v = (1 - b2) g^2, so m / (1 - b1) = g and sqrt(v / (1 - b2)) = |g|.
        let expected = zip([0.5, -0.5], g).map { w, g in w * (1 - 0.1 * 0.01) - 0.1 * g / (abs(g) + 1e-8) }
        XCTAssertEqual(Double(r[0]!)!, expected[0], accuracy: 1e-6)
        XCTAssertEqual(Double(r[1]!)!, expected[1], accuracy: 1e-6)
        XCTAssertEqual(r[2], "1")
    }

    func testSGDWithMomentumAndTheLearningRateField() throws {
        let r = try LuaState().evaluate(
            oneStep + """
                local opt = mm.optim.sgd(layer, {lr = 0.5, momentum = 0.9})
                local before = opt.lr
                opt.lr = 0.1
                step(opt)
                return before, opt.lr, opt.momentum, w:get(1, 1)
                """)
        let p1 = exp(0.5) / (exp(0.5) + exp(-0.5))
        XCTAssertEqual(Array(r[0..<3]), ["0.5", "0.1", "0.9"])
        XCTAssertEqual(Double(r[3]!)!, 0.5 - 0.1 * (p1 - 1), accuracy: 1e-7)
    }

    func testClipGradNormReturnsTheNormAndScalesToTheLimit() throws {
        let r = try LuaState().evaluate(
            oneStep + """
                local opt = mm.optim.sgd(layer, {lr = 1})
                local loss, grad = mm.nn.cross_entropy(layer:forward(mm.ones{1, 1}), {1})
                layer:backward(grad)
                local norm = opt:clip_grad_norm(0.1)
                local after = opt:clip_grad_norm(1)
                return norm, after
                """)
        let p1 = exp(0.5) / (exp(0.5) + exp(-0.5))
        XCTAssertEqual(Double(r[0]!)!, (2 * (1 - p1) * (1 - p1)).squareRoot(), accuracy: 1e-7)
        XCTAssertEqual(Double(r[1]!)!, 0.1, accuracy: 1e-6)
    }

    func testOneCycleFollowsPyTorch() throws {
        // The learning rates and beta1s PyTorch's OneCycleLR(max_lr=1e-3, total_steps=10) gave
        // for AdamW at steps 0, 1, 2 (tools/reference/nn.py).
        let fixture = try SafeTensors.read(LuaFixtures.path("nn/seresnet_small.safetensors"))
        let lrs = try JSONSerialization.jsonObject(with: Data(fixture.metadata["lrs"]!.utf8)) as! [Double]
        let beta1s = try JSONSerialization.jsonObject(with: Data(fixture.metadata["beta1s"]!.utf8)) as! [Double]
        let r = try LuaState().evaluate(
            """
            local opt = mm.optim.adamw(mm.nn.Linear(2, 2):parameters(), {lr = 1e-3, weight_decay = 1e-4})
            local sched = mm.optim.onecycle(opt, {max_lr = 1e-3, total_steps = 10})
            local out = {}
            for i = 1, 3 do
              out[#out + 1] = ('%.17g'):format(sched:lr())
              out[#out + 1] = ('%.17g'):format(opt.momentum)
              opt:step(); sched:step()
            end
            return table.unpack(out)
            """)
        for step in 0..<3 {
            XCTAssertEqual(Double(r[2 * step]!)!, lrs[step], accuracy: 1e-15, "lr at step \(step)")
            XCTAssertEqual(Double(r[2 * step + 1]!)!, beta1s[step], accuracy: 1e-15, "beta1 at step \(step)")
        }
    }

    func testCosineStepAndPlateauSchedules() throws {
        let r = try LuaState().evaluate(
            """
            local function opt(lr) return mm.optim.sgd(mm.nn.Linear(1, 1), {lr = lr}) end
            local cosine = mm.optim.cosine(opt(1), {warmup = 2, total_steps = 6, min_lr = 0.1})
            local c = {}
            for i = 1, 7 do c[i] = ('%.4f'):format(cosine:lr()); cosine:step() end
            local step = mm.optim.step_lr(opt(1), {step_size = 2, gamma = 0.5})
            local s = {}
            for i = 1, 5 do s[i] = step:lr(); step:step() end
            local plateau = mm.optim.plateau(opt(1), {mode = 'max', factor = 0.5, patience = 1})
            local p = {}
            for i, metric in ipairs{0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7} do plateau:step(metric); p[i] = plateau:lr() end
            return table.concat(c, ' '), table.concat(s, ' '), table.concat(p, ' ')
            """)
        // cosine: warm-up 1/2, 2/2, then 0.1 + 0.9 / 2 * (1 + cos(pi * k / 4)) for k = 0 ... 4.
        XCTAssertEqual(r[0], "0.5000 1.0000 1.0000 0.8682 0.5500 0.2318 0.1000")
        XCTAssertEqual(r[1], "1.0 1.0 0.5 0.5 0.25")
        XCTAssertEqual(r[2], "1.0 1.0 1.0 0.5 0.5 0.5 0.25")
    }

    /// 2 steps, save, 2 steps; versus 2 steps, save, reload everything in a fresh state, 2
    /// steps. The batches are drawn from the engine generator, which the state file carries.
    func testResumedRunEndsBitForBitWhereTheUninterruptedOneDoes() throws {
        let folder = try LuaFixtures.scratch(self)
        let prelude = """
            local folder = '\(folder.path)'
            mm.seed(11)
            net = mm.nn.seresnet{widths = {4, 8}, blocks = {1, 1}, reduction = 2, classes = 3, dropout = 0.3}
            opt = mm.optim.adamw(net:parameters(), {lr = 1e-2})
            sched = mm.optim.onecycle(opt, {max_lr = 1e-2, total_steps = 4})
            net:training()
            function train(steps)
              for i = 1, steps do
                local x = mm.randn{4, 1, 16, 16}
                opt:zero_grad()
                local loss, grad = mm.nn.cross_entropy(net:forward(x), {1, 2, 3, mm.random(3)}, {label_smoothing = 0.1})
                net:backward(grad)
                opt:step(); sched:step()
              end
            end

            """
        _ = try LuaState().evaluate(
            prelude + """
                train(2)
                mm.optim.save_state(folder .. '/state.safetensors', {model = net, optimizer = opt, scheduler = sched, epoch = 1,
                  best = 0.25, extra = {note = 'half way', batches = 2}})
                train(2)
                net:save(folder .. '/straight.safetensors')
                """)
        let resumed = try LuaState().evaluate(
            prelude + """
                local state = mm.optim.load_state(folder .. '/state.safetensors', {model = net, optimizer = opt, scheduler = sched})
                train(2)
                net:save(folder .. '/resumed.safetensors')
                return state.epoch, state.best, state.extra.note, math.type(state.extra.batches), opt.steps
                """)
        XCTAssertEqual(resumed, ["1", "0.25", "half way", "integer", "4"])
        let straight = try Data(contentsOf: folder.appendingPathComponent("straight.safetensors"))
        let again = try Data(contentsOf: folder.appendingPathComponent("resumed.safetensors"))
        XCTAssertEqual(straight, again, "resumed weights differ from the uninterrupted run")
    }

    func testBadOptimizerArgumentsAreExplained() throws {
        let state = LuaState()
        _ = try state.evaluate("opt = mm.optim.sgd(mm.nn.Linear(1, 1), {lr = 0.1})")
        let cases: [(String, String)] = [
            (
                "mm.optim.adamw(3)",
                "bad argument #1 to 'adamw' (parameters (net:parameters(), or the network) expected, got number)"
            ),
            (
                "mm.optim.adamw(mm.nn.Linear(1, 1), {betas = {0.9}})",
                "bad argument #2 to 'adamw' (field 'betas': two numbers {beta1, beta2} expected)"
            ),
            (
                "mm.optim.sgd(mm.nn.Linear(1, 1), {})",
                "bad argument #2 to 'sgd' (field 'lr': a learning rate is required)"
            ),
            (
                "mm.optim.onecycle(opt, {total_steps = 10})",
                "bad argument #2 to 'onecycle' (field 'max_lr': a number is required)"
            ),
            (
                "mm.optim.onecycle(opt, {max_lr = 1, total_steps = 1.5})",
                "bad argument #2 to 'onecycle' (field 'total_steps': integer expected, got number)"
            ),
            (
                "mm.optim.plateau(opt, {mode = 'up'})",
                "bad argument #2 to 'plateau' (field 'mode': 'min', 'max' expected, got 'up')"
            ),
            ("mm.optim.plateau(opt):step()", "bad argument #1 to 'step' (number expected, got no value)"),
            (
                "mm.optim.adamw(mm.nn.Linear(1, 1), {lr = 1e-3, weight_decy = 1e-4})",
                "bad argument #2 to 'adamw' (field 'weight_decy': unknown option, did you mean 'weight_decay'? (options: betas, eps, lr, weight_decay))"
            ),
            (
                "mm.optim.onecycle(opt, {max_lr = 1, total_steps = 10, pct = 0.25})",
                "bad argument #2 to 'onecycle' (field 'pct': unknown option (options: anneal, base_momentum, cycle_momentum, div_factor, final_div_factor, max_lr, max_momentum, pct_start, three_phase, total_steps))"
            ),
            (
                "mm.optim.step_lr(opt, {step_size = 1}):step(0.5)",
                "bad argument #1 to 'step' (step_lr steps once per batch and takes no metric)"
            ),
            ("opt.lr = -1", "opt.lr: learning rate >= 0 expected, got -1.0"),
            (
                "mm.optim.save_state('/tmp/x', {optimizer = opt})",
                "bad argument #2 to 'save_state' (field 'model': the network (mm.nn module) is required)"
            ),
            (
                "mm.optim.load_state('/no/such', {model = mm.nn.ReLU(), optimizer = opt})",
                "cannot read safetensors file '/no/such'"
            ),
        ]
        for (source, message) in cases {
            let failure = state.failure(source)
            XCTAssertEqual(failure?.hasPrefix("test:1: " + message), true, "\(source): \(failure ?? "no error")")
        }
        _ = try state.evaluate("sched = mm.optim.onecycle(opt, {max_lr = 1, total_steps = 1}); sched:step()")
        XCTAssertEqual(
            state.failure("sched:step()"),
            "test:1: onecycle: stepped past total_steps = 1; raise total_steps to train longer")
        try state.assertErrorLoopSurvives([
            "mm.optim.adamw(3)", "sched:step()", "opt.lr = 'x'", "mm.optim.load_state('/no/such', {model = 1})",
        ])
    }
}
