import CLua
import Foundation
import Native

/// A tensor as Lua holds it: a `Tensor` view (float32, row-major). Views made by `reshape`
/// and `batch`, and the tensors `named_parameters` returns, share storage with their source,
/// as Torch7's do; every other method returns new storage.
///
/// Indices are 1-based. There is no `t[i]`: the methods own the `__index` namespace, so an
/// element is `t:get(i, j, ...)` and `t:set(v, i, j, ...)`.
final class TensorObject: LuaObject {
    let tensor: Tensor

    init(_ tensor: Tensor) { self.tensor = tensor }

    static let luaTypeName = "mashup.tensor"

    /// The largest tensor a script may allocate (elements): 8 GiB of floats. Beyond it a typo
    /// in a shape would kill the process instead of raising an error.
    static let largestCount = 1 << 31

    var luaDescription: String { TensorPreview.text(tensor) }
    var nativeBytes: Int { tensor.count * MemoryLayout<Float>.size }

    static let methods: [Binding] = [
        // t:shape() -> {d1, d2, ...}
        Binding("shape") { lua in try lua.result(receiver(lua).tensor.shape) },
        // t:size([dim]) -> the size of dimension dim (1-based), or the shape as t:shape().
        Binding("size") { lua in
            let t = try receiver(lua).tensor
            if lua.isNoneOrNil(2) { return try lua.result(t.shape) }
            return try lua.result(t.shape[try dimension(lua, 2, rank: t.rank)])
        },
        Binding("dim") { lua in try lua.result(receiver(lua).tensor.rank) },
        Binding("numel") { lua in try lua.result(receiver(lua).tensor.count) },
        // t:get(i, j, ...) -> the element at 1-based indices, one per dimension.
        Binding("get") { lua in
            let t = try receiver(lua).tensor
            return try lua.result(t[try flatIndex(lua, t, from: 2)])
        },
        // t:set(v, i, j, ...): writes one element; returns t.
        Binding("set") { lua in
            let t = try receiver(lua).tensor
            let value = Float(try lua.number(2))
            t[try flatIndex(lua, t, from: 3)] = value
            return lua.result(argument: 1)
        },
        // t:fill(v): every element set to v; returns t.
        Binding("fill") { lua in
            try receiver(lua).tensor.fill(Float(try lua.number(2)))
            return lua.result(argument: 1)
        },
        Binding("sum") { lua in try lua.result(receiver(lua).tensor.sum()) },
        Binding("mean") { lua in try lua.result(nonEmpty(lua, "mean").mean()) },
        Binding("max") { lua in try lua.result(nonEmpty(lua, "max").max()) },
        Binding("min") { lua in try lua.result(nonEmpty(lua, "min").min()) },
        // t:argmax([dim]) -> 1-based positions of the largest values along dim (default: the
        // last): an integer for a 1-D tensor, else a sequence with one position per slice, in
        // row-major order of the other dimensions ((N, C) logits give N class labels).
        Binding("argmax") { lua in
            let t = try nonEmpty(lua, "argmax")
            let dim = lua.isNoneOrNil(2) ? t.rank - 1 : try dimension(lua, 2, rank: t.rank)
            let positions = t.argmax(dim: dim).map { $0 + 1 }
            return t.rank == 1 ? try lua.result(positions[0]) : try lua.result(positions)
        },
        // t:softmax() -> softmax along the last dimension, in a new tensor.
        Binding("softmax") { lua in try lua.result(TensorObject(nonEmpty(lua, "softmax").softmax())) },
        // t:reshape{d1, d2, ...} (or t:reshape(d1, d2, ...)) -> a view; one dimension may be -1.
        Binding("reshape") { lua in
            let t = try receiver(lua).tensor
            let shape = try shapeArgument(lua, from: 2, allowInferred: true)
            do {
                return try lua.result(TensorObject(try t.reshaped(shape)))
            } catch let error as NNError {
                throw LuaError.argument(2, error.message)
            }
        },
        // t:batch(i [, n]) -> a view of items i ... i+n-1 (n = 1 by default) of the first dimension.
        Binding("batch") { lua in
            let t = try receiver(lua).tensor
            guard t.rank >= 1 else { throw LuaError.message("batch: a 0-dimensional tensor has no items") }
            let first = try lua.integer(2)
            let count = try lua.integer(3, default: 1)
            guard first >= 1, first <= t.shape[0] else {
                throw LuaError.argument(2, "item 1 ... \(t.shape[0]) expected, got \(first)")
            }
            guard count >= 1, first - 1 + count <= t.shape[0] else {
                throw LuaError.argument(3, "count 1 ... \(t.shape[0] - first + 1) expected, got \(count)")
            }
            return try lua.result(TensorObject(try t.batch((first - 1)..<(first - 1 + count))))
        },
        // t:matmul(u) -> the matrix product of (M, K) and (K, N) tensors.
        Binding("matmul") { lua in
            let t = try receiver(lua).tensor
            return try lua.result(TensorObject(try t.matmul(try lua.object(2, as: TensorObject.self).tensor)))
        },
        Binding("copy") { lua in try lua.result(TensorObject(receiver(lua).tensor.copy())) },
        // t:totable() -> nested Lua tables of numbers, as mm.tensor reads them.
        Binding("totable") { lua in
            let t = try receiver(lua).tensor
            try lua.reserve(Int32(t.rank) + 2)
            var position = 0
            try pushNested(lua, t, dim: 0, position: &position)
            return 1
        },
    ]

    static let metamethods: [Binding] = [
        // #t: the size of the first dimension.
        length { $0.tensor.shape.first ?? 0 },
        Binding("__add") { try arithmetic($0, "+", { try $0.adding($1) }, { $0 + $1 }) },
        Binding("__sub") { try arithmetic($0, "-", { try $0.subtracting($1) }, { $0 - $1 }) },
        Binding("__mul") { try arithmetic($0, "*", { try $0.multiplying($1) }, { $0 * $1 }) },
        Binding("__div") { try arithmetic($0, "/", { try $0.dividing($1) }, { $0 / $1 }) },
        Binding("__unm") { lua in try lua.result(TensorObject(receiver(lua).tensor.map { -$0 })) },
    ]

    /// a op b where each side is a tensor or a number (at least one a tensor); tensors need
    /// equal shapes.
    private static func arithmetic(
        _ lua: Lua, _ symbol: String, _ tensors: (Tensor, Tensor) throws -> Tensor, _ scalar: (Float, Float) -> Float
    ) throws -> Int32 {
        let a = TensorObject.peek(lua.L, 1)?.tensor
        let b = TensorObject.peek(lua.L, 2)?.tensor
        let result: Tensor
        switch (a, b) {
        case (let a?, let b?):
            do { result = try tensors(a, b) } catch let error as NNError {
                throw LuaError.message(
                    "tensor \(symbol) tensor: shapes \(a.shape) and \(b.shape) differ (\(error.message))")
            }
        case (let a?, nil):
            let s = try operand(lua, 2, symbol)
            result = a.map { scalar($0, s) }
        case (nil, let b?):
            let s = try operand(lua, 1, symbol)
            result = b.map { scalar(s, $0) }
        case (nil, nil):
            throw LuaError.message("arithmetic '\(symbol)' needs a tensor")
        }
        return try lua.result(TensorObject(result))
    }

    private static func operand(_ lua: Lua, _ index: Int32, _ symbol: String) throws -> Float {
        guard lua.type(index) == LUA_TNUMBER else {
            throw LuaError.message(
                "attempt to perform arithmetic '\(symbol)' on a tensor and a \(lua.typeName(index)) value")
        }
        return Float(try lua.number(index))
    }

    private static func nonEmpty(_ lua: Lua, _ what: String) throws -> Tensor {
        let t = try receiver(lua).tensor
        guard t.count > 0 else { throw LuaError.message("\(what) of an empty tensor (shape \(t.shape))") }
        return t
    }

    /// A 1-based dimension argument (negative counts from the end, as in Lua's string.sub),
    /// returned 0-based.
    static func dimension(_ lua: Lua, _ index: Int32, rank: Int) throws -> Int {
        let d = try lua.integer(index)
        let zeroBased = d < 0 ? rank + d : d - 1
        guard zeroBased >= 0, zeroBased < rank else {
            throw LuaError.argument(index, "dimension 1 ... \(rank) expected, got \(d)")
        }
        return zeroBased
    }

    /// The row-major position of the 1-based indices at arguments `from` ... `from + rank - 1`.
    private static func flatIndex(_ lua: Lua, _ t: Tensor, from: Int32) throws -> Int {
        let given = Int(lua.top - from + 1)
        guard given == t.rank else {
            throw LuaError.message("tensor of shape \(t.shape) takes \(t.rank) indices, got \(max(0, given))")
        }
        var position = 0
        for (d, size) in t.shape.enumerated() {
            let argument = from + Int32(d)
            let i = try lua.integer(argument)
            guard i >= 1, i <= size else {
                throw LuaError.argument(argument, "index 1 ... \(size) expected for dimension \(d + 1), got \(i)")
            }
            position = position * size + (i - 1)
        }
        return position
    }

    private static func pushNested(_ lua: Lua, _ t: Tensor, dim: Int, position: inout Int) throws {
        guard dim < t.rank else {
            try lua.push(t[position])
            position += 1
            return
        }
        lua_createtable(lua.L, Int32(clamping: t.shape[dim]), 0)
        for i in 0..<t.shape[dim] {
            try pushNested(lua, t, dim: dim + 1, position: &position)
            lua_rawseti(lua.L, -2, lua_Integer(i + 1))
        }
    }

}

/// The tensor constructors in `mm`: `mm.tensor`, `mm.zeros`, `mm.ones`, `mm.rand`, `mm.randn`.
enum LuaTensor: LuaModule {
    static let name: String? = nil
    static var types: [any LuaObject.Type] { [TensorObject.self] }

    static let functions: [Binding] = [
        // mm.tensor{{1, 2}, {3, 4}} -> a tensor shaped by the nesting; mm.tensor(t) copies t.
        Binding("tensor") { lua in
            let t = try TensorObject.peek(lua.L, 1)?.tensor.copy() ?? TensorObject.fromTable(lua, 1)
            return try lua.result(TensorObject(t))
        },
        // mm.zeros{2, 3} or mm.zeros(2, 3)
        Binding("zeros") { try construct($0) { _ in } },
        Binding("ones") { try construct($0) { $0.fill(1) } },
        // mm.rand{...}: uniform in [0, 1) from the engine generator (mm.seed fixes it).
        Binding("rand") {
            try construct($0) { t in
                Engine.withRandom { rng in for i in 0..<t.count { t[i] = Float(rng.uniform()) } }
            }
        },
        // mm.randn{...}: standard normal from the engine generator.
        Binding("randn") {
            try construct($0) { t in
                Engine.withRandom { rng in for i in 0..<t.count { t[i] = Float(rng.normal()) } }
            }
        },
    ]

    private static func construct(_ lua: Lua, _ fill: (Tensor) -> Void) throws -> Int32 {
        let t = try Tensor(checkedShape: try TensorObject.shapeArgument(lua, from: 1), for: "tensor")
        fill(t)
        return try lua.result(TensorObject(t))
    }
}
