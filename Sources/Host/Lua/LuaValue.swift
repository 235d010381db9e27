import CLua

/// A Swift value a binding hands to Lua as one Lua value: numbers, strings, booleans, our
/// objects, optionals (nil), arrays (sequences) and records (tables with named fields). A
/// binding's results are written as values, not as pushes:
///
///     return try lua.result(t.shape)                              -- {2, 3}
///     return try lua.result(AudioBuffer(audio), genre, label)     -- three results
///     return try lua.result(LuaRecord(["rate": info.rate, "format": info.format]))
protocol LuaValue {
    /// Pushes the value onto the stack of `lua`.
    func push(into lua: Lua) throws
}

extension Int: LuaValue {
    func push(into lua: Lua) { lua_pushinteger(lua.L, lua_Integer(self)) }
}

extension Double: LuaValue {
    func push(into lua: Lua) { lua_pushnumber(lua.L, self) }
}

extension Float: LuaValue {
    func push(into lua: Lua) { lua_pushnumber(lua.L, Double(self)) }
}

extension Bool: LuaValue {
    func push(into lua: Lua) { lua_pushboolean(lua.L, self ? 1 : 0) }
}

extension String: LuaValue {
    func push(into lua: Lua) {
        var value = self
        value.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { lua_pushlstring(lua.L, $0.baseAddress, $0.count) }
        }
    }
}

/// nil in Lua: a record leaves the field out, a result is nil.
extension Optional: LuaValue where Wrapped: LuaValue {
    func push(into lua: Lua) throws {
        if let value = self { try value.push(into: lua) } else { lua_pushnil(lua.L) }
    }
}

/// A sequence `{a[1], a[2], ...}`.
extension Array: LuaValue where Element: LuaValue {
    func push(into lua: Lua) throws {
        try lua.reserve(2)
        lua_createtable(lua.L, Int32(clamping: count), 0)
        for (i, element) in enumerated() {
            try element.push(into: lua)
            lua_rawseti(lua.L, -2, lua_Integer(i + 1))
        }
    }
}

/// A table with named fields, in one expression: `LuaRecord(["rate": 22050, "format": "WAV"])`.
/// A nil value (an optional without one) leaves its field out, as Lua code tests `if r.category`.
struct LuaRecord: LuaValue {
    let fields: [(key: String, value: any LuaValue)]

    init(_ fields: KeyValuePairs<String, any LuaValue>) { self.fields = fields.map { ($0.key, $0.value) } }

    /// Fields computed from a collection (`{name = tensor}` for named parameters), in its order.
    init(_ fields: [(String, any LuaValue)]) { self.fields = fields.map { ($0, $1) } }

    func push(into lua: Lua) throws {
        try lua.reserve(3)
        lua_createtable(lua.L, 0, Int32(clamping: fields.count))
        for (key, value) in fields {
            try value.push(into: lua)
            lua.setField(-2, key)
        }
    }
}

extension Double {
    /// The number if it is finite, else nil: a value not measured (NaN) is left out of a record.
    var ifFinite: Double? { isFinite ? self : nil }
}
