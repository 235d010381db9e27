import CLua
import Native

/// `mm.optim.save_state` / `mm.optim.load_state`: a run's model, optimiser, schedule, epoch,
/// best metric, the engine's random generator and the script's own values, in one file
/// (Native's `TrainingState`), so a resumed run continues bit for bit.
///
/// `extra` values are strings, numbers or booleans; the file keeps their Lua type as a prefix
/// of the stored text (`s:`, `i:` integer, `n:` float, `b:`), so they come back as they went.
enum LuaTrainingState {
    /// save_state(path, {model =, optimizer =, scheduler =, ema =, epoch = 0, best =, extra = {}})
    static func save(_ lua: Lua) throws {
        let path = try lua.string(1)
        let options = try lua.options(2, only: ["model", "optimizer", "scheduler", "ema", "epoch", "best", "extra"])
        let (model, optimizer, scheduler, average) = try parts(options)
        var state = TrainingState(
            epoch: try options.integer("epoch", default: 0), bestMetric: try options.number("best"))
        state.extra = try extraValues(options)
        try state.save(to: path, model: model, optimizer: optimizer, scheduler: scheduler, average: average)
    }

    /// load_state(path, {model =, optimizer =, scheduler =, ema =}) -> {epoch =, best =, extra = {}}
    static func load(_ lua: Lua) throws -> Int32 {
        let path = try lua.string(1)
        let options = try lua.options(2, only: ["model", "optimizer", "scheduler", "ema"])
        let (model, optimizer, scheduler, average) = try parts(options)
        let state = try TrainingState.load(
            from: path, model: model, optimizer: optimizer, scheduler: scheduler, average: average)
        let extra = state.extra.sorted { $0.key < $1.key }.map { ($0.key, extraValue($0.value)) }
        return try lua.result(LuaRecord(["epoch": state.epoch, "best": state.bestMetric, "extra": LuaRecord(extra)]))
    }

    /// What a state file holds of a run: the model, the optimiser, the schedule and the average.
    private static func parts(
        _ options: LuaOptions
    ) throws -> (any Module, any Optimizer, (any ScheduleState)?, WeightAverage?) {
        let model = try options.required(
            "model", { try options.object($0, as: ModuleObject.self) }, "the network (mm.nn module) is required")
        let optimizer = try options.required(
            "optimizer", { try options.object($0, as: OptimizerObject.self) }, "the optimizer is required")
        let scheduler = try options.object("scheduler", as: SchedulerObject.self)
        let average = try options.object("ema", as: WeightAverageObject.self)
        return (model.module, optimizer.optimizer, scheduler?.checkpoint, average?.average)
    }

    /// The `extra` table as tagged strings.
    private static func extraValues(_ options: LuaOptions) throws -> [String: String] {
        let type = options.type(of: "extra")
        if type == LUA_TNIL { return [:] }
        guard type == LUA_TTABLE else {
            throw options.invalid("extra", "a table expected, got \(options.typeName(of: "extra"))")
        }
        let lua = options.lua
        var values: [String: String] = [:]
        let fail: (String) -> LuaError = { options.invalid("extra", "string keys expected, got a \($0) key") }
        try options.withField("extra") { table in
            try lua.forEachField(table, fail: fail) { key in
                switch lua.type(-1) {
                case LUA_TSTRING: values[key] = "s:" + (try lua.string(-1))
                case LUA_TBOOLEAN: values[key] = "b:" + (lua.boolean(-1) ? "true" : "false")
                case LUA_TNUMBER:
                    values[key] = lua_isinteger(lua.L, -1) != 0 ? "i:\(try lua.integer(-1))" : "n:\(try lua.number(-1))"
                default:
                    throw options.invalid(
                        "extra", "field '\(key)': string, number or boolean expected, got \(lua.typeName(-1))")
                }
            }
        }
        return values
    }

    /// An `extra` value as it was saved; untagged text (a file written elsewhere) as a string.
    private static func extraValue(_ text: String) -> any LuaValue {
        let value = String(text.dropFirst(2))
        switch text.prefix(2) {
        case "i:" where Int(value) != nil: return Int(value)!
        case "n:" where Double(value) != nil: return Double(value)!
        case "b:": return value == "true"
        case "s:": return value
        default: return text
        }
    }
}
