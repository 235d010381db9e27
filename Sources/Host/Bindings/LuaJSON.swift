import CLua
import Native

/// Lua values as JSON and back, for a run's config: numbers, strings, booleans and tables
/// (a sequence 1...n becomes an array, string keys an object, an empty table `{}`).
extension Lua {
    /// The argument at `index` as JSON. Errors name the place in it (`model.widths[3]`).
    func json(_ index: Int32) throws -> JSONValue {
        try json(lua_absindex(L, index), path: "", depth: 0, fail: { LuaError.argument(index, $0) })
    }

    private func json(_ index: Int32, path: String, depth: Int, fail: (String) -> LuaError) throws -> JSONValue {
        let place = path.isEmpty ? "" : "\(path): "
        switch type(index) {
        case LUA_TNIL: return .null
        case LUA_TBOOLEAN: return .bool(boolean(index))
        case LUA_TNUMBER: return .number(try number(index))
        case LUA_TSTRING: return .string(try string(index))
        case LUA_TTABLE: break
        default: throw fail("\(place)a \(typeName(index)) cannot be written as JSON")
        }
        guard depth < 64 else { throw fail("\(place)tables nested more than 64 deep (does a table contain itself?)") }
        try reserve(3)
        var members: [String: JSONValue] = [:]
        var items: [Int: JSONValue] = [:]
        pushNil()
        while lua_next(L, index) != 0 {
            defer { clua_pop(L, 1) }
            var isInteger: Int32 = 0
            let position = lua_tointegerx(L, -2, &isInteger)
            if type(-2) == LUA_TSTRING {
                let key = try string(-2)
                let inner = path.isEmpty ? key : "\(path).\(key)"
                members[key] = try json(lua_gettop(L), path: inner, depth: depth + 1, fail: fail)
            } else if type(-2) == LUA_TNUMBER, isInteger != 0, position >= 1 {
                items[Int(position)] = try json(
                    lua_gettop(L), path: "\(path)[\(position)]", depth: depth + 1, fail: fail)
            } else {
                throw fail(
                    "\(place)a \(typeName(-2)) key cannot be written as JSON; expected string keys or a sequence")
            }
        }
        if items.isEmpty { return .object(members) }
        guard members.isEmpty, items.count == items.keys.max() else {
            throw fail(
                "\(place)a table mixing a sequence with other keys (or with holes) cannot be written as JSON; "
                    + "expected a sequence 1...n or string keys")
        }
        return .array((1...items.count).map { items[$0]! })
    }

}

/// JSON as Lua: null as nil, integral numbers as integers (`epochs = 30`), arrays as
/// sequences, objects as tables with their members in key order.
extension JSONValue: LuaValue {
    func push(into lua: Lua) throws {
        switch self {
        case .null: lua.pushNil()
        case .bool(let b): b.push(into: lua)
        case .number(let v) where v == v.rounded() && abs(v) < 9.007_199_254_740_992e15: Int(v).push(into: lua)
        case .number(let v): v.push(into: lua)
        case .string(let s): s.push(into: lua)
        case .array(let items): try items.push(into: lua)
        case .object(let members): try LuaRecord(members.keys.sorted().map { ($0, members[$0]!) }).push(into: lua)
        }
    }
}
