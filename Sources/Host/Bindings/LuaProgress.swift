import CLua
import Foundation
import Native

/// `mm.progress(total [, {label =, unit = "ex", style = "auto"}])`: a progress bar for a
/// script's own loops, the native `ProgressBar`:
///
///     local bar = mm.progress(#batches, {label = ("epoch %d/%d"):format(e, epochs)})
///     for i, b in ipairs(batches) do ...; bar:update(i, {loss = running_loss, acc = acc}) end
///     bar:finish{loss = epoch_loss, acc = epoch_acc}
///
/// On a terminal the bar is redrawn in place (rate, ETA, the fields); otherwise `finish`
/// writes one summary line; with `mm.quiet` (the --quiet flag) nothing. `style = "bar"`,
/// `"lines"` or `"none"` chooses instead of the terminal.
enum LuaProgress: LuaModule {
    static let name: String? = nil
    static var types: [any LuaObject.Type] { [ProgressObject.self] }

    static let functions: [Binding] = [
        Binding("progress") { lua in
            let total = try lua.integer(1)
            guard total >= 0 else { throw LuaError.argument(1, "a total of at least 0 expected, got \(total)") }
            let options = try lua.options(2)
            try options.only(["label", "unit", "style", "columns"])
            let label = try options.string("label") ?? "progress"
            let unit = try options.string("unit") ?? "ex"
            let style = try LuaProgress.style(options, quiet: lua.quiet)
            return lua.result(ProgressObject(ProgressBar(total: total, label: label, unit: unit, style: style)))
        }
    ]

    private static func style(_ options: LuaOptions, quiet: Bool) throws -> ProgressStyle {
        let choice = try options.choice("style", ["auto", "bar", "lines", "none"], default: "auto")
        let detected = ProgressStyle.detect(quiet: quiet)
        if quiet { return .quiet }
        switch choice {
        case "bar":
            if case .bar = detected { return detected }
            let columns = try options.integer("columns", default: 80)
            guard columns >= 20 else { throw options.invalid("columns", "at least 20 expected, got \(columns)") }
            return .bar(columns: columns)
        case "lines": return .lines
        case "none": return .quiet
        default: return detected
        }
    }
}

/// A progress bar as Lua holds it: `bar:update(done [, fields])`, `bar:finish([fields])`;
/// `bar.total`, `bar.label`, `bar.style` ("bar", "lines" or "none") read.
final class ProgressObject: LuaObject {
    let bar: ProgressBar

    init(_ bar: ProgressBar) { self.bar = bar }

    static let luaTypeName = "mashup.progress"

    var styleName: String {
        switch bar.style {
        case .bar: return "bar"
        case .lines: return "lines"
        case .quiet: return "none"
        }
    }

    var luaDescription: String { "progress '\(bar.label)': \(bar.total) \(bar.unit) (\(styleName))" }

    func property(_ name: String, lua: Lua) throws -> Bool {
        switch name {
        case "total": lua.push(bar.total)
        case "label": lua.push(bar.label)
        case "style": lua.push(styleName)
        default: return false
        }
        return true
    }

    static func receiver(_ lua: Lua) throws -> ProgressBar { try lua.object(1, as: ProgressObject.self).bar }

    static let methods: [Binding] = [
        // bar:update(done [, {loss = 0.84, acc = 0.7, ...}]): done items of total so far.
        Binding("update") { lua in
            let bar = try receiver(lua)
            let done = try lua.integer(2)
            bar.update(done, try fields(lua, 3))
            return 0
        },
        // bar:finish([fields]): the bar drawn complete, or the summary line; once.
        Binding("finish") { lua in
            let bar = try receiver(lua)
            bar.finish(lua.isNoneOrNil(2) ? nil : try fields(lua, 2))
            return 0
        },
    ]

    /// The order fields are shown in: the usual training measures first, then the rest by name.
    private static let usualOrder = [
        "loss", "acc", "f1", "train_loss", "train_acc", "val_loss", "val_acc", "val_f1", "lr",
    ]

    /// A table of named numbers or strings, as the fields shown after the bar. Numbers show
    /// with 4 decimals (integers as they are; magnitudes under 0.01 in scientific notation,
    /// so a learning rate of 1e-4 stays readable).
    private static func fields(_ lua: Lua, _ index: Int32) throws -> [ProgressField] {
        if lua.isNoneOrNil(index) { return [] }
        guard lua.type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "table of fields") }
        let table = lua_absindex(lua.L, index)
        var fields: [String: ProgressField] = [:]
        try lua.reserve(3)
        lua.pushNil()
        while lua_next(lua.L, table) != 0 {
            defer { clua_pop(lua.L, 1) }
            guard lua.type(-2) == LUA_TSTRING else {
                throw LuaError.argument(index, "named fields expected, got a \(lua.typeName(-2)) key")
            }
            let name = try lua.string(-2)
            switch lua.type(-1) {
            case LUA_TSTRING:
                fields[name] = ProgressField(name, text: try lua.string(-1))
            case LUA_TNUMBER where lua_isinteger(lua.L, -1) != 0:
                fields[name] = ProgressField(name, text: String(try lua.integer(-1)))
            case LUA_TNUMBER:
                let value = try lua.number(-1)
                fields[name] =
                    value != 0 && abs(value) < 0.01
                    ? ProgressField(name, text: String(format: "%.2e", value)) : ProgressField(name, value)
            default:
                throw LuaError.argument(index, "field '\(name)': number or string expected, got \(lua.typeName(-1))")
            }
        }
        func rank(_ name: String) -> Int { usualOrder.firstIndex(of: name) ?? usualOrder.count }
        return fields.keys.sorted { (rank($0), $0) < (rank($1), $1) }.map { fields[$0]! }
    }
}

extension Lua {
    /// `mm.quiet` as the script sees it now: the --quiet flag, or what the script set it to.
    /// Read raw from package.loaded.mashup, so no metamethod runs.
    var quiet: Bool {
        guard lua_checkstack(L, 3) != 0 else { return false }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        push(LUA_LOADED_TABLE)
        guard lua_rawget(L, clua_registryindex()) == LUA_TTABLE else { return false }
        push("mashup")
        guard lua_rawget(L, -2) == LUA_TTABLE else { return false }
        push("quiet")
        lua_rawget(L, -2)
        return boolean(-1)
    }
}
