import CLua
import CLuaBridge
import Foundation

/// One Lua 5.4 interpreter with the standard libraries and the `mashup` module.
///
/// Swift enters Lua only through `lua_pcall` (and the loaders, which are protected), always
/// with `mm_traceback_handler` as message handler, so every error comes back as a status.
final class LuaState {
    let L: OpaquePointer

    /// A chunk that failed: the message (`chunk:line: text`) and Lua's traceback.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        /// True when the error was the Ctrl-C interrupt.
        var interrupted: Bool
        var description: String { message }
    }

    /// Whether this state owns Ctrl-C (the process's main script or REPL). Other states, such
    /// as a data loader's per-worker ones, never touch signal handlers.
    let handlesInterrupts: Bool

    init(quiet: Bool = false, handlesInterrupts: Bool = false) {
        guard let L = luaL_newstate() else { fatalError("mashup: cannot allocate a Lua state") }
        self.L = L
        self.handlesInterrupts = handlesInterrupts
        mm_install_panic(L)
        luaL_openlibs(L)
        do {
            lua_settop(L, 0)
            pushTracebackHandler()
            mm_push_native(
                L,
                { L in
                    Lua.invoke(L) { lua in
                        try Modules.open(lua, options: HostOptions(quiet: lua.boolean(1)))
                        return 0
                    }
                })
            lua_pushboolean(L, quiet ? 1 : 0)
            try call(arguments: 1, results: 0)
            if handlesInterrupts {
                // A script's output reaches a log or a pipe line by line, as on a terminal.
                try run("io.stdout:setvbuf('line')", name: "=(setup)")
            }
            try addToPackagePath(
                LuaState.libraryDirectories().map { [$0 + "/?.lua", $0 + "/?/init.lua"] }.flatMap { $0 })
        } catch {
            fatalError("mashup: cannot open the mashup module: \(error)")
        }
    }

    deinit { lua_close(L) }

    /// Folders searched by `require` besides Lua's defaults: `$MASHUP_LIB`, then `scripts/lib`
    /// found above the executable (a build folder in the checkout) or the working directory.
    static func libraryDirectories() -> [String] {
        var found: [String] = []
        if let env = ProcessInfo.processInfo.environment["MASHUP_LIB"], !env.isEmpty {
            found += env.split(separator: ":").map(String.init)
        }
        let fm = FileManager.default
        var starts = [fm.currentDirectoryPath]
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent().path {
            starts.insert(exe, at: 0)
        }
        for start in starts {
            var dir = URL(fileURLWithPath: start)
            while dir.path != "/" {
                let candidate = dir.appendingPathComponent("scripts/lib").path
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue {
                    if !found.contains(candidate) { found.append(candidate) }
                    break
                }
                dir.deleteLastPathComponent()
            }
        }
        return found
    }

    /// Prepends `patterns` to `package.path`.
    func addToPackagePath(_ patterns: [String]) throws {
        guard !patterns.isEmpty else { return }
        try run(
            "local p = ...; package.path = p .. ';' .. package.path", name: "=(path)",
            arguments: [patterns.joined(separator: ";")])
    }

    private func pushTracebackHandler() {
        lua_pushcclosure(L, mm_traceback_handler, 0)
    }

    /// Compiles `source` as a chunk named `name` (`@file` or `=label`, as Lua names chunks).
    func load(_ source: String, name: String) throws {
        var source = source
        let status = source.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                clua_loadbuffer(L, $0.baseAddress, $0.count, name)
            }
        }
        if status != LUA_OK { throw popFailure() }
    }

    /// Runs a chunk with string arguments (its `...`); returns how many results it left.
    @discardableResult
    func run(_ source: String, name: String, arguments: [String] = [], results: Int32 = 0) throws -> Int32 {
        lua_settop(L, 0)
        pushTracebackHandler()
        try load(source, name: name)
        for argument in arguments { Lua(L).push(argument) }
        try call(arguments: Int32(arguments.count), results: results)
        return lua_gettop(L) - 1
    }

    /// Runs a chunk and returns its results as text: strings and numbers as Lua writes them,
    /// booleans as `true`/`false`, anything else as nil.
    func evaluate(_ source: String, name: String = "=(eval)") throws -> [String?] {
        let count = try run(source, name: name, results: clua_multret())
        defer { lua_settop(L, 0) }
        return (0..<count).map { i in
            let index = i + 2
            switch lua_type(L, index) {
            case LUA_TSTRING, LUA_TNUMBER:
                lua_pushvalue(L, index)  // lua_tolstring converts a number in place: use a copy
                defer { clua_pop(L, 1) }
                return String(cString: clua_tostring(L, -1))
            case LUA_TBOOLEAN:
                return lua_toboolean(L, index) != 0 ? "true" : "false"
            default:
                return nil
            }
        }
    }

    /// Calls the function below `arguments` values on the stack, whose message handler sits
    /// at index 1, with Ctrl-C armed for the duration of the call when this state owns it.
    func call(arguments: Int32, results: Int32) throws {
        if handlesInterrupts {
            mm_clear_interrupt()
            mm_install_sigint(L)
        }
        let status = clua_pcall(L, arguments, results, 1)
        if handlesInterrupts { mm_restore_sigint() }
        if status != LUA_OK { throw popFailure() }
    }

    private func popFailure() -> Failure {
        let message =
            lua_type(L, -1) == LUA_TSTRING ? String(cString: clua_tostring(L, -1)) : "(error object is not a string)"
        let failure = Failure(message: message, interrupted: handlesInterrupts && mm_interrupt_raised() != 0)
        lua_settop(L, 0)
        if handlesInterrupts { mm_clear_interrupt() }
        return failure
    }

    /// Calls `registry[ref][field](arguments...)`: the results as strings (nil for others),
    /// or with `listResult` the strings of the sequence the function returned.
    func callRegistered(_ ref: Int32, _ field: String, _ arguments: [String], listResult: Bool = false) throws
        -> [String?]
    {
        lua_settop(L, 0)
        pushTracebackHandler()
        lua_rawgeti(L, clua_registryindex(), lua_Integer(ref))
        Lua(L).push(field)
        lua_rawget(L, -2)
        clua_remove(L, -2)
        for argument in arguments { Lua(L).push(argument) }
        try call(arguments: Int32(arguments.count), results: clua_multret())
        defer { lua_settop(L, 0) }
        func text(_ index: Int32) -> String? {
            lua_type(L, index) == LUA_TSTRING ? String(cString: clua_tostring(L, index)) : nil
        }
        if listResult {
            guard lua_type(L, 2) == LUA_TTABLE else { return [] }
            return (0..<Int(lua_rawlen(L, 2))).map { i in
                lua_rawgeti(L, 2, lua_Integer(i + 1))
                defer { clua_pop(L, 1) }
                return text(-1)
            }
        }
        return (2...max(2, lua_gettop(L))).map { i in i <= lua_gettop(L) ? text(Int32(i)) : nil }
    }

    /// Sets the global `arg` as the standalone `lua` does: the script at 0, its arguments at
    /// 1...n, and the host's own command line before it at negative indices.
    func setScriptArguments(host: [String], script: String, arguments: [String]) throws {
        let source = """
            local host, script, rest = ...
            local t = {[0] = script}
            for i = 1, #host do t[i - #host - 1] = host[i] end
            for i = 1, #rest do t[i] = rest[i] end
            arg = t
            """
        lua_settop(L, 0)
        pushTracebackHandler()
        try load(source, name: "=(arg)")
        try pushStringArray(host)
        Lua(L).push(script)
        try pushStringArray(arguments)
        try call(arguments: 3, results: 0)
    }

    private func pushStringArray(_ strings: [String]) throws {
        lua_createtable(L, Int32(strings.count), 0)
        for (i, s) in strings.enumerated() {
            Lua(L).push(s)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }

    /// Runs a script file with its arguments as `...`, after `package.path` learns its folder.
    func runFile(_ path: String, arguments: [String]) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(message: "cannot open \(path)", interrupted: false)
        }
        let folder = (path as NSString).deletingLastPathComponent
        try addToPackagePath([(folder.isEmpty ? "." : folder) + "/?.lua"])
        var source = String(decoding: data, as: UTF8.self)
        // Skip a first line starting with '#', as lua.c does for `#!` scripts.
        if source.hasPrefix("#") {
            source = "--" + source
        }
        try run(source, name: "@" + path, arguments: arguments)
    }
}
