import CLua
import CLuaBridge

/// A Lua module of the `mashup` API: one Swift file per module, listed in `Modules.all`.
protocol LuaModule: Sendable {
    /// The field of `mm` holding the module (`audio` for `mm.audio`), or nil for `mm` itself.
    static var name: String? { get }
    static var functions: [Binding] { get }
    /// Userdata types whose metatables the module registers.
    static var types: [any LuaObject.Type] { get }
    /// Sets plain fields of the module table (on top of the stack) besides the functions.
    static func setFields(_ lua: Lua, options: HostOptions) throws
}

extension LuaModule {
    static var types: [any LuaObject.Type] { [] }
    static func setFields(_ lua: Lua, options: HostOptions) throws {}
}

/// What the command line tells the Lua API (`mm.quiet`).
struct HostOptions {
    var quiet = false
}

enum Modules {
    /// Every module, registered in one place.
    static let all: [any LuaModule.Type] = [
        LuaCore.self,
        LuaTensor.self,
        LuaAudio.self,
        LuaDSP.self,
        LuaNpy.self,
        LuaNN.self,
        LuaOptim.self,
        LuaData.self,
        LuaMetrics.self,
        LuaRun.self,
        LuaPlot.self,
        LuaSubmission.self,
        LuaProgress.self,
        LuaAugment.self,
        LuaDist.self,
    ]

    /// Builds the `mashup` table: `require "mashup"` returns it and the global `mm` holds it.
    /// Runs inside a protected call.
    static func open(_ lua: Lua, options: HostOptions) throws {
        let L = lua.L
        lua_createtable(L, 0, 16)
        for module in all {
            for type in module.types { type.register(L) }
            if let name = module.name {
                lua_createtable(L, 0, Int32(module.functions.count))
                try fill(lua, module, options: options)
                // Also package.loaded["mashup.<name>"]: `require "mashup.dsp"` works, and Lua's
                // error messages find the function's name when it is called through pcall.
                lua_getfield(L, clua_registryindex(), LUA_LOADED_TABLE)
                lua_pushvalue(L, -2)
                lua.setField(-2, "mashup." + name)
                clua_pop(L, 1)
                lua.setField(-2, name)
            } else {
                try fill(lua, module, options: options)
            }
        }
        lua_getfield(L, clua_registryindex(), LUA_LOADED_TABLE)
        lua_pushvalue(L, -2)
        lua.setField(-2, "mashup")
        clua_pop(L, 1)
        lua_setglobal(L, "mm")
    }

    private static func fill(_ lua: Lua, _ module: any LuaModule.Type, options: HostOptions) throws {
        Binding.set(module.functions, in: lua)
        try module.setFields(lua, options: options)
    }
}
