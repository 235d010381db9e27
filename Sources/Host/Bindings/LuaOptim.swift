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

    static let properties: Properties = [
        "lr": { $0.optimizer.learningRate },
        "momentum": { $0.optimizer.momentum },
        "steps": { $0.optimizer.stepCount },
    ]

    static let methods: [Binding] = [
        // opt:step(): one update from the accumulated gradients.
        Binding("step") { lua in try receiver(lua).optimizer.step() },
        Binding("zero_grad") { lua in try receiver(lua).optimizer.zeroGrad() },
        // opt:clip_grad_norm(max) -> the global gradient norm before clipping.
        Binding("clip_grad_norm") { lua in
            let optimizer = try receiver(lua).optimizer
            let limit = try lua.number(2)
            guard limit > 0, limit.isFinite else {
                throw LuaError.argument(2, "positive norm expected, got \(limit)")
            }
            return try lua.result(try clipGradNorm(optimizer.parameters, maxNorm: limit))
        },
    ]

    static let metamethods: [Binding] = [
        // opt.lr = x
        Binding("__newindex") { lua in
            let optimizer = try receiver(lua).optimizer
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
            let scheduler = try receiver(lua)
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
        Binding("lr") { lua in try lua.result(receiver(lua).optimizer.learningRate) },
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
            let options = try lua.options(2, only: ["lr", "betas", "eps", "weight_decay"])
            let betas = try options.numbers("betas") ?? [0.9, 0.999]
            guard betas.count == 2 else {
                throw options.invalid("betas", "two numbers {beta1, beta2} expected")
            }
            let adam = try AdamW(
                parameters, learningRate: try options.number("lr", default: 1e-3), beta1: betas[0],
                beta2: betas[1],
                eps: try options.number("eps", default: 1e-8),
                weightDecay: try options.number("weight_decay", default: 1e-2))
            return try lua.result(OptimizerObject(adam))
        },
        // mm.optim.sgd(params, {lr =, momentum = 0, dampening = 0, nesterov = false, weight_decay = 0})
        Binding("sgd") { lua in
            let parameters = try ParameterList.argument(lua, 1)
            let options = try lua.options(2, only: ["lr", "momentum", "dampening", "weight_decay", "nesterov"])
            let lr = try options.required("lr", options.number, "a learning rate is required")
            let sgd = try SGD(
                parameters, learningRate: lr, momentum: try options.number("momentum", default: 0),
                dampening: try options.number("dampening", default: 0),
                weightDecay: try options.number("weight_decay", default: 0),
                nesterov: try options.boolean("nesterov") ?? false)
            return try lua.result(OptimizerObject(sgd))
        },
        // mm.optim.onecycle(opt, {max_lr =, total_steps =, pct_start = 0.3, div_factor = 25,
        // final_div_factor = 1e4, anneal = "cos", three_phase = false, cycle_momentum = true,
        // base_momentum = 0.85, max_momentum = 0.95}), PyTorch's OneCycleLR.
        Binding("onecycle") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(
                2,
                only: [
                    "max_lr", "total_steps", "pct_start", "anneal", "div_factor", "final_div_factor", "three_phase",
                    "cycle_momentum", "base_momentum", "max_momentum",
                ])
            let schedule = try OneCycleLR(
                optimizer, maxLR: try o.required("max_lr", o.number, "a number is required"),
                totalSteps: try o.required("total_steps", o.integer, "an integer is required"),
                pctStart: try o.number("pct_start", default: 0.3),
                anneal: try o.choice("anneal", default: OneCycleLR.Anneal.cos),
                divFactor: try o.number("div_factor", default: 25),
                finalDivFactor: try o.number("final_div_factor", default: 1e4),
                threePhase: try o.boolean("three_phase") ?? false,
                cycleMomentum: try o.boolean("cycle_momentum") ?? true,
                baseMomentum: try o.number("base_momentum", default: 0.85),
                maxMomentum: try o.number("max_momentum", default: 0.95))
            return try lua.result(SchedulerObject(.perBatch(schedule), optimizer: optimizer, kind: "onecycle"))
        },
        // mm.optim.cosine(opt, {total_steps =, warmup = 0, min_lr = 0}): linear warm-up, then
        // cosine decay from the optimiser's rate to min_lr.
        Binding("cosine") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(2, only: ["total_steps", "warmup", "min_lr"])
            let schedule = try CosineWarmupLR(
                optimizer, warmupSteps: try o.integer("warmup", default: 0),
                totalSteps: try o.required("total_steps", o.integer, "an integer is required"),
                minLR: try o.number("min_lr", default: 0))
            return try lua.result(SchedulerObject(.perBatch(schedule), optimizer: optimizer, kind: "cosine"))
        },
        // mm.optim.step_lr(opt, {step_size =, gamma = 0.1})
        Binding("step_lr") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(2, only: ["step_size", "gamma"])
            let schedule = try StepLR(
                optimizer, stepSize: try o.required("step_size", o.integer, "an integer is required"),
                gamma: try o.number("gamma", default: 0.1))
            return try lua.result(SchedulerObject(.perBatch(schedule), optimizer: optimizer, kind: "step_lr"))
        },
        // mm.optim.plateau(opt [, {mode = "min", factor = 0.1, patience = 10, threshold = 1e-4,
        // cooldown = 0, min_lr = 0, eps = 1e-8}]), PyTorch's ReduceLROnPlateau.
        Binding("plateau") { lua in
            let optimizer = try lua.object(1, as: OptimizerObject.self).optimizer
            let o = try lua.options(2, only: ["mode", "factor", "patience", "threshold", "cooldown", "min_lr", "eps"])
            let schedule = try ReduceLROnPlateau(
                optimizer,
                mode: try o.choice("mode", default: ReduceLROnPlateau.Mode.min),
                factor: try o.number("factor", default: 0.1), patience: try o.integer("patience", default: 10),
                threshold: try o.number("threshold", default: 1e-4),
                cooldown: try o.integer("cooldown", default: 0),
                minLR: try o.number("min_lr", default: 0), eps: try o.number("eps", default: 1e-8))
            return try lua.result(SchedulerObject(.plateau(schedule), optimizer: optimizer, kind: "plateau"))
        },
        Binding("ema") { try WeightAverageObject.make($0) },
        Binding("save_state") { try LuaTrainingState.save($0) },
        Binding("load_state") { try LuaTrainingState.load($0) },
    ]
}
