import CEdit
import CLua
import Foundation

/// The interactive loop: libedit reads lines (editing, history, completion), the Lua half in
/// `replRuntimeSource` compiles and prints. An error prints and the session goes on.
struct ReplSession {
    let state: LuaState

    /// Where history persists: `$MASHUP_HISTORY`, else `~/.mashup_history`.
    static var historyPath: String {
        let env = ProcessInfo.processInfo.environment
        if let path = env["MASHUP_HISTORY"], !path.isEmpty { return path }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.mashup_history"
    }

    func run() {
        let runtime: Int32
        do {
            try state.run(replRuntimeSource, name: "=(repl)", results: 1)
            runtime = luaL_ref(state.L, clua_registryindex())
        } catch {
            FileHandle.standardError.write(Data("mashup: REPL runtime failed: \(error)\n".utf8))
            return
        }
        let history = ReplSession.historyPath
        using_history()
        read_history(history)
        Completion.install(state: state, runtime: runtime)
        defer { Completion.uninstall() }

        print("\(versionLine) — Lua REPL; mm is the API, Ctrl-D exits.")
        var pending: String? = nil
        while let line = readLine(prompt: pending == nil ? "> " : ">> ") {
            let chunk = pending.map { $0 + "\n" + line } ?? line
            if chunk.trimmingCharacters(in: .whitespaces).isEmpty {
                pending = nil
                continue
            }
            switch evaluate(chunk, runtime: runtime) {
            case .incomplete:
                pending = chunk
            case .done:
                pending = nil
                add_history(chunk)
                write_history(history)
            }
        }
        print()
    }

    private enum Outcome { case incomplete, done }

    private func evaluate(_ chunk: String, runtime: Int32) -> Outcome {
        do {
            let results = try state.callRegistered(runtime, "eval", [chunk])
            switch results.first ?? nil {
            case "incomplete":
                return .incomplete
            case "syntax":
                FileHandle.standardError.write(
                    Data(((results.count > 1 ? results[1] : nil) ?? "syntax error").utf8 + [10]))
            default:
                break
            }
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
        }
        return .done
    }

    private func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }
}

/// libedit's completion hook is a C function with no context argument, so the state it
/// completes against is kept here for the REPL's lifetime (one REPL, on the main thread).
private enum Completion {
    nonisolated(unsafe) static var state: LuaState?
    nonisolated(unsafe) static var runtime: Int32 = 0
    nonisolated(unsafe) static var matches: [String] = []

    static func install(state: LuaState, runtime: Int32) {
        Completion.state = state
        Completion.runtime = runtime
        cedit_set_completion { text, _, _ in
            cedit_completion_over()
            guard let text, let state = Completion.state,
                let found = try? state.callRegistered(
                    Completion.runtime, "complete", [String(cString: text)], listResult: true)
            else { return nil }
            Completion.matches = found.compactMap { $0 }
            guard !Completion.matches.isEmpty else { return nil }
            return rl_completion_matches(text) { _, index in
                // libedit asks for match `index` (0, 1, ...) until it gets NULL.
                let i = Int(index)
                guard i < Completion.matches.count else { return nil }
                return strdup(Completion.matches[i])
            }
        }
    }

    static func uninstall() {
        cedit_set_completion(nil)
        state = nil
    }
}
