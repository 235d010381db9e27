import Foundation

/// The folder one training run writes into, `<root>/<name>/`:
///
///     config.json               the options the run was started with
///     metrics.jsonl             one EpochRecord per line
///     best_model.safetensors    weights of the best epoch so far
///     last_model.safetensors    weights after the last finished epoch, and beside it
///     last_state.safetensors    optimiser, scheduler, epoch and generator state to resume from
///     training_history.png  confusion_matrix.png  prediction_distribution.png
///     predictions.csv  submission.csv
///
/// Every file is written atomically, so an interrupted run leaves each one either as it was
/// or complete. `RunFolder(resuming:)` reopens a folder and reads its log back.
public struct RunFolder: Sendable {
    public let path: String
    public let name: String
    /// The epochs logged so far, in order.
    public private(set) var log: [EpochRecord]

    /// Creates `<root>/<name>` (and root if needed) for a new run. Without a name, the local
    /// time names it (`2026-11-25_103000`, with `_2`, `_3`, ... if that folder exists). A name
    /// whose folder already holds a run is refused: reopen it to resume, or pick another name.
    public init(root: String = "runs", name: String? = nil, date: Date = Date()) throws {
        let fm = FileManager.default
        var chosen: String
        if let name {
            try Self.validate(name: name)
            chosen = name
        } else {
            chosen = Self.timestamp(date)
            var n = 2
            while fm.fileExists(atPath: "\(root)/\(chosen)") {
                chosen = "\(Self.timestamp(date))_\(n)"
                n += 1
            }
        }
        let folder = "\(root)/\(chosen)"
        if let held = Self.runFiles.first(where: { fm.fileExists(atPath: "\(folder)/\($0)") }) {
            throw ReportError(
                folder, "already holds a run (\(held)); reopen it to resume, or choose another run name")
        }
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ReportError(folder, "cannot create the run folder: \(error.localizedDescription)")
        }
        path = folder
        self.name = chosen
        log = []
    }

    /// Reopens an existing run folder, reading back its log (an absent log is an empty one).
    public init(resuming path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError(
                path, "no such run folder; expected the folder of an earlier run, like runs/2026-11-25_103000")
        }
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        self.path = trimmed
        name = URL(fileURLWithPath: trimmed).lastPathComponent
        log = try Self.readLog("\(trimmed)/metrics.jsonl")
    }

    // MARK: files

    public var configPath: String { file("config.json") }
    public var logPath: String { file("metrics.jsonl") }
    public var bestCheckpoint: String { file("best_model.safetensors") }
    public var lastCheckpoint: String { file("last_model.safetensors") }
    public var lastState: String { file("last_state.safetensors") }
    public var historyPlot: String { file("training_history.png") }
    public var confusionPlot: String { file("confusion_matrix.png") }
    public var predictionPlot: String { file("prediction_distribution.png") }
    public var predictionsPath: String { file("predictions.csv") }
    public var submissionPath: String { file("submission.csv") }

    /// Any other file of the run, by name.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Files whose presence means a run was started in the folder.
    private static let runFiles = ["config.json", "metrics.jsonl", "last_state.safetensors"]

    // MARK: config

    /// Writes the options the run was started with, as indented JSON with sorted keys.
    public func writeConfig(_ config: JSONValue) throws {
        try writeText(config.text(indent: 2) + "\n", to: configPath)
    }

    public func readConfig() throws -> JSONValue {
        try JSONValue(parsing: try readText(configPath), origin: configPath)
    }

    // MARK: log

    /// Adds an epoch to the log and rewrites the file. Records of that epoch or later are
    /// replaced first, so a run resumed from an earlier checkpoint logs each epoch once.
    public mutating func append(_ record: EpochRecord) throws {
        var updated = log.filter { $0.epoch < record.epoch }
        updated.append(record)
        try writeText(updated.map { $0.jsonLine + "\n" }.joined(), to: logPath)
        log = updated
    }

    private static func readLog(_ path: String) throws -> [EpochRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try readText(path)
        var records: [EpochRecord] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            records.append(try EpochRecord(jsonLine: trimmed, origin: "\(path):\(i + 1)"))
        }
        return records
    }

    // MARK: names

    /// "2026-11-25_103000" in local time.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "yyyy-MM-dd_HHmmss"
        return formatter.string(from: date)
    }

    private static func validate(name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.+@=,"))
        guard !name.isEmpty, name != ".", name != "..", name.unicodeScalars.allSatisfy(allowed.contains) else {
            throw ReportError(
                "run name '\(name)'", "expected letters, digits and - _ . + @ = , only (a folder name, not a path)")
        }
    }
}

/// Writes `text` to `path` atomically.
func writeText(_ text: String, to path: String) throws {
    try writeAtomically(to: path) { temporary in
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw ReportError(path, "cannot write: \(error.localizedDescription)")
        }
    }
}

/// Reads a UTF-8 text file; the error names the file.
func readText(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ReportError(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw ReportError(path, "is not UTF-8 text") }
    return text
}
