import CLua

/// Setting fields of the table on top of the stack, for bindings that return records
/// (`{accuracy = 0.9, macro_f1 = 0.88}`). Raw sets: no metamethod runs.
extension Lua {
    func setField(_ key: String, _ value: Double) {
        push(value)
        setField(-2, key)
    }

    func setField(_ key: String, _ value: Int) {
        push(value)
        setField(-2, key)
    }

    func setField(_ key: String, _ value: String) {
        push(value)
        setField(-2, key)
    }

    /// A number that may be missing (NaN): the field is left out, as Lua code tests `if r.val_f1`.
    func setField(_ key: String, ifFinite value: Double) {
        if value.isFinite { setField(key, value) }
    }

    /// Appends the value on top of the stack to the sequence below it, as `t[#t + 1] = v`.
    func appendToSequence(_ table: Int32 = -2) {
        let t = lua_absindex(L, table)
        lua_rawseti(L, t, lua_Integer(lua_rawlen(L, t)) + 1)
    }
}
