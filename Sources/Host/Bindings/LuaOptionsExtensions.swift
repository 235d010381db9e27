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

    /// Throws when the table has a field outside `fields`, so that a misspelt option is an
    /// error instead of a silently ignored field: `bad argument #2 to 'melspec' (field 'n_mel':
    /// unknown option, did you mean 'n_mels'? (options: fmax, fmin, ...))`. Traverses the table
    /// with lua_next, which cannot raise while the table is left unchanged.
    func only(_ fields: Set<String>) throws {
        guard let index else { return }
        try lua.reserve(3)
        lua.pushNil()
        while lua_next(lua.L, index) != 0 {
            // Only a string key is read as one: lua_tolstring would turn a number key into a
            // string in place and derail lua_next.
            let name = lua.type(-2) == LUA_TSTRING ? ((try? lua.string(-2)) ?? "?") : "[\(lua.typeName(-2)) key]"
            clua_pop(lua.L, 1)  // the value; the key stays for lua_next
            if fields.contains(name) { continue }
            clua_pop(lua.L, 1)
            let guess = fields.filter { editDistance($0, name) <= 2 }.sorted().first
            throw invalid(
                name,
                "unknown option\(guess.map { ", did you mean '\($0)'?" } ?? "") "
                    + "(options: \(fields.sorted().joined(separator: ", ")))")
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

/// The Levenshtein distance between two option names, for "did you mean".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    guard !a.isEmpty else { return b.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
