import CLua
import Native

extension LuaOptions {
    /// Runs `body`; a native error about one of `fields` (DSPError's option, AudioError's
    /// subject) is raised as an error of that field of this options argument:
    /// `bad argument #2 to 'melspec' (field 'n_fft': expected 2 ... 1048576 points, got 0)`.
    /// Fields left out of the table are named too, since their defaults were what failed.
    func naming<T>(_ fields: Set<String>, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DSPError where fields.contains(error.option) {
            throw invalid(error.option, error.reason)
        } catch let error as AudioError where fields.contains(error.subject) {
            throw invalid(error.subject, error.reason)
        }
    }

    /// The Lua type of field `key` (LUA_TNIL when absent), for fields that take either of two
    /// types, such as `ref = "max"` or a number. Raw access: no metamethod runs.
    func type(of key: String) -> Int32 {
        guard let index else { return LUA_TNIL }
        lua.push(key)
        defer { clua_pop(lua.L, 1) }
        return lua_rawget(lua.L, index)
    }

    /// A field that takes one of a few strings.
    func choice(_ key: String, _ choices: [String], default value: String) throws -> String {
        guard let given = try string(key) else { return value }
        guard choices.contains(given) else {
            throw invalid(key, "\(choices.map { "'\($0)'" }.joined(separator: ", ")) expected, got '\(given)'")
        }
        return given
    }
}
