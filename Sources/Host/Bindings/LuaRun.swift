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
            let options = try lua.options(1)
            try options.only(["root", "name"])
            let root = try options.string("root") ?? "runs"
            return lua.result(RunObject(try RunFolder(root: root, name: try options.string("name"))))
        },
        // mm.run.resume(path) -> the run folder of an earlier run, its log read back.
        Binding("resume") { lua in lua.result(RunObject(try RunFolder(resuming: try lua.string(1)))) },
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

    func property(_ name: String, lua: Lua) throws -> Bool {
        switch name {
        case "path": lua.push(folder.path)
        case "name": lua.push(folder.name)
        case "epochs": lua.push(folder.log.count)
        case "last_epoch": lua.push(folder.log.last?.epoch ?? 0)
        default:
            guard let path = files[name] else { return false }
            lua.push(path)
        }
        return true
    }

    static func receiver(_ lua: Lua) throws -> RunObject { try lua.object(1, as: RunObject.self) }

    static let methods: [Binding] = [
        // run:config(table): writes config.json (numbers, strings, booleans, nested tables).
        Binding("config") { lua in
            let run = try receiver(lua)
            guard lua.type(2) == LUA_TTABLE else { throw LuaError.type(2, expected: "table") }
            try run.folder.writeConfig(try lua.json(2))
            return 0
        },
        // run:read_config() -> the table config.json holds.
        Binding("read_config") { lua in try lua.result(try receiver(lua).folder.readConfig()) },
        // run:log{epoch =, train_loss =, ..., any_other_number =}: appends (or, for an epoch
        // already logged, replaces from it on) one record of metrics.jsonl.
        Binding("log") { lua in
            let run = try receiver(lua)
            try run.folder.append(try lua.epochRecord(2))
            return 0
        },
        // run:records() -> the logged epochs as tables, in order; unmeasured values are absent.
        Binding("records") { lua in
            let log = try receiver(lua).folder.log
            try lua.reserve(2)
            lua_createtable(lua.L, Int32(clamping: log.count), 0)
            for record in log {
                try lua.push(record)
                lua.appendToSequence()
            }
            return 1
        },
        // run:file(kind) -> the path of a conventional file ("best_model", ...), or of any
        // other file name inside the run folder.
        Binding("file") { lua in
            let run = try receiver(lua)
            let kind = try lua.string(2)
            guard !kind.isEmpty, !kind.hasPrefix("/"), !kind.split(separator: "/").contains("..") else {
                throw LuaError.argument(2, "a file name inside the run folder expected, got '\(kind)'")
            }
            return lua.result(run.files[kind] ?? run.folder.file(kind))
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
        guard let epoch = try options.integer("epoch") else {
            throw options.invalid("epoch", "the epoch number (an integer) expected")
        }
        var numbers: [String: Double] = [:]
        try reserve(3)
        pushNil()
        while lua_next(L, options.index!) != 0 {
            defer { clua_pop(L, 1) }
            guard type(-2) == LUA_TSTRING else {
                throw LuaError.argument(index, "named fields expected, got a \(typeName(-2)) key")
            }
            let key = try string(-2)
            guard type(-1) == LUA_TNUMBER else { throw options.invalid(key, "number expected, got \(typeName(-1))") }
            if key != "epoch" { numbers[key] = try number(-1) }
        }
        func take(_ key: String) -> Double { numbers.removeValue(forKey: key) ?? .nan }
        return EpochRecord(
            epoch: epoch, trainLoss: take("train_loss"), trainAcc: take("train_acc"), valLoss: take("val_loss"),
            valAcc: take("val_acc"), valF1: take("val_f1"), lr: take("lr"), seconds: take("seconds"), extra: numbers)
    }

    /// Pushes a record as a table with the log's keys; values not measured (NaN) are left out.
    func push(_ record: EpochRecord) throws {
        try reserve(2)
        lua_createtable(L, 0, 9)
        setField("epoch", record.epoch)
        let standard = [
            ("train_loss", record.trainLoss), ("train_acc", record.trainAcc), ("val_loss", record.valLoss),
            ("val_acc", record.valAcc), ("val_f1", record.valF1), ("lr", record.lr), ("seconds", record.seconds),
        ]
        for (key, value) in standard { setField(key, ifFinite: value) }
        for (key, value) in record.extra { setField(key, ifFinite: value) }
    }

    /// The records in the sequence at `index` (tables as `epochRecord` reads them).
    func epochRecords(_ index: Int32) throws -> [EpochRecord] {
        guard type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "sequence of epoch records") }
        let table = lua_absindex(L, index)
        try reserve(2)
        var records: [EpochRecord] = []
        for i in 1..<(Int(lua_rawlen(L, table)) + 1) {
            lua_rawgeti(L, table, lua_Integer(i))
            defer { clua_pop(L, 1) }
            do {
                records.append(try epochRecord(-1))
            } catch let error as LuaError {
                throw error.nested(in: index, at: "record \(i)")
            }
        }
        return records
    }
}
