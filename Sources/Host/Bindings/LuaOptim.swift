import CLua
import Native

/// An optimiser as Lua holds it. `opt.lr` reads and sets the learning rate; `opt.momentum`
/// (Adam's beta1, SGD's momentum) and `opt.steps` read.
final class OptimizerObject: LuaObject {
    let optimizer: any Optimizer

    init(_ optimizer: any Optimizer) { self.optimizer = optimizer }

    static let luaTypeName = "mashup.optimizer"

    var luaDescription: String {
        let kind = optimizer is AdamW ? "adamw" : "sgd"
        return
            "\(kind): \(optimizer.parameters.count) parameters, lr \(optimizer.learningRate), \(optimizer.stepCount) steps"
    }

    func property(_ name: String, lua: Lua) throws -> Bool {
        switch name {
        case "lr": lua.push(optimizer.learningRate)
        case "momentum": lua.push(optimizer.momentum)
        case "steps": lua.push(optimizer.stepCount)
        default: return false
        }
        return true
    }

    /// The optimiser a method was called on.
    static func receiver(_ lua: Lua) throws -> any Optimizer { try lua.object(1, as: OptimizerObject.self).optimizer }

    static let methods: [Binding] = [
        // opt:step(): one update from the accumulated gradients.
        Binding("step") { lua in
            try receiver(lua).step()
            return 0
        },
        Binding("zero_grad") { lua in
            try receiver(lua).zeroGrad()
            return 0
        },
        // opt:clip_grad_norm(max) -> the global gradient norm before clipping.
        Binding("clip_grad_norm") { lua in
            let optimizer = try receiver(lua)
            let limit = try lua.number(2)
            guard limit > 0, limit.isFinite else {
                throw LuaError.argument(2, "positive norm expected, got \(limit)")
            }
            return lua.result(try clipGradNorm(optimizer.parameters, maxNorm: limit))
        },
    ]

    static let metamethods: [Binding] = [
        // opt.lr = x
        Binding("__newindex") { lua in
            let optimizer = try receiver(lua)
            guard lua.type(2) == LUA_TSTRING, try lua.string(2) == "lr" else {
                throw LuaError.message("an optimizer's only settable field is 'lr'")
            }
            let lr = try lua.number(3)
            guard lr >= 0, lr.isFinite else {
                throw LuaError.message("opt.lr: learning rate >= 0 expected, got \(lr)")
            }
            optimizer.learningRate = lr
            return 0
        }
    ]
}

/// A learning-rate schedule as Lua holds it: per-batch schedules step without a metric;
/// `plateau` steps with one (usually per epoch).
final class SchedulerObject: LuaObject {
    enum Schedule {
        case perBatch(any LRScheduler)
        case plateau(ReduceLROnPlateau)
    }

    let schedule: Schedule
    let optimizer: any Optimizer
    let kind: String

    init(_ schedule: Schedule, optimizer: any Optimizer, kind: String) {
        (self.schedule, self.optimizer, self.kind) = (schedule, optimizer, kind)
    }

    static let luaTypeName = "mashup.scheduler"

    var luaDescription: String { "\(kind) scheduler: lr \(optimizer.learningRate)" }

    /// What a training-state file stores of this schedule.
    var checkpoint: any ScheduleState {
        switch schedule {
        case .perBatch(let s): return s
        case .plateau(let p): return p
        }
    }

    static let methods: [Binding] = [
        // sched:step([metric]): the next step's learning rate; plateau needs the metric.
        Binding("step") { lua in
            let scheduler = try lua.object(1, as: SchedulerObject.self)
            switch scheduler.schedule {
            case .perBatch(let s):
                guard lua.isNoneOrNil(2) else {
                    throw LuaError.argument(2, "\(scheduler.kind) steps once per batch and takes no metric")
                }
                try s.step()
            case .plateau(let p):
                let metric = try lua.number(2)
                guard metric.isFinite else {
                    throw LuaError.argument(2, "finite metric expected, got \(metric)")
                }
                p.step(metric)
            }
            return 0
        },
        // sched:lr() -> the optimiser's current learning rate.
        Binding("lr") { lua in lua.result(try lua.object(1, as: SchedulerObject.self).optimizer.learningRate) },
    ]
}

/// `mm.optim`: optimisers, schedules and training-state files.
enum LuaOptim: LuaModule {
    static let name: String? = "optim"
    static var types: [any LuaObject.Type] { [OptimizerObject.self, SchedulerObject.self, WeightAverageObject.self] }

    static let functions: [Binding] = [
        // mm.optim.adamw(params [, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 1e-2}])
        Binding("adamw") { lua in
            let parameters = try ParameterList.argument(lua, 1)
            let options = try lua.options(2)
            try options.only(["lr", "betas", "eps", "weight_decay"])
            let betas = try options.numbers("betas") ?? [0.9, 0.999]
            guard betas.count == 2 else {
                throw options.invalid("betas", "two numbers {beta1, beta2} expected")
            }
            let adam = try AdamW(
                parameters, learningRate: try options.number("lr", default: 1e-3), beta1: betas[0],
                beta2: betas[1],
                eps: try options.number("eps", default: 1e-8),
                weightDecay: try options.number("weight_decay", default: 1e-2))
            return lua.result(OptimizerObject(adam))
        },
        // mm.optim.sgd(params, {lr =, momentum = 0, dampening = 0, nesterov = false, weight_decay = 0})
        Binding("sgd") { lua in
            let parameters = try ParameterList.argument(lua, 1)
            let options = try lua.options(2)
            try options.only(["lr", "momentum", "dampening", "weight_decay", "nesterov"])
            guard let lr = try options.number("lr") else {
                throw options.invalid("lr", "a learning rate is required")
            }
            let sgd = try SGD(
                parameters, learningRate: lr, momentum: try options.number("momentum", default: 0),
                dampening: try options.number("dampening", default: 0),
                weightDecay: try options.number("weight_decay", default: 0),
                nesterov: try options.boolean("nesterov") ?? false)
            return lua.result(OptimizerObject(sgd))
        },
        // mm.optim.onecycle(opt, {max_lr =, total_steps =, pct_start = 0.3, div_factor = 25,
        // final_div_factor = 1e4, anneal = "cos", three_phase = false, cycle_momentum = true,
        // base_momentum = 0.85, max_momentum = 0.95}), PyTorch's OneCycleLR.
        Binding("onecycle") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(2)
            try o.only([
                "max_lr", "total_steps", "pct_start", "anneal", "div_factor", "final_div_factor", "three_phase",
                "cycle_momentum", "base_momentum", "max_momentum",
            ])
            let schedule = try OneCycleLR(
                optimizer, maxLR: try required(o, "max_lr"), totalSteps: try requiredInteger(o, "total_steps"),
                pctStart: try o.number("pct_start", default: 0.3),
                anneal: OneCycleLR.Anneal(
                    rawValue: try o.choice("anneal", ["cos", "linear"], default: "cos"))!,
                divFactor: try o.number("div_factor", default: 25),
                finalDivFactor: try o.number("final_div_factor", default: 1e4),
                threePhase: try o.boolean("three_phase") ?? false,
                cycleMomentum: try o.boolean("cycle_momentum") ?? true,
                baseMomentum: try o.number("base_momentum", default: 0.85),
                maxMomentum: try o.number("max_momentum", default: 0.95))
            return lua.result(SchedulerObject(.perBatch(schedule), optimizer: optimizer, kind: "onecycle"))
        },
        // mm.optim.cosine(opt, {total_steps =, warmup = 0, min_lr = 0}): linear warm-up, then
        // cosine decay from the optimiser's rate to min_lr.
        Binding("cosine") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(2)
            try o.only(["total_steps", "warmup", "min_lr"])
            let schedule = try CosineWarmupLR(
                optimizer, warmupSteps: try o.integer("warmup", default: 0),
                totalSteps: try requiredInteger(o, "total_steps"),
                minLR: try o.number("min_lr", default: 0))
            return lua.result(SchedulerObject(.perBatch(schedule), optimizer: optimizer, kind: "cosine"))
        },
        // mm.optim.step_lr(opt, {step_size =, gamma = 0.1})
        Binding("step_lr") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(2)
            try o.only(["step_size", "gamma"])
            let schedule = try StepLR(
                optimizer, stepSize: try requiredInteger(o, "step_size"),
                gamma: try o.number("gamma", default: 0.1))
            return lua.result(SchedulerObject(.perBatch(schedule), optimizer: optimizer, kind: "step_lr"))
        },
        // mm.optim.plateau(opt [, {mode = "min", factor = 0.1, patience = 10, threshold = 1e-4,
        // cooldown = 0, min_lr = 0, eps = 1e-8}]), PyTorch's ReduceLROnPlateau.
        Binding("plateau") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(2)
            try o.only(["mode", "factor", "patience", "threshold", "cooldown", "min_lr", "eps"])
            let schedule = try ReduceLROnPlateau(
                optimizer,
                mode: ReduceLROnPlateau.Mode(rawValue: try o.choice("mode", ["min", "max"], default: "min"))!,
                factor: try o.number("factor", default: 0.1), patience: try o.integer("patience", default: 10),
                threshold: try o.number("threshold", default: 1e-4),
                cooldown: try o.integer("cooldown", default: 0),
                minLR: try o.number("min_lr", default: 0), eps: try o.number("eps", default: 1e-8))
            return lua.result(SchedulerObject(.plateau(schedule), optimizer: optimizer, kind: "plateau"))
        },
        Binding("ema") { try WeightAverageObject.make($0) },
        Binding("save_state") { try LuaTrainingState.save($0) },
        Binding("load_state") { try LuaTrainingState.load($0) },
    ]

    private static func required(_ options: LuaOptions, _ key: String) throws -> Double {
        guard let value = try options.number(key) else { throw options.invalid(key, "a number is required") }
        return value
    }

    private static func requiredInteger(_ options: LuaOptions, _ key: String) throws -> Int {
        guard let value = try options.integer(key) else { throw options.invalid(key, "an integer is required") }
        return value
    }
}
