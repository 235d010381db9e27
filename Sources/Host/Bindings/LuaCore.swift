import CLua
import CLuaBridge
import Dispatch
import Native

/// `mm` itself: the version, the worker threads, the seeded generator and a clock.
enum LuaCore: LuaModule {
    static let name: String? = nil

    static func setFields(_ lua: Lua, options: HostOptions) throws {
        try lua.field("version", Engine.version)
        try lua.field("quiet", options.quiet)
    }

    static let functions: [Binding] = [
        // mm.threads([n]) -> n: the worker count for native kernels (and OpenBLAS).
        Binding("threads") { lua in
            if !lua.isNoneOrNil(1) {
                let n = try lua.integer(1)
                guard n >= 1 else { throw LuaError.argument(1, "thread count must be at least 1, got \(n)") }
                Engine.threads = n
            }
            return try lua.result(Engine.threads)
        },
        // mm.seed(n): reseeds the native generator; the same seed reproduces every draw.
        Binding("seed") { lua in Engine.seed(UInt64(bitPattern: Int64(try lua.integer(1)))) },
        // mm.random() in [0,1); mm.random(m) in 1..m; mm.random(m, n) in m..n (as math.random).
        Binding("random") { lua in
            switch lua.top {
            case 0:
                return try lua.result(Engine.withRandom { $0.uniform() })
            case 1, 2:
                let low = lua.top == 2 ? try lua.integer(1) : 1
                let high = try lua.integer(lua.top)
                guard low <= high else { throw LuaError.argument(lua.top, "interval is empty") }
                return try lua.result(Engine.withRandom { $0.int(in: low...high) })
            default:
                throw LuaError.message("wrong number of arguments to 'random'")
            }
        },
        // mm.normal([mean [, std]]): a Gaussian draw.
        Binding("normal") { lua in
            let mean = try lua.number(1, default: 0)
            let std = try lua.number(2, default: 1)
            guard std >= 0 else { throw LuaError.argument(2, "standard deviation must be >= 0, got \(std)") }
            return try lua.result(mean + std * Engine.withRandom { $0.normal() })
        },
        // mm.defer_interrupt(on): with on, Ctrl-C no longer stops the script at once; the
        // script polls mm.interrupted() at a safe point (after a training step, say). A second
        // Ctrl-C still ends the process.
        Binding("defer_interrupt") { lua in mm_defer_interrupt(lua.boolean(1) ? 1 : 0) },
        // mm.interrupted(): true once Ctrl-C was pressed during this run.
        Binding("interrupted") { lua in try lua.result(mm_interrupt_pending() != 0) },
        // mm.clock(): monotonic seconds, for timing.
        Binding("clock") { lua in try lua.result(Double(DispatchTime.now().uptimeNanoseconds) * 1e-9) },
    ]
}
