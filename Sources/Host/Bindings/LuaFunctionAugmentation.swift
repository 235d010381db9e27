import CLua
import CLuaBridge
import Foundation
import Native
import Synchronization

/// A value an augmentation written in Lua receives and returns.
protocol LuaExchangeable: Sendable, LuaValue {
    /// What the function must return, for errors: "audio buffer".
    static var luaKind: String { get }
    static func peek(_ lua: Lua, _ index: Int32) -> Self?
}

extension Audio: LuaExchangeable {
    static var luaKind: String { "audio buffer" }
    func push(into lua: Lua) { AudioBuffer(self).push(into: lua) }
    static func peek(_ lua: Lua, _ index: Int32) -> Audio? { AudioBuffer.peek(lua.L, index)?.audio }
}

extension Spectrogram: LuaExchangeable {
    static var luaKind: String { "spectrogram" }
    func push(into lua: Lua) { SpectrogramObject(self).push(into: lua) }
    static func peek(_ lua: Lua, _ index: Int32) -> Spectrogram? { SpectrogramObject.peek(lua.L, index)?.spectrogram }
}

/// An augmentation written in Lua: `function(buf, rng) ... return buf end`, run wherever the
/// pipeline runs, the loader's worker threads included.
///
/// Lua states are single-threaded, so the function runs in Lua states of its own, never in the
/// script's: a pool holds one state per thread running it at once (each a fresh `LuaState`
/// with the mashup API, the script's package.path, and the function rebuilt from its
/// `LuaValueImage`). The rule for a script: a custom augmentation is a module that returns the
/// function (`require "augment.telephone"`, or its name as a string), or a function whose
/// upvalues are plain values, tables, modules or augmentations; it must not rely on globals
/// the script set, nor on state kept between calls. `rng` is the example's own generator,
/// so draws from it (and `aug(buf, rng)` inside) are the same on every thread.
struct LuaAugmentation<Value: LuaExchangeable>: Augmentation {
    let function: LuaWorkerFunction

    func apply(_ value: Value, random: inout Random, worker: Int) throws -> Value {
        try function.call(value, random: &random)
    }
}

/// The function of a `LuaAugmentation` and the pool of Lua states that run it.
///
/// `@unchecked Sendable`: it owns Lua states (C resources) that are not thread-safe; a state is
/// taken out of `idle` under the lock, used by that one thread, and put back after the call,
/// so no state is ever used by two threads at once.
final class LuaWorkerFunction: @unchecked Sendable, CustomReflectable {
    /// For messages: the module name, or "function at script.lua:12".
    let name: String
    let image: LuaValueImage
    let packagePath: String
    let packageCPath: String
    /// The value's canonical text and the source of the modules it names: what a cache key sees.
    let identity: String
    private let idle = Mutex<[LuaWorker]>([])

    /// Copies the function (or module name) at `index` of a script's state, then builds the
    /// first worker state at once, so that a function that cannot run elsewhere fails here,
    /// where the script can see why.
    init(_ lua: Lua, _ index: Int32, at place: String) throws {
        let L = lua.L
        let index = lua_absindex(L, index)
        switch lua.type(index) {
        case LUA_TSTRING:
            let module = try lua.string(index)
            (name, image) = (module, .module(module))
        case LUA_TFUNCTION:
            var capture = try LuaValueCapture(lua)
            image = try capture.capture(index, at: place)
            if case .module(let module) = image {
                name = module
            } else {
                name = place
            }
        default:
            throw LuaError.message("\(place): a function or a module name expected, got \(lua.typeName(index))")
        }
        let (path, cpath) = try Self.packagePaths(lua)
        (packagePath, packageCPath) = (path, cpath)
        let sources = image.modules.sorted().compactMap { module in
            Self.moduleFile(module, path: path).flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }
                .map { "module \(module):\n\($0)" }
        }
        identity = ([image.canonical] + sources).joined(separator: "\n")
        let first = try LuaWorker(self)
        idle.withLock { $0.append(first) }
    }

    var customMirror: Mirror { Mirror(self, children: ["lua": identity], displayStyle: .class) }

    func call<Value: LuaExchangeable>(_ value: Value, random: inout Random) throws -> Value {
        let worker = try idle.withLock { $0.popLast() } ?? LuaWorker(self)
        defer { idle.withLock { $0.append(worker) } }
        return try worker.call(value, random: &random, name: name)
    }

    /// package.path and package.cpath of the script's state, read raw.
    private static func packagePaths(_ lua: Lua) throws -> (String, String) {
        try lua.reserve(3)
        func field(_ key: String) -> String {
            defer { clua_pop(lua.L, 1) }
            return lua.pushLoaded("package", key) == LUA_TSTRING ? (try? lua.string(-1)) ?? "" : ""
        }
        return (field("path"), field("cpath"))
    }

    /// The file `require` would load for `module`, as package.searchpath finds it.
    static func moduleFile(_ module: String, path: String) -> String? {
        let name = module.replacingOccurrences(of: ".", with: "/")
        return path.split(separator: ";").map { $0.replacingOccurrences(of: "?", with: name) }
            .first { FileManager.default.isReadableFile(atPath: $0) }
    }
}

/// One Lua state running a `LuaWorkerFunction`.
///
/// `@unchecked Sendable`: it owns a Lua state (a C resource) that one thread uses at a time;
/// it moves between threads only through the pool's lock.
final class LuaWorker: @unchecked Sendable {
    let state: LuaState

    /// The registry field holding the function.
    static let functionKey = "mashup.worker_function"

    /// Rebuilds the function (argument 1: its `LuaWorkerFunction`) in this state's registry.
    static let install = Binding("install") { lua in
        let function = Unmanaged<LuaWorkerFunction>.fromOpaque(lua_touserdata(lua.L, 1)!).takeUnretainedValue()
        try function.image.push(into: lua)
        guard lua.type(-1) == LUA_TFUNCTION else {
            throw LuaError.message("\(function.name): a function expected, got \(lua.typeName(-1))")
        }
        lua.setField(clua_registryindex(), LuaWorker.functionKey)
        return 0
    }

    init(_ function: LuaWorkerFunction) throws {
        state = LuaState(quiet: true)
        try state.run(
            "package.path, package.cpath = ...", name: "=(worker)",
            arguments: [function.packagePath, function.packageCPath])
        let L = state.L
        lua_settop(L, 0)
        lua_pushcclosure(L, mm_traceback_handler, 0)
        LuaWorker.install.push(L)
        lua_pushlightuserdata(L, Unmanaged.passUnretained(function).toOpaque())
        do {
            try state.call(arguments: 1, results: 0)
        } catch let failure as LuaState.Failure {
            throw LuaError.message(Self.firstLines(failure.message))
        }
    }

    /// The function applied to `value` with `random` as its `rng`; `random` moves on by what
    /// the function drew.
    func call<Value: LuaExchangeable>(_ value: Value, random: inout Random, name: String) throws -> Value {
        let L = state.L
        let lua = Lua(L)
        lua_settop(L, 0)
        defer { collectGarbage() }
        lua_pushcclosure(L, mm_traceback_handler, 0)
        lua.push(Self.functionKey)
        lua_rawget(L, clua_registryindex())
        try value.push(into: lua)
        let rng = RandomObject(random)
        rng.push(into: lua)
        // Registered while it runs, so Ctrl-C reaches a function stuck in a loop.
        let slot = mm_worker_enter(L)
        let status = clua_pcall(L, 2, 1, 1)
        mm_worker_leave(slot)
        guard status == LUA_OK else {
            let message = lua.type(-1) == LUA_TSTRING ? (try? lua.string(-1)) ?? "" : "(error object is not a string)"
            throw DataError("augmentation \(name)", Self.firstLines(message))
        }
        guard let result = Value.peek(lua, -1) else {
            throw DataError("augmentation \(name)", "returned a \(lua.typeName(-1)), expected an \(Value.luaKind)")
        }
        random = rng.random
        return result
    }

    /// Buffers hold native memory Lua's collector does not see, so each call ends with a full
    /// collection: microseconds in a state this small.
    private func collectGarbage() {
        lua_settop(state.L, 0)
        Lua(state.L).collectGarbage()
    }

    /// An error message without its traceback.
    static func firstLines(_ message: String) -> String {
        message.components(separatedBy: "\nstack traceback:").first ?? message
    }
}
