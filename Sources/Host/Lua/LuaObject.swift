import CLua
import CLuaBridge

/// A Swift class exposed to Lua as a userdata with one metatable per type.
///
/// The userdata holds a single retained reference. It is created empty (nil) and given its
/// metatable before the reference is stored, and `__gc` tolerates the empty state, as
/// liolib.c does for its file handles. Native memory (samples, tensors) lives in the Swift
/// object, in aligned allocations, never in Lua's 8-byte-aligned userdata block. The type
/// itself is sendable (`SendableMetatype`): bindings made for it (`length`) refer to it.
protocol LuaObject: AnyObject, LuaValue, SendableMetatype {
    /// The metatable's `__name`: what `luaL_typeerror` prints for this type.
    static var luaTypeName: String { get }
    /// Methods reached through `__index` (`obj:method(...)`).
    static var methods: [Binding] { get }
    /// Other metamethods (`__len`, `__add`, ...) besides `__gc`, `__index` and `__tostring`.
    static var metamethods: [Binding] { get }
    /// Properties reached through `__index` when no method has the name (`buf.rate`): each
    /// name with the getter of its value.
    static var properties: Properties { get }
    /// The value of property `name`, nil when the object has none of that name; by default
    /// read from `properties`.
    func property(_ name: String) -> (any LuaValue)?
    var luaDescription: String { get }
    /// Native memory the object keeps alive (a tensor's floats), which Lua's collector cannot
    /// see in its 8-byte userdata; 0 for small objects.
    var nativeBytes: Int { get }
}

extension LuaObject {
    static var methods: [Binding] { [] }
    static var metamethods: [Binding] { [] }
    typealias Properties = [String: @Sendable (Self) -> any LuaValue]

    static var properties: Properties { [:] }
    func property(_ name: String) -> (any LuaValue)? { Self.properties[name]?(self) }
    var nativeBytes: Int { 0 }

    func push(into lua: Lua) { Self.push(lua.L, self) }

    /// The object a method was called on (`obj:method()` passes it as argument 1).
    static func receiver(_ lua: Lua) throws -> Self { try lua.object(1) }

    /// The `__len` metamethod: `#obj` is `count(obj)`.
    static func length(_ count: @escaping @Sendable (Self) -> Int) -> Binding {
        Binding("__len") { lua in try lua.result(count(receiver(lua))) }
    }

    /// Creates the metatable in the registry; called once per state when the module opens.
    static func register(_ L: OpaquePointer) {
        luaL_newmetatable(L, luaTypeName)
        let lua = Lua(L)
        lua_pushboolean(L, 1)
        lua.setField(-2, objectMarker)
        lua_createtable(L, 0, Int32(methods.count))
        Binding.set(methods, in: lua)
        // The methods table also sits in the metatable as __methods, for the REPL's completion.
        lua_pushvalue(L, -1)
        lua.setField(-3, "__methods")
        mm_push_native_closure(
            L,
            { L in
                Lua.invoke(L) { lua in
                    // A method first (the methods table is upvalue 2), else a property.
                    lua_pushvalue(lua.L, 2)
                    if lua_rawget(lua.L, clua_upvalueindex(2)) != LUA_TNIL { return 1 }
                    clua_pop(lua.L, 1)
                    if lua.type(2) == LUA_TSTRING, let object = anyLuaObject(lua.L, 1),
                        let value = object.property(try lua.string(2))
                    {
                        return try lua.result(value)
                    }
                    return lua.resultNil()
                }
            }, 1)
        lua.setField(-2, "__index")
        mm_push_native(
            L,
            { L in
                Lua.invoke(L) { lua in
                    if let slot = objectSlot(lua.L, 1), let pointer = slot.pointee {
                        slot.pointee = nil
                        Unmanaged<AnyObject>.fromOpaque(pointer).release()
                    }
                    return 0
                }
            })
        lua.setField(-2, "__gc")
        mm_push_native(
            L,
            { L in
                Lua.invoke(L) { lua in
                    try lua.result(anyLuaObject(lua.L, 1)?.luaDescription ?? "(released object)")
                }
            })
        lua.setField(-2, "__tostring")
        Binding.set(metamethods, in: lua)
        clua_pop(L, 1)
    }

    /// Pushes a new userdata holding `object`.
    static func push(_ L: OpaquePointer, _ object: Self) {
        let slot = clua_newuserdata(L, MemoryLayout<UnsafeMutableRawPointer?>.size)!
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        slot.pointee = nil
        luaL_setmetatable(L, luaTypeName)
        slot.pointee = Unmanaged.passRetained(object as AnyObject).toOpaque()
        // The collector paces itself by the memory it knows of: without this, a loop making
        // 10 MB tensors ran to gigabytes before a cycle freed any. Counting the native bytes
        // as Lua allocation keeps a loop near its live set. (Finalizer errors cannot escape
        // a step in Lua 5.4, so no longjmp crosses this Swift frame.)
        let bytes = object.nativeBytes
        if bytes >= 16 << 10 { _ = clua_gc_step(L, Int32(clamping: bytes >> 10)) }
    }

    /// The object at `index` if it is a live userdata of this type.
    static func peek(_ L: OpaquePointer, _ index: Int32) -> Self? {
        guard let raw = luaL_testudata(L, index, luaTypeName),
            let pointer = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee
        else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() as? Self
    }
}

/// Every LuaObject metatable has this field, so shared metamethods can tell our userdata from
/// anyone else's (a C function cannot capture the generic type to ask luaL_testudata).
private let objectMarker = "__mashup_object"

/// The slot of the userdata at `index` if it is one of ours.
private func objectSlot(_ L: OpaquePointer, _ index: Int32) -> UnsafeMutablePointer<UnsafeMutableRawPointer?>? {
    guard lua_type(L, index) == LUA_TUSERDATA, lua_getmetatable(L, index) != 0 else { return nil }
    Lua(L).push(objectMarker)
    let marked = lua_rawget(L, -2) == LUA_TBOOLEAN
    clua_pop(L, 2)
    guard marked else { return nil }
    return lua_touserdata(L, index)!.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
}

/// The object in the userdata at `index`, whatever its type (metamethods shared by all types).
private func anyLuaObject(_ L: OpaquePointer, _ index: Int32) -> (any LuaObject)? {
    guard let pointer = objectSlot(L, index)?.pointee else { return nil }
    return Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() as? any LuaObject
}
