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

    /// Pushes package.loaded, then its field `path[0]`, that value's field `path[1]`, ...,
    /// read raw so that no metamethod runs (nil where a step meets something not a table), and
    /// returns the Lua type of what it pushed: `pushLoaded("mashup", "quiet")` is mm.quiet.
    /// Needs two free stack slots.
    @discardableResult
    func pushLoaded(_ path: String...) -> Int32 {
        push(LUA_LOADED_TABLE)
        var type = lua_rawget(L, clua_registryindex())
        for key in path {
            guard type == LUA_TTABLE else {
                clua_pop(L, 1)
                pushNil()
                return LUA_TNIL
            }
            push(key)
            type = lua_rawget(L, -2)
            clua_remove(L, -2)
        }
        return type
    }

    /// Pushes the global `name`, read raw from the globals table.
    @discardableResult
    func pushGlobal(_ name: String) -> Int32 {
        lua_rawgeti(L, clua_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(name)
        let type = lua_rawget(L, -2)
        clua_remove(L, -2)
        return type
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

    /// One of the strings `names` at `index`. The error lists them, after `noun` when given:
    /// `format 'wav', 'wav_float' or 'flac' expected, got 'mp3'`.
    func choice(_ index: Int32, _ names: [String], noun: String? = nil) throws -> String {
        let given = try string(index)
        guard names.contains(given) else {
            let quoted = names.map { "'\($0)'" }
            let listed =
                quoted.count > 1 ? quoted.dropLast().joined(separator: ", ") + " or " + quoted.last! : quoted[0]
            throw LuaError.argument(index, (noun.map { $0 + " " } ?? "") + "\(listed) expected, got '\(given)'")
        }
        return given
    }

    /// A case of `T` at `index` by its raw value (the error lists them in declaration order).
    func choice<T: RawRepresentable & CaseIterable>(_ index: Int32, of: T.Type, noun: String? = nil) throws -> T
    where T.RawValue == String {
        T(rawValue: try choice(index, T.allCases.map(\.rawValue), noun: noun))!
    }

    /// An options table argument (absent or nil gives an empty one).
    func options(_ index: Int32) throws -> LuaOptions {
        if isNoneOrNil(index) { return LuaOptions(lua: self, index: nil, argument: index) }
        guard type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "table") }
        return LuaOptions(lua: self, index: lua_absindex(L, index), argument: index)
    }

    /// An options table argument that may hold only the fields in `fields` (see `only`).
    func options(_ index: Int32, only fields: Set<String>) throws -> LuaOptions {
        let options = try options(index)
        try options.only(fields)
        return options
    }

    /// A table argument that must be given, read as options holding only `fields`.
    func table(_ index: Int32, only fields: Set<String>) throws -> LuaOptions {
        guard type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "table") }
        return try options(index, only: fields)
    }

    func object<T: LuaObject>(_ index: Int32, as: T.Type = T.self) throws -> T {
        guard let object = T.peek(L, index) else {
            throw LuaError.type(index, expected: T.luaTypeName)
        }
        return object
    }

    /// An object argument that may be left out (none or nil).
    func optionalObject<T: LuaObject>(_ index: Int32, as: T.Type = T.self) throws -> T? {
        isNoneOrNil(index) ? nil : try object(index, as: T.self)
    }

    // MARK: Results

    func pushNil() { lua_pushnil(L) }

    /// Pushes a string (a key, a message); never fails.
    func push(_ value: String) { value.push(into: self) }

    func push(_ value: some LuaValue) throws { try value.push(into: self) }

    /// Pushes the results and returns how many, what a binding returns:
    /// `return try lua.result(x)`, `return try lua.result(buffer, genre, label)`.
    func result(_ values: any LuaValue...) throws -> Int32 {
        try reserve(Int32(values.count))
        for value in values { try value.push(into: self) }
        return Int32(values.count)
    }

    /// Returns argument `index` itself: a method that returns its receiver (`net:training()`).
    func result(argument index: Int32) -> Int32 {
        lua_pushvalue(L, index)
        return 1
    }

    /// Returns nil: an iterator that has finished, a result that does not exist.
    func resultNil() -> Int32 {
        pushNil()
        return 1
    }

    /// Sets field `key` of the table on top of the stack to `value`.
    func field(_ key: String, _ value: some LuaValue) throws {
        try value.push(into: self)
        setField(-2, key)
    }

    /// Sets `t[key] = <top>` on the table at `table`, popping the value (raw: no metamethods).
    func setField(_ table: Int32, _ key: String) {
        let t = lua_absindex(L, table)
        push(key)
        lua_rotate(L, -2, 1)
        lua_rawset(L, t)
    }
}
