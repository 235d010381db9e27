import CLua

extension Lua {
    /// Pushes integers as a Lua sequence (shapes, class labels).
    func push(integers values: [Int]) throws {
        try reserve(2)
        lua_createtable(L, Int32(clamping: values.count), 0)
        for (i, v) in values.enumerated() {
            lua_pushinteger(L, lua_Integer(v))
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }

    /// Pushes strings as a Lua sequence (class names, ids).
    func push(strings values: [String]) throws {
        try reserve(2)
        lua_createtable(L, Int32(clamping: values.count), 0)
        for (i, v) in values.enumerated() {
            push(v)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }

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
        let table = lua_absindex(L, index)
        try reserve(2)
        var values: [T] = []
        for i in 1..<(Int(lua_rawlen(L, table)) + 1) {
            lua_rawgeti(L, table, lua_Integer(i))
            defer { clua_pop(L, 1) }
            guard let value = try entry(self) else { throw fail("\(item) \(i): \(kind) expected, got \(typeName(-1))") }
            values.append(value)
        }
        return values
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
