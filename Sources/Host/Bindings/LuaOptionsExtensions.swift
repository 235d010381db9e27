import CLua
import Native

extension LuaOptions {
    /// Runs `body`; a native error about one of `fields` (DSPError's option, AudioError's or
    /// DataError's subject) is raised as an error of that field of this options argument:
    /// `bad argument #2 to 'melspec' (field 'n_fft': expected 2 ... 1048576 points, got 0)`.
    /// Fields left out of the table are named too, since their defaults were what failed.
    func naming<T>(_ fields: Set<String>, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DSPError where fields.contains(error.option) {
            throw invalid(error.option, error.reason)
        } catch let error as AudioError where fields.contains(error.subject) {
            throw invalid(error.subject, error.reason)
        } catch let error as DataError where fields.contains(error.subject) {
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

extension LuaOptions {
    /// A field holding a sequence of integers (`widths = {64, 128}`).
    func integers(_ key: String) throws -> [Int]? { try sequence(key, of: "integer", Lua.integerEntry) }

    /// A field holding a sequence of numbers (`betas = {0.9, 0.999}`).
    func numbers(_ key: String) throws -> [Double]? { try sequence(key, of: "number", Lua.numberEntry) }

    /// A field holding a sequence of strings (`names = {"blues", ...}`, `keep_stems = {"other"}`).
    func strings(_ key: String) throws -> [String]? { try sequence(key, of: "string", Lua.stringEntry) }

    /// The entries of the sequence in field `key`, each read by `entry` from the stack top
    /// (nil: not a `kind`).
    private func sequence<T>(_ key: String, of kind: String, _ entry: (Lua) throws -> T?) throws -> [T]? {
        guard type(of: key) != LUA_TNIL, let index else { return nil }
        try lua.reserve(2)
        lua.push(key)
        lua_rawget(lua.L, index)
        defer { clua_pop(lua.L, 1) }
        return try lua.sequence(-1, of: kind, fail: { invalid(key, $0) }, entry)
    }

    /// A field holding one of our userdata objects (`model = net`).
    func object<T: LuaObject>(_ key: String, as: T.Type = T.self) throws -> T? {
        let type = type(of: key)
        if type == LUA_TNIL { return nil }
        guard let index else { return nil }
        lua.push(key)
        lua_rawget(lua.L, index)
        defer { clua_pop(lua.L, 1) }
        guard let object = T.peek(lua.L, -1) else {
            throw invalid(key, "\(T.luaTypeName) expected, got \(lua.typeName(-1))")
        }
        return object
    }
}
