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
    static func save(_ lua: Lua) throws -> Int32 {
        let path = try lua.string(1)
        let options = try lua.options(2)
        try options.only(["model", "optimizer", "scheduler", "ema", "epoch", "best", "extra"])
        let (model, optimizer, scheduler) = try parts(options)
        let average = try options.object("ema", as: WeightAverageObject.self)?.average
        var state = TrainingState(
            epoch: try options.integer("epoch", default: 0), bestMetric: try options.number("best"))
        state.extra = try extraValues(options)
        try state.save(to: path, model: model, optimizer: optimizer, scheduler: scheduler, average: average)
        return 0
    }

    /// load_state(path, {model =, optimizer =, scheduler =, ema =}) -> {epoch =, best =, extra = {}}
    static func load(_ lua: Lua) throws -> Int32 {
        let path = try lua.string(1)
        let options = try lua.options(2)
        try options.only(["model", "optimizer", "scheduler", "ema"])
        let (model, optimizer, scheduler) = try parts(options)
        let average = try options.object("ema", as: WeightAverageObject.self)?.average
        let state = try TrainingState.load(
            from: path, model: model, optimizer: optimizer, scheduler: scheduler, average: average)
        try lua.reserve(4)
        lua_createtable(lua.L, 0, 3)
        lua.field("epoch", state.epoch)
        if let best = state.bestMetric {
            lua.field("best", best)
        }
        lua_createtable(lua.L, 0, Int32(clamping: state.extra.count))
        for (key, text) in state.extra.sorted(by: { $0.key < $1.key }) {
            pushExtra(lua, text)
            lua.setField(-2, key)
        }
        lua.setField(-2, "extra")
        return 1
    }

    private static func parts(_ options: LuaOptions) throws -> (any Module, any Optimizer, (any ScheduleState)?) {
        guard let model = try options.object("model", as: ModuleObject.self) else {
            throw options.invalid("model", "the network (mm.nn module) is required")
        }
        guard let optimizer = try options.object("optimizer", as: OptimizerObject.self) else {
            throw options.invalid("optimizer", "the optimizer is required")
        }
        let scheduler = try options.object("scheduler", as: SchedulerObject.self)
        return (model.module, optimizer.optimizer, scheduler?.checkpoint)
    }

    /// The `extra` table as tagged strings.
    private static func extraValues(_ options: LuaOptions) throws -> [String: String] {
        let type = options.type(of: "extra")
        if type == LUA_TNIL { return [:] }
        guard type == LUA_TTABLE, let index = options.index else {
            throw options.invalid(
                "extra", "a table expected, got \(String(cString: lua_typename(options.lua.L, type)))")
        }
        let lua = options.lua
        try lua.reserve(4)
        lua.push("extra")
        lua_rawget(lua.L, index)
        defer { clua_pop(lua.L, 1) }
        var values: [String: String] = [:]
        lua.pushNil()
        while lua_next(lua.L, -2) != 0 {
            defer { clua_pop(lua.L, 1) }
            guard lua.type(-2) == LUA_TSTRING else {
                throw options.invalid("extra", "string keys expected, got a \(lua.typeName(-2)) key")
            }
            let key = try lua.string(-2)
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
        return values
    }

    /// An `extra` value as it was saved; untagged text (a file written elsewhere) as a string.
    private static func pushExtra(_ lua: Lua, _ text: String) {
        let value = String(text.dropFirst(2))
        switch text.prefix(2) {
        case "i:" where Int(value) != nil: lua.push(Int(value)!)
        case "n:" where Double(value) != nil: lua.push(Double(value)!)
        case "b:": lua.push(value == "true")
        case "s:": lua.push(value)
        default: lua.push(text)
        }
    }
}
