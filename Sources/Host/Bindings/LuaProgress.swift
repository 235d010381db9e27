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
            let options = try lua.options(2, only: ["label", "unit", "style", "columns"])
            let label = try options.string("label") ?? "progress"
            let unit = try options.string("unit") ?? "ex"
            let style = try LuaProgress.style(options, quiet: lua.quiet)
            return try lua.result(ProgressObject(ProgressBar(total: total, label: label, unit: unit, style: style)))
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

    static let properties: Properties = [
        "total": { $0.bar.total },
        "label": { $0.bar.label },
        "style": { $0.styleName },
    ]

    static let methods: [Binding] = [
        // bar:update(done [, {loss = 0.84, acc = 0.7, ...}]): done items of total so far.
        Binding("update") { lua in try receiver(lua).bar.update(try lua.integer(2), try fields(lua, 3)) },
        // bar:finish([fields]): the bar drawn complete, or the summary line; once.
        Binding("finish") { lua in try receiver(lua).bar.finish(lua.isNoneOrNil(2) ? nil : try fields(lua, 2)) },
    ]

    /// A table of named numbers or strings, as the fields shown after the bar (integers as they
    /// are, other numbers readable), the usual training measures first.
    private static func fields(_ lua: Lua, _ index: Int32) throws -> [ProgressField] {
        if lua.isNoneOrNil(index) { return [] }
        guard lua.type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "table of fields") }
        var fields: [ProgressField] = []
        try lua.forEachField(index) { name in
            switch lua.type(-1) {
            case LUA_TSTRING: fields.append(ProgressField(name, text: try lua.string(-1)))
            case LUA_TNUMBER where lua_isinteger(lua.L, -1) != 0:
                fields.append(ProgressField(name, text: String(try lua.integer(-1))))
            case LUA_TNUMBER: fields.append(ProgressField(name, readable: try lua.number(-1)))
            default:
                throw LuaError.argument(index, "field '\(name)': number or string expected, got \(lua.typeName(-1))")
            }
        }
        return ProgressField.inUsualOrder(fields)
    }
}

extension Lua {
    /// `mm.quiet` as the script sees it now: the --quiet flag, or what the script set it to.
    /// Read raw from package.loaded.mashup, so no metamethod runs.
    var quiet: Bool {
        guard lua_checkstack(L, 3) != 0 else { return false }
        defer { clua_pop(L, 1) }
        pushLoaded("mashup", "quiet")
        return boolean(-1)
    }
}
