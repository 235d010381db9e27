import CLua

/// Fields of an options table, read raw so that no metamethod can raise inside Swift. Errors
/// name the field: `bad argument #2 to 'melspec' (field 'n_fft': positive integer expected)`.
struct LuaOptions {
    let lua: Lua
    let index: Int32?
    let argument: Int32

    /// Pushes `t[key]` and returns its Lua type; the caller pops it.
    private func fetch(_ key: String) -> Int32 {
        guard let index else {
            lua.pushNil()
            return LUA_TNIL
        }
        lua.push(key)
        return lua_rawget(lua.L, index)
    }

    func has(_ key: String) -> Bool {
        defer { clua_pop(lua.L, 1) }
        return fetch(key) > LUA_TNIL
    }

    private func fail(_ key: String, _ expected: String) -> LuaError {
        .argument(argument, "field '\(key)': \(expected) expected, got \(lua.typeName(-1))")
    }

    /// Field `key` read by `entry` (one of Lua's entry readers) from the stack top; nil when the
    /// field is absent, an error when it holds another kind: `field 'hop': integer expected`.
    private func read<T>(_ key: String, _ kind: String, _ entry: (Lua) throws -> T?) throws -> T? {
        try withField(key) { _ in
            if lua.type(-1) == LUA_TNIL { return nil }
            guard let value = try entry(lua) else { throw fail(key, kind) }
            return value
        }
    }

    func number(_ key: String) throws -> Double? { try read(key, "number", Lua.numberEntry) }

    func number(_ key: String, default value: Double) throws -> Double {
        try number(key) ?? value
    }

    func integer(_ key: String) throws -> Int? { try read(key, "integer", Lua.integerEntry) }

    func integer(_ key: String, default value: Int) throws -> Int {
        try integer(key) ?? value
    }

    func string(_ key: String) throws -> String? { try read(key, "string", Lua.stringEntry) }

    func boolean(_ key: String) throws -> Bool? { try read(key, "boolean", Lua.booleanEntry) }

    /// A field that must be given, read by `read` (`o.number`, `o.string`, ...); without it the
    /// error is `message`: `try o.required("lr", o.number, "a learning rate is required")`.
    func required<T>(_ key: String, _ read: (String) throws -> T?, _ message: String) throws -> T {
        guard let value = try read(key) else { throw invalid(key, message) }
        return value
    }

    /// An error about a field's value (range, choice) in the same words as a type error.
    func invalid(_ key: String, _ message: String) -> LuaError {
        .argument(argument, "field '\(key)': \(message)")
    }
}

extension LuaOptions {
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

    /// The type name of field `key`'s value, as errors print it ("nil" when absent).
    func typeName(of key: String) -> String { String(cString: lua_typename(lua.L, type(of: key))) }

    /// Runs `body` with field `key`'s value pushed (nil when absent) at the stack index it is
    /// given, and pops it after: a field read by readers of its own (a nested table).
    func withField<T>(_ key: String, _ body: (Int32) throws -> T) throws -> T {
        try lua.reserve(3)
        _ = fetch(key)
        defer { clua_pop(lua.L, 1) }
        return try body(lua_gettop(lua.L))
    }

    /// A field that takes one of a few strings.
    func choice(_ key: String, _ choices: [String], default value: String) throws -> String {
        guard let given = try string(key) else { return value }
        guard choices.contains(given) else {
            throw invalid(key, "\(choices.map { "'\($0)'" }.joined(separator: ", ")) expected, got '\(given)'")
        }
        return given
    }

    /// A field naming a case of `T` by its raw value (the error lists them in declaration order).
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws -> T
    where T.RawValue == String {
        T(rawValue: try choice(key, T.allCases.map(\.rawValue), default: value.rawValue))!
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
        guard type(of: key) != LUA_TNIL else { return nil }
        return try withField(key) { try lua.sequence($0, of: kind, fail: { invalid(key, $0) }, entry) }
    }

    /// A field holding one of our userdata objects (`model = net`).
    func object<T: LuaObject>(_ key: String, as: T.Type = T.self) throws -> T? {
        if type(of: key) == LUA_TNIL { return nil }
        guard let object = try peek(key, as: T.self) else {
            throw invalid(key, "\(T.luaTypeName) expected, got \(typeName(of: key))")
        }
        return object
    }

    /// The object in field `key` if it is one of type `T`, else nil: a field that takes one of
    /// several types (`source = cache or builder`).
    func peek<T: LuaObject>(_ key: String, as: T.Type = T.self) throws -> T? {
        try withField(key) { T.peek(lua.L, $0) }
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

/// Ranges in option tables: a field that a native recipe draws from uniformly takes either one
/// number (always that value) or a pair `{low, high}` (`stem_volume = {0.4, 1.0}`).
extension LuaOptions {
    /// `key` as a range of numbers, nil when the field is absent.
    func range(_ key: String) throws -> ClosedRange<Double>? {
        switch type(of: key) {
        case LUA_TNIL:
            return nil
        case LUA_TNUMBER:
            let value = try number(key)!
            guard value.isFinite else { throw invalid(key, "a finite number expected, got \(value)") }
            return value...value
        default:
            return try pair(key, try numbers(key) ?? [])
        }
    }

    func range(_ key: String, default value: ClosedRange<Double>) throws -> ClosedRange<Double> {
        try range(key) ?? value
    }

    /// `key` as a range of integers (`noise_clips = {1, 3}` or `noise_clips = 2`).
    func integerRange(_ key: String) throws -> ClosedRange<Int>? {
        switch type(of: key) {
        case LUA_TNIL:
            return nil
        case LUA_TNUMBER:
            let value = try integer(key)!
            return value...value
        default:
            let ends = try integers(key) ?? []
            let range = try pair(key, ends.map(Double.init))
            return Int(range.lowerBound)...Int(range.upperBound)
        }
    }

    private func pair(_ key: String, _ ends: [Double]) throws -> ClosedRange<Double> {
        guard ends.count == 2, ends.allSatisfy(\.isFinite) else {
            throw invalid(key, "a number or a pair {low, high} expected, got \(ends.count) values")
        }
        guard ends[0] <= ends[1] else { throw invalid(key, "low <= high expected, got {\(ends[0]), \(ends[1])}") }
        return ends[0]...ends[1]
    }

    /// A seed field as the native generators take it (any integer; negative ones by their bits).
    func seed(_ key: String = "seed", default value: UInt64) throws -> UInt64 {
        try integer(key).map { UInt64(bitPattern: Int64($0)) } ?? value
    }
}
