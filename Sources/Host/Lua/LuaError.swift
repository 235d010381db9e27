/// A failure inside a Swift binding. The binding throws it; `invoke` turns it into one of the
/// CLuaBridge codes, and the C trampoline raises the Lua error once the Swift frame is gone.
enum LuaError: Error {
    /// `bad argument #n to 'f' (message)`, as luaL_argerror words it.
    case argument(Int32, String)
    /// `bad argument #n to 'f' (expected expected, got <type>)`, as luaL_typeerror words it.
    case type(Int32, expected: String)
    /// A plain error; Lua prefixes the calling chunk's position (`script.lua:12: message`).
    case message(String)
}
