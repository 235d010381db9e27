import CLua
import Native

/// Tensors and shapes read from Lua tables and arguments.
extension TensorObject {
    /// A shape given as one table `{d1, d2, ...}` or as the integer arguments from `from` on.
    /// With `allowInferred` one entry may be -1.
    static func shapeArgument(_ lua: Lua, from: Int32, allowInferred: Bool = false) throws -> [Int] {
        var shape: [Int] = []
        if lua.type(from) == LUA_TTABLE {
            shape = try lua.sequence(from, of: "integer", item: "shape entry", Lua.integerEntry)
        } else {
            guard lua.top >= from else { throw LuaError.type(from, expected: "shape table") }
            for index in from...lua.top { shape.append(try lua.integer(index)) }
        }
        let inferred = shape.filter { $0 == -1 }.count
        guard shape.allSatisfy({ $0 >= 0 || ($0 == -1 && allowInferred) }), inferred <= 1 else {
            throw LuaError.argument(
                from,
                "sizes >= 0\(allowInferred ? " (one may be -1)" : "") expected, got {\(shape.map(String.init).joined(separator: ", "))}"
            )
        }
        guard checkedProduct(shape.filter { $0 > 0 }, limit: largestCount) != nil else {
            throw LuaError.argument(from, "shape \(shape) holds more than \(largestCount) elements")
        }
        return shape
    }

    /// A tensor from nested Lua sequences of numbers: `{1, 2}` has shape (2), `{{1, 2}, {3, 4}}`
    /// (2, 2). Every sequence at one depth has the same length.
    static func fromTable(_ lua: Lua, _ index: Int32) throws -> Tensor {
        let root = lua_absindex(lua.L, index)
        var shape: [Int] = []
        var leafDepth: Int?
        var values: [Float] = []
        func fail(_ why: String) -> LuaError { .argument(index, "nested sequences of numbers expected: \(why)") }
        func visit(_ table: Int32, depth: Int) throws {
            guard depth < 16 else { throw fail("more than 16 levels of nesting") }
            try lua.reserve(2)
            let n = Int(lua_rawlen(lua.L, table))
            if depth == shape.count {
                guard n > 0 else { throw fail("an empty table at depth \(depth + 1)") }
                shape.append(n)
            } else if n != shape[depth] {
                throw fail("a sequence of \(n) where the others at depth \(depth + 1) have \(shape[depth])")
            }
            for i in 1...n {
                let type = lua_rawgeti(lua.L, table, lua_Integer(i))
                defer { clua_pop(lua.L, 1) }
                if type == LUA_TNUMBER {
                    if leafDepth == nil { leafDepth = depth }
                    guard leafDepth == depth else { throw fail("a number where a table belongs (depth \(depth + 1))") }
                    values.append(Float(try lua.number(-1)))
                } else if type == LUA_TTABLE {
                    guard leafDepth == nil || depth < leafDepth! else {
                        throw fail("a table where a number belongs (depth \(depth + 1))")
                    }
                    try visit(lua_gettop(lua.L), depth: depth + 1)
                } else {
                    throw fail("a \(lua.typeName(-1)) value at depth \(depth + 1), position \(i)")
                }
                guard values.count <= largestCount else { throw fail("more than \(largestCount) numbers") }
            }
        }
        guard lua.type(root) == LUA_TTABLE else { throw LuaError.type(index, expected: "table") }
        try visit(root, depth: 0)
        return try Tensor(shape: shape, values: values)
    }
}
