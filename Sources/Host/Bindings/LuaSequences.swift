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
}
