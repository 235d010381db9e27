import ArgumentParser
import CLua
import Foundation
import Native

/// `mashup 0.1.0 (Lua 5.4.6)`, for --version and the REPL's greeting.
let versionLine = "mashup \(Engine.version) (\(String(cString: clua_version_string())))"

/// Options every command takes, given before the command name (`mashup --threads 1 run x.lua`).
struct GlobalOptions: ParsableArguments {
    @Option(help: "Worker threads for native kernels (default: the number of cores).")
    var threads: Int?

    @Option(help: "Seed of the native random generator, for reproducible runs.")
    var seed: Int64?

    @Flag(help: "No progress output; scripts read it as mm.quiet.")
    var quiet = false

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
    }

    /// Applies the options to the engine, joins the data-parallel job when mpirun started this
    /// process, and returns a Lua state that knows them.
    func makeState() throws -> LuaState {
        do {
            try Distributed.start()
        } catch {
            FileHandle.standardError.write(Data("mashup: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if let threads { Engine.threads = threads }
        if let seed { Engine.seed(UInt64(bitPattern: seed)) }
        // In a job of several processes only rank 0 reports progress.
        return LuaState(quiet: quiet || Distributed.rank > 0, handlesInterrupts: true)
    }
}

@main
struct Mashup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mashup",
        abstract: "Script and run music-genre experiments in Lua, with native audio and CNN engines.",
        discussion: """
            With no command: runs the chunks given with -e, or reads a chunk from standard input
            when it is not a terminal, or starts the REPL.
            """,
        version: versionLine,
        subcommands: [Run.self, Repl.self, SynthCommand.self, WeightsCommand.self]
    )

    @OptionGroup var global: GlobalOptions

    /// OpenBLAS's kernels first (`BLASCore`: a CPU newer than its table gets its fallback
    /// otherwise), then the command line.
    static func main() {
        BLASCore.restartWithBetterCoreIfNeeded()
        if let problem = CodePaths.environmentError {
            FileHandle.standardError.write(Data("mashup: \(problem)\n".utf8))
            Glibc.exit(2)
        }
        main(nil)
    }

    @Option(name: .customShort("e"), help: ArgumentHelp("Run a Lua chunk (repeatable).", valueName: "chunk"))
    var chunks: [String] = []

    func run() throws {
        let state = try global.makeState()
        defer { Distributed.finish() }
        if !chunks.isEmpty {
            for (i, chunk) in chunks.enumerated() {
                try report { try state.run(chunk, name: "=(command line \(i + 1))") }
            }
        } else if isatty(STDIN_FILENO) != 0 {
            ReplSession(state: state).run()
        } else {
            let input = FileHandle.standardInput.readDataToEndOfFile()
            try report { try state.run(String(decoding: input, as: UTF8.self), name: "=stdin") }
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Lua script; the script sees its arguments in `arg` and `...`.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The Lua script.")
    var script: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script.")
    var arguments: [String] = []

    func run() throws {
        let state = try global.makeState()
        defer { Distributed.finish() }
        let all = CommandLine.arguments
        let scriptIndex = max(0, all.count - arguments.count - 1)
        try report {
            try state.setScriptArguments(host: Array(all[..<scriptIndex]), script: script, arguments: arguments)
            try state.runFile(script, arguments: arguments)
        }
    }
}

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Interactive Lua with line editing, history and completion of mm names.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        ReplSession(state: try global.makeState()).run()
    }
}

/// Prints a failed chunk's message and traceback to stderr and exits as `lua` does:
/// status 1, or 130 when Ctrl-C stopped it. In a job of several ranks the message names the
/// rank, and the whole job ends (MPI_Abort): the other ranks never wait for this one.
func report(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as LuaState.Failure {
        let code: Int32 = failure.interrupted ? 130 : 1
        if Distributed.size > 1 {
            FileHandle.standardError.write(Data("mashup (rank \(Distributed.rank)): \(failure.message)\n".utf8))
            Distributed.abort(code: code)
        }
        FileHandle.standardError.write(Data("mashup: \(failure.message)\n".utf8))
        throw ExitCode(code)
    }
}
