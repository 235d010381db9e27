import CLua
import CLuaBridge

/// A Swift binding as Lua sees it: a C function pointer that captures nothing.
typealias LuaFunction = mm_native_fn

/// The Lua stack as a Swift binding sees it.
///
/// Every read here uses only accessors that cannot raise a Lua error (`lua_type`,
/// `lua_tonumberx`, raw table access, `luaL_testudata`), so a binding can inspect its arguments
/// without a longjmp ever crossing its frame. Problems are thrown as `LuaError`.
struct Lua {
    let L: OpaquePointer

    init(_ L: OpaquePointer) { self.L = L }

    /// Runs a binding body and converts what it throws into the trampoline's raise codes.
    static func invoke(_ L: OpaquePointer?, _ body: (Lua) throws -> Int32) -> Int32 {
        let lua = Lua(L!)
        do {
            return try body(lua)
        } catch let error as LuaError {
            switch error {
            case .argument(let index, let message):
                lua_pushinteger(lua.L, lua_Integer(index))
                lua.push(message)
                return Int32(MM_RAISE_ARGUMENT)
            case .type(let index, let expected):
                lua_pushinteger(lua.L, lua_Integer(index))
                lua.push(expected)
                return Int32(MM_RAISE_TYPE)
            case .message(let message):
                lua.push(message)
                return Int32(MM_RAISE_MESSAGE)
            }
        } catch {
            lua.push(String(describing: error))
            return Int32(MM_RAISE_MESSAGE)
        }
    }

    // MARK: Stack

    var top: Int32 { lua_gettop(L) }

    func type(_ index: Int32) -> Int32 { lua_type(L, index) }

    func isNoneOrNil(_ index: Int32) -> Bool { lua_type(L, index) <= LUA_TNIL }

    func typeName(_ index: Int32) -> String { String(cString: clua_typename_at(L, index)) }

    /// Makes room for `extra` more values; fails cleanly instead of overflowing the stack.
    func reserve(_ extra: Int32) throws {
        guard lua_checkstack(L, extra) != 0 else { throw LuaError.message("stack overflow") }
    }

    // MARK: Arguments

    func number(_ index: Int32) throws -> Double {
        var isNumber: Int32 = 0
        let value = lua_tonumberx(L, index, &isNumber)
        guard isNumber != 0 else { throw LuaError.type(index, expected: "number") }
        return value
    }

    func number(_ index: Int32, default value: Double) throws -> Double {
        isNoneOrNil(index) ? value : try number(index)
    }

    /// An integer as luaL_checkinteger accepts it: an integer, or a float with an exact value.
    func integer(_ index: Int32) throws -> Int {
        var isInteger: Int32 = 0
        let value = lua_tointegerx(L, index, &isInteger)
        if isInteger != 0 { return Int(value) }
        if lua_type(L, index) == LUA_TNUMBER || lua_type(L, index) == LUA_TSTRING,
            (try? number(index)) != nil
        {
            throw LuaError.argument(index, "number has no integer representation")
        }
        throw LuaError.type(index, expected: "number")
    }

    func integer(_ index: Int32, default value: Int) throws -> Int {
        isNoneOrNil(index) ? value : try integer(index)
    }

    func string(_ index: Int32) throws -> String {
        let t = lua_type(L, index)
        guard t == LUA_TSTRING || t == LUA_TNUMBER else {
            throw LuaError.type(index, expected: "string")
        }
        var length = 0
        let bytes = lua_tolstring(L, index, &length)!
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    }

    func string(_ index: Int32, default value: String) throws -> String {
        isNoneOrNil(index) ? value : try string(index)
    }

    func boolean(_ index: Int32) -> Bool { lua_toboolean(L, index) != 0 }

    /// An options table argument (absent or nil gives an empty one).
    func options(_ index: Int32) throws -> LuaOptions {
        if isNoneOrNil(index) { return LuaOptions(lua: self, index: nil, argument: index) }
        guard type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "table") }
        return LuaOptions(lua: self, index: lua_absindex(L, index), argument: index)
    }

    func object<T: LuaObject>(_ index: Int32, as: T.Type = T.self) throws -> T {
        guard let object = T.peek(L, index) else {
            throw LuaError.type(index, expected: T.luaTypeName)
        }
        return object
    }

    // MARK: Results

    func push(_ value: Double) { lua_pushnumber(L, value) }
    func push(_ value: Int) { lua_pushinteger(L, lua_Integer(value)) }
    func push(_ value: Bool) { lua_pushboolean(L, value ? 1 : 0) }
    func pushNil() { lua_pushnil(L) }

    func push(_ value: String) {
        var value = value
        value.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    func push<T: LuaObject>(_ object: T) { T.push(L, object) }

    /// Pushes one result and returns 1, what a binding returns: `return lua.result(x)`.
    func result(_ value: Double) -> Int32 { one(push(value)) }
    func result(_ value: Int) -> Int32 { one(push(value)) }
    func result(_ value: Bool) -> Int32 { one(push(value)) }
    func result(_ value: String) -> Int32 { one(push(value)) }
    func result<T: LuaObject>(_ object: T) -> Int32 { one(push(object)) }
    func result(_ values: [Double]) throws -> Int32 { one(try push(values)) }

    /// Sets field `key` of the table on top of the stack to `value`: records built field by
    /// field (`lua.field("rate", info.rate)`).
    func field(_ key: String, _ value: Double) { keyed(key, push(value)) }
    func field(_ key: String, _ value: Int) { keyed(key, push(value)) }
    func field(_ key: String, _ value: Bool) { keyed(key, push(value)) }
    func field(_ key: String, _ value: String) { keyed(key, push(value)) }
    func field<T: LuaObject>(_ key: String, _ object: T) { keyed(key, push(object)) }

    /// Stores the value just pushed (its argument) as field `key` of the table below it.
    private func keyed(_ key: String, _ pushed: Void) { setField(-2, key) }

    /// 1, once its argument (a push) has run.
    func one(_ pushed: Void) -> Int32 { 1 }

    /// Pushes an array as a Lua sequence.
    func push(_ values: [Double]) throws {
        try reserve(2)
        lua_createtable(L, Int32(values.count), 0)
        for (i, v) in values.enumerated() {
            lua_pushnumber(L, v)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }

    /// Sets `t[key] = <top>` on the table at `table`, popping the value (raw: no metamethods).
    func setField(_ table: Int32, _ key: String) {
        let t = lua_absindex(L, table)
        push(key)
        lua_rotate(L, -2, 1)
        lua_rawset(L, t)
    }
}

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

    func number(_ key: String) throws -> Double? {
        defer { clua_pop(lua.L, 1) }
        let t = fetch(key)
        if t == LUA_TNIL { return nil }
        var isNumber: Int32 = 0
        let value = lua_tonumberx(lua.L, -1, &isNumber)
        guard t == LUA_TNUMBER, isNumber != 0 else { throw fail(key, "number") }
        return value
    }

    func number(_ key: String, default value: Double) throws -> Double {
        try number(key) ?? value
    }

    func integer(_ key: String) throws -> Int? {
        defer { clua_pop(lua.L, 1) }
        let t = fetch(key)
        if t == LUA_TNIL { return nil }
        var isInteger: Int32 = 0
        let value = lua_tointegerx(lua.L, -1, &isInteger)
        guard t == LUA_TNUMBER, isInteger != 0 else { throw fail(key, "integer") }
        return Int(value)
    }

    func integer(_ key: String, default value: Int) throws -> Int {
        try integer(key) ?? value
    }

    func string(_ key: String) throws -> String? {
        defer { clua_pop(lua.L, 1) }
        let t = fetch(key)
        if t == LUA_TNIL { return nil }
        guard t == LUA_TSTRING else { throw fail(key, "string") }
        return try lua.string(-1)
    }

    func boolean(_ key: String) throws -> Bool? {
        defer { clua_pop(lua.L, 1) }
        let t = fetch(key)
        if t == LUA_TNIL { return nil }
        guard t == LUA_TBOOLEAN else { throw fail(key, "boolean") }
        return lua.boolean(-1)
    }

    /// An error about a field's value (range, choice) in the same words as a type error.
    func invalid(_ key: String, _ message: String) -> LuaError {
        .argument(argument, "field '\(key)': \(message)")
    }
}
