import CLua
import Foundation

/// A Lua value copied out of one Lua state so that another state can rebuild it: how a Lua
/// function put into an augmentation pipeline reaches the loader's worker threads, each of
/// which runs a Lua state of its own.
///
///     nil, booleans, numbers, strings     by value
///     tables                              by value, entry by entry
///     a loaded module or a field of one   by name: package.loaded[name][field] in the other
///                                         state, required there first if it is not loaded
///                                         (`_ENV`, `mm`, `math.floor`, `require "augment.crowd"`)
///     Lua functions                       as bytecode (string.dump), their upvalues copied
///     augmentations (mm.augment.*)        shared, since they never change
///
/// Anything else (coroutines, tensors, audio buffers, C functions outside a module) cannot
/// cross, and the error says where it was met ("upvalue 'net' of function at train.lua:12").
/// Copies share nothing: two upvalues holding one table become two tables in the copy.
indirect enum LuaValueImage: Sendable {
    case none
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string([UInt8])
    case table([Entry])
    case module(String)
    case moduleField(String, String)
    case function(bytecode: [UInt8], upvalues: [LuaValueImage])
    case augmentation(AugmentationObject)

    struct Entry: Sendable {
        let key: LuaValueImage
        let value: LuaValueImage
    }

    /// A text that is the same for the same value in any process (table entries sorted, code
    /// as hex): what a cache key hashes, so that a changed function builds a new cache.
    var canonical: String {
        switch self {
        case .none: return "nil"
        case .boolean(let b): return "\(b)"
        case .integer(let i): return "\(i)"
        case .number(let x): return "\(x)"
        case .string(let bytes): return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        case .table(let entries):
            return "{" + entries.map { "[\($0.key.canonical)]=\($0.value.canonical)" }.sorted().joined(separator: ",")
                + "}"
        case .module(let name): return "require(\(name))"
        case .moduleField(let name, let field): return "require(\(name)).\(field)"
        case .function(let code, let upvalues):
            return "function(" + code.map { String(format: "%02x", $0) }.joined() + ")["
                + upvalues.map(\.canonical).joined(separator: ",") + "]"
        case .augmentation(let object): return "augmentation(\(object.identity))"
        }
    }

    /// Modules this value refers to by name.
    var modules: Set<String> {
        switch self {
        case .module(let name), .moduleField(let name, _): return [name]
        case .table(let entries):
            return entries.reduce(into: []) { $0.formUnion($1.key.modules.union($1.value.modules)) }
        case .function(_, let upvalues): return upvalues.reduce(into: []) { $0.formUnion($1.modules) }
        default: return []
        }
    }
}

/// Copies values out of a state (`LuaValueImage.capture`). Runs inside a Swift binding: only
/// raw, non-raising accessors.
struct LuaValueCapture {
    let lua: Lua
    /// Tables and functions reachable by name: package.loaded[name], then package.loaded[name][field].
    private var named: [UnsafeRawPointer: LuaValueImage] = [:]
    private var entries = 0

    static let deepest = 32
    static let mostEntries = 100_000

    init(_ lua: Lua) throws {
        self.lua = lua
        try lua.reserve(6)
        let L = lua.L
        lua.pushLoaded()
        defer { clua_pop(L, 1) }
        let loaded = lua_gettop(L)
        var fields: [(UnsafeRawPointer, String, String)] = []
        lua_pushnil(L)
        while lua_next(L, loaded) != 0 {
            if lua_type(L, -2) == LUA_TSTRING, let name = try? lua.string(-2) {
                let t = lua_type(L, -1)
                if t == LUA_TTABLE || t == LUA_TFUNCTION, let p = lua_topointer(L, -1) {
                    if case .module(let other)? = named[p], other < name {} else { named[p] = .module(name) }
                }
                if t == LUA_TTABLE {
                    let module = lua_gettop(L)
                    lua_pushnil(L)
                    while lua_next(L, module) != 0 {
                        let v = lua_type(L, -1)
                        if lua_type(L, -2) == LUA_TSTRING, v == LUA_TTABLE || v == LUA_TFUNCTION,
                            let field = try? lua.string(-2), let p = lua_topointer(L, -1)
                        {
                            fields.append((p, name, field))
                        }
                        clua_pop(L, 1)
                    }
                }
            }
            clua_pop(L, 1)
        }
        // A module is named as itself; otherwise by the first of its (module, field) names, so
        // that the name does not depend on the order of a table walk.
        for (p, module, field) in fields.sorted(by: { ($0.1, $0.2) < ($1.1, $1.2) }) where named[p] == nil {
            named[p] = .moduleField(module, field)
        }
    }

    /// The value at `index`; `place` says where it was met, for errors.
    mutating func capture(_ index: Int32, at place: String, depth: Int = 0) throws -> LuaValueImage {
        let L = lua.L
        let index = lua_absindex(L, index)
        guard depth <= Self.deepest else {
            throw LuaError.message("\(place): nested more than \(Self.deepest) levels deep (a cycle?)")
        }
        switch lua_type(L, index) {
        case LUA_TNIL:
            return .none
        case LUA_TBOOLEAN:
            return .boolean(lua.boolean(index))
        case LUA_TNUMBER:
            return lua_isinteger(L, index) != 0
                ? .integer(Int64(clua_tointeger(L, index))) : .number(try lua.number(index))
        case LUA_TSTRING:
            return .string(Array(try lua.string(index).utf8))
        case LUA_TTABLE:
            if let name = named[lua_topointer(L, index)!] { return name }
            return try table(index, at: place, depth: depth)
        case LUA_TFUNCTION:
            if let name = named[lua_topointer(L, index)!] { return name }
            guard lua_iscfunction(L, index) == 0 else {
                throw LuaError.message("\(place): a C function that is not a field of a loaded module cannot be copied")
            }
            return try function(index, at: place, depth: depth)
        case LUA_TUSERDATA:
            if let augmentation = AugmentationObject.peek(L, index) { return .augmentation(augmentation) }
            fallthrough
        default:
            throw LuaError.message(
                "\(place): a \(typeName(index)) cannot be copied into another Lua state "
                    + "(nil, booleans, numbers, strings, tables, functions, modules and augmentations can)")
        }
    }

    /// The metatable's `__name` (mashup.tensor), else the basic type, as luaL_typeerror names it.
    private func typeName(_ index: Int32) -> String {
        let L = lua.L
        guard lua_getmetatable(L, index) != 0 else { return lua.typeName(index) }
        lua.push("__name")
        let named = lua_rawget(L, -2) == LUA_TSTRING
        defer { clua_pop(L, 2) }
        return named ? (try? lua.string(-1)) ?? lua.typeName(index) : lua.typeName(index)
    }

    private mutating func table(_ index: Int32, at place: String, depth: Int) throws -> LuaValueImage {
        let L = lua.L
        try lua.reserve(4)
        var copied: [LuaValueImage.Entry] = []
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            entries += 1
            guard entries <= Self.mostEntries else {
                clua_pop(L, 2)
                throw LuaError.message("\(place): more than \(Self.mostEntries) table entries to copy")
            }
            do {
                let key = try capture(-2, at: "\(place), a key", depth: depth + 1)
                let value = try capture(-1, at: "\(place), field \(key.canonical)", depth: depth + 1)
                copied.append(LuaValueImage.Entry(key: key, value: value))
            } catch {
                clua_pop(L, 2)
                throw error
            }
            clua_pop(L, 1)
        }
        return .table(copied)
    }

    private mutating func function(_ index: Int32, at place: String, depth: Int) throws -> LuaValueImage {
        let L = lua.L
        try lua.reserve(4)
        var code: [UInt8] = []
        lua_pushvalue(L, index)
        let failed = withUnsafeMutablePointer(to: &code) { lua_dump(L, appendChunk, $0, 0) }
        clua_pop(L, 1)
        guard failed == 0 else { throw LuaError.message("\(place): the function cannot be dumped") }
        var upvalues: [LuaValueImage] = []
        var n: Int32 = 1
        while let name = lua_getupvalue(L, index, n) {
            let upvalue = Result {
                try capture(-1, at: "upvalue '\(String(cString: name))' of \(place)", depth: depth + 1)
            }
            clua_pop(L, 1)
            upvalues.append(try upvalue.get())
            n += 1
        }
        return .function(bytecode: code, upvalues: upvalues)
    }
}

/// lua_dump's writer: appends each piece to the [UInt8] at `data`.
private func appendChunk(_ L: OpaquePointer?, _ piece: UnsafeRawPointer?, _ size: Int, _ data: UnsafeMutableRawPointer?)
    -> Int32
{
    guard let piece, let data else { return 0 }
    data.assumingMemoryBound(to: [UInt8].self).pointee.append(
        contentsOf: UnsafeRawBufferPointer(start: piece, count: size))
    return 0
}

extension LuaValueImage {
    /// Pushes the value rebuilt in the state of `lua`. Runs inside a protected call (a binding).
    func push(into lua: Lua) throws {
        let L = lua.L
        try lua.reserve(4)
        switch self {
        case .none: lua.pushNil()
        case .boolean(let b): b.push(into: lua)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let x): x.push(into: lua)
        case .string(let bytes):
            bytes.withUnsafeBufferPointer { b in
                _ = b.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
            }
        case .table(let entries):
            lua_createtable(L, 0, Int32(clamping: entries.count))
            for entry in entries {
                try entry.key.push(into: lua)
                try entry.value.push(into: lua)
                lua_rawset(L, -3)
            }
        case .module(let name):
            try Self.pushModule(name, lua)
        case .moduleField(let name, let field):
            try Self.pushModule(name, lua)
            lua.push(field)
            lua_rawget(L, -2)
            clua_remove(L, -2)
        case .function(let code, let upvalues):
            let status = code.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) {
                    clua_loadbuffer(L, $0.baseAddress, $0.count, "=(copied function)")
                }
            }
            guard status == LUA_OK else {
                defer { clua_pop(L, 1) }
                throw LuaError.message("cannot load a copied function: \((try? lua.string(-1)) ?? "?")")
            }
            for (i, upvalue) in upvalues.enumerated() {
                try upvalue.push(into: lua)
                if lua_setupvalue(L, -2, Int32(i + 1)) == nil { clua_pop(L, 1) }
            }
        case .augmentation(let object):
            object.push(into: lua)
        }
    }

    /// package.loaded[name], required first when it is not loaded yet (under lua_pcall).
    static func pushModule(_ name: String, _ lua: Lua) throws {
        let L = lua.L
        if lua.pushLoaded(name) != LUA_TNIL { return }
        clua_pop(L, 1)
        lua.pushGlobal("require")
        lua.push(name)
        guard clua_pcall(L, 1, 1, 0) == LUA_OK else {
            defer { clua_pop(L, 1) }
            throw LuaError.message(
                "cannot load module '\(name)': \((try? lua.string(-1)) ?? "(error object is not a string)")")
        }
    }
}
