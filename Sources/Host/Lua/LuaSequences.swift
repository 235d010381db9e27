import CLua

extension Lua {
    /// The entries 1...#t of the table at `index`, read raw, each by `entry` from the stack top
    /// (nil: not a `kind`). A problem is an error of argument `index`, or what `fail` words
    /// for a field or a nested table: `fail("entry 3: number expected, got string")` (`item`
    /// names the entries).
    func sequence<T>(
        _ index: Int32, of kind: String, item: String = "entry", fail: ((String) -> LuaError)? = nil,
        _ entry: (Lua) throws -> T?
    ) throws -> [T] {
        let fail = fail ?? { LuaError.argument(index, $0) }
        guard type(index) == LUA_TTABLE else { throw fail("a sequence of \(kind)s expected, got \(typeName(index))") }
        return try map(index) { i in
            guard let value = try entry(self) else { throw fail("\(item) \(i): \(kind) expected, got \(typeName(-1))") }
            return value
        }
    }

    /// The entries 1...#t of the table at `index`, each read by `entry(i)` from the stack top, for
    /// entries with readers of their own (tables of options): an error reading entry i becomes
    /// one of argument `argument` at "`item` i" (`field 'series': series 2: field 'y': ...`).
    func entries<T>(_ index: Int32, of argument: Int32, item: String, _ entry: (Int) throws -> T) throws -> [T] {
        try map(index) { i in
            do {
                return try entry(i)
            } catch let error as LuaError {
                throw error.nested(in: argument, at: "\(item) \(i)")
            }
        }
    }

    /// `transform(i)` of each entry 1...#t of the table at `index`, the entry on top of the stack.
    private func map<T>(_ index: Int32, _ transform: (Int) throws -> T) throws -> [T] {
        let table = lua_absindex(L, index)
        try reserve(2)
        return try (1..<(Int(lua_rawlen(L, table)) + 1)).map { i in
            lua_rawgeti(L, table, lua_Integer(i))
            defer { clua_pop(L, 1) }
            return try transform(i)
        }
    }

    /// Calls `body` with the name of each field of the table at `index`, its value on top of
    /// the stack (a raw traversal, in no particular order). A key that is not a string is an
    /// error of argument `index` (`named fields expected, got a number key`), or what `fail`
    /// words with the key's type.
    func forEachField(_ index: Int32, fail: ((String) -> LuaError)? = nil, _ body: (String) throws -> Void) throws {
        let table = lua_absindex(L, index)
        try reserve(3)
        pushNil()
        while lua_next(L, table) != 0 {
            defer { clua_pop(L, 1) }
            guard type(-2) == LUA_TSTRING else {
                throw fail?(typeName(-2)) ?? .argument(index, "named fields expected, got a \(typeName(-2)) key")
            }
            try body(try string(-2))
        }
    }

    /// Entry readers for `sequence`: each reads the stack top, nil when it is not of its kind.
    static func integerEntry(_ lua: Lua) -> Int? {
        var isInteger: Int32 = 0
        let value = lua_tointegerx(lua.L, -1, &isInteger)
        return lua.type(-1) == LUA_TNUMBER && isInteger != 0 ? Int(value) : nil
    }

    static func numberEntry(_ lua: Lua) -> Double? {
        lua.type(-1) == LUA_TNUMBER ? lua_tonumberx(lua.L, -1, nil) : nil
    }

    static func stringEntry(_ lua: Lua) throws -> String? {
        lua.type(-1) == LUA_TSTRING ? try lua.string(-1) : nil
    }

    static func booleanEntry(_ lua: Lua) -> Bool? {
        lua.type(-1) == LUA_TBOOLEAN ? lua.boolean(-1) : nil
    }

    /// A sequence of numbers as a positional argument.
    func numbers(_ index: Int32) throws -> [Double] {
        try sequence(index, of: "number", Lua.numberEntry)
    }

    /// A sequence of strings as a positional argument.
    func strings(_ index: Int32) throws -> [String] {
        try sequence(index, of: "string", Lua.stringEntry)
    }
}

extension LuaError {
    /// This error, raised while reading a table nested in argument `index`, worded for that
    /// argument: `bad argument #1 to 'lines' (field 'series': series 2: field 'y': ...)`.
    func nested(in index: Int32, at context: String) -> LuaError {
        switch self {
        case .argument(_, let message): return .argument(index, "\(context): \(message)")
        case .type(_, let expected): return .argument(index, "\(context): \(expected) expected")
        case .message: return self
        }
    }
}
