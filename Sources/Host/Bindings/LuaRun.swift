import CLua
import Native

/// `mm.run`: the folder a training run writes into (`runs/<name>/`), its config, its epoch
/// log and the conventional names of its checkpoints, plots and predictions.
///
///     local run = mm.run.open{root = "runs", name = opts.run}   -- a timestamp without a name
///     run:config(opts)
///     run:log{epoch = 1, train_loss = 0.93, val_f1 = 0.61, lr = 1e-3}
///     mm.plot.history(run:records(), run.history_png)
///     local again = mm.run.resume("runs/" .. run.name)           -- the log read back
enum LuaRun: LuaModule {
    static let name: String? = "run"
    static var types: [any LuaObject.Type] { [RunObject.self] }

    static let functions: [Binding] = [
        // mm.run.open([{root = "runs", name = nil}]) -> a new run folder.
        Binding("open") { lua in
            let options = try lua.options(1, only: ["root", "name"])
            let root = try options.string("root") ?? "runs"
            return try lua.result(RunObject(try RunFolder(root: root, name: try options.string("name"))))
        },
        // mm.run.resume(path) -> the run folder of an earlier run, its log read back.
        Binding("resume") { lua in try lua.result(RunObject(RunFolder(resuming: try lua.string(1)))) },
    ]
}

/// A run folder as Lua holds it. Fields: `path`, `name`, `epochs` (records logged),
/// `last_epoch` (0 before the first), and the paths of its files: `config_file`, `log_file`,
/// `best_model`, `last_model`, `state`, `history_png`, `confusion_png`, `distribution_png`,
/// `predictions`, `submission`.
final class RunObject: LuaObject {
    var folder: RunFolder

    init(_ folder: RunFolder) { self.folder = folder }

    static let luaTypeName = "mashup.run"

    var luaDescription: String {
        "run '\(folder.name)' at \(folder.path): \(folder.log.count) epoch\(folder.log.count == 1 ? "" : "s") logged"
    }

    /// The files of a run by their Lua names, for fields and `run:file(kind)`.
    private var files: [String: String] {
        [
            "config_file": folder.configPath, "log_file": folder.logPath, "best_model": folder.bestCheckpoint,
            "last_model": folder.lastCheckpoint, "state": folder.lastState, "history_png": folder.historyPlot,
            "confusion_png": folder.confusionPlot, "distribution_png": folder.predictionPlot,
            "predictions": folder.predictionsPath, "submission": folder.submissionPath,
        ]
    }

    func property(_ name: String) -> (any LuaValue)? {
        switch name {
        case "path": folder.path
        case "name": folder.name
        case "epochs": folder.log.count
        case "last_epoch": folder.log.last?.epoch ?? 0
        default: files[name]
        }
    }

    static let methods: [Binding] = [
        // run:config(table): writes config.json (numbers, strings, booleans, nested tables).
        Binding("config") { lua in
            let run = try receiver(lua)
            guard lua.type(2) == LUA_TTABLE else { throw LuaError.type(2, expected: "table") }
            try run.folder.writeConfig(try lua.json(2))
            return 0
        },
        // run:read_config() -> the table config.json holds.
        Binding("read_config") { lua in try lua.result(receiver(lua).folder.readConfig()) },
        // run:log{epoch =, train_loss =, ..., any_other_number =}: appends (or, for an epoch
        // already logged, replaces from it on) one record of metrics.jsonl.
        Binding("log") { lua in try receiver(lua).folder.append(try lua.epochRecord(2)) },
        // run:records() -> the logged epochs as tables, in order; unmeasured values are absent.
        Binding("records") { lua in try lua.result(receiver(lua).folder.log) },
        // run:file(kind) -> the path of a conventional file ("best_model", ...), or of any
        // other file name inside the run folder.
        Binding("file") { lua in
            let run = try receiver(lua)
            let kind = try lua.string(2)
            guard !kind.isEmpty, !kind.hasPrefix("/"), !kind.split(separator: "/").contains("..") else {
                throw LuaError.argument(2, "a file name inside the run folder expected, got '\(kind)'")
            }
            return try lua.result(run.files[kind] ?? run.folder.file(kind))
        },
    ]
}

extension Lua {
    /// The epoch record in the table at `index`: an integer `epoch`, the log's numbers
    /// (`train_loss`, `train_acc`, `val_loss`, `val_acc`, `val_f1`, `lr`, `seconds`), and any
    /// other numbers under their own keys (kept in `extra`).
    func epochRecord(_ index: Int32) throws -> EpochRecord {
        guard type(index) == LUA_TTABLE else {
            throw LuaError.argument(index, "table expected, got \(typeName(index))")
        }
        let options = try self.options(index)
        let epoch = try options.required("epoch", options.integer, "the epoch number (an integer) expected")
        var numbers: [String: Double] = [:]
        try forEachField(index) { key in
            guard type(-1) == LUA_TNUMBER else { throw options.invalid(key, "number expected, got \(typeName(-1))") }
            if key != "epoch" { numbers[key] = try number(-1) }
        }
        return EpochRecord(epoch: epoch, numbers: numbers)
    }

    /// The records in the sequence at `index` (tables as `epochRecord` reads them).
    func epochRecords(_ index: Int32) throws -> [EpochRecord] {
        guard type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "sequence of epoch records") }
        return try entries(index, of: index, item: "record") { _ in try epochRecord(-1) }
    }
}

/// A record as a table with the log's keys; values not measured (NaN) are left out.
extension EpochRecord: LuaValue {
    func push(into lua: Lua) throws {
        let measured = (fields + extra.map { ($0, $1) }).map { ($0, $1.ifFinite as any LuaValue) }
        try LuaRecord([("epoch", epoch)] + measured).push(into: lua)
    }
}
