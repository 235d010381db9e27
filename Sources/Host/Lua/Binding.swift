import CLua
import CLuaBridge

/// One function of the Lua API: its name and a Swift body that reads its arguments from the
/// stack, pushes its results and returns how many (`lua.result` does both), or returns nothing
/// for a function without results. The body runs under `Lua.invoke`, so what it throws (a
/// `LuaError` from the argument readers, or any engine error) becomes a Lua error raised by
/// the C trampoline after the Swift frame has returned.
///
///     static let methods: [Binding] = [
///         Binding("peak") { lua in try lua.result(receiver(lua).audio.peak) },
///         Binding("zero_grad") { lua in try receiver(lua).optimizer.zeroGrad() },
///     ]
///
/// Every binding reaches Lua through one C function (`dispatch`) with the binding as an
/// upvalue, because a Swift closure cannot be a C function pointer. Bindings live in static
/// tables for the whole process; each one keeps itself alive, so the upvalue never dangles.
final class Binding: Sendable {
    let name: String
    private let body: @Sendable (Lua) throws -> Int32

    init(_ name: String, _ body: @escaping @Sendable (Lua) throws -> Int32) {
        self.name = name
        self.body = body
        _ = Unmanaged.passRetained(self)
    }

    /// A function without results.
    convenience init(_ name: String, _ body: @escaping @Sendable (Lua) throws -> Void) {
        self.init(name) { lua in
            try body(lua)
            return 0
        }
    }

    /// Pushes the Lua function; with `upvalues` n, the n values on top of the stack become its
    /// upvalues, which the body reads at `Binding.upvalue(1 ... n)` (an iterator's state).
    func push(_ L: OpaquePointer, upvalues n: Int32 = 0) {
        lua_pushlightuserdata(L, Unmanaged.passUnretained(self).toOpaque())
        lua_rotate(L, -(n + 1), 1)
        mm_push_native_closure(L, Binding.dispatch, n + 1)
    }

    /// The pseudo-index of the body's upvalue k (1-based), as pushed by `push(_:upvalues:)`.
    static func upvalue(_ k: Int32) -> Int32 { clua_upvalueindex(k + 2) }

    /// Sets `table[name]` for each binding, the table on top of the stack.
    static func set(_ bindings: [Binding], in lua: Lua) {
        for binding in bindings {
            binding.push(lua.L)
            lua.setField(-2, binding.name)
        }
    }

    private static let dispatch: LuaFunction = { L in
        let binding = Unmanaged<Binding>.fromOpaque(lua_touserdata(L, clua_upvalueindex(2))!).takeUnretainedValue()
        return Lua.invoke(L, binding.body)
    }
}
