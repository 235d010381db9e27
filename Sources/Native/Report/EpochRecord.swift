import Foundation

/// One epoch of a training run, as the run folder's log keeps it: one JSON object per line,
///
///     {"epoch": 3, "train_loss": 0.84, "train_acc": 0.71, "val_loss": 0.92, "val_acc": 0.68,
///      "val_f1": 0.66, "lr": 0.00097, "seconds": 41.2}
///
/// Property names are the log's keys in camel case (`trainAcc` is `train_acc`), so Lua
/// scripts and the log use the same words. A value that is not finite (a diverged loss, a
/// metric not measured) is written as null and read back as NaN. `extra` holds any further
/// numbers a script logs (a test F1, a mixup rate) under its own keys.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAcc: Double
    public var valLoss: Double
    public var valAcc: Double
    public var valF1: Double
    /// The learning rate at the end of the epoch.
    public var lr: Double
    /// Wall-clock time the epoch took.
    public var seconds: Double
    public var extra: [String: Double]

    public init(
        epoch: Int, trainLoss: Double = .nan, trainAcc: Double = .nan, valLoss: Double = .nan, valAcc: Double = .nan,
        valF1: Double = .nan, lr: Double = .nan, seconds: Double = .nan, extra: [String: Double] = [:]
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAcc = trainAcc
        self.valLoss = valLoss
        self.valAcc = valAcc
        self.valF1 = valF1
        self.lr = lr
        self.seconds = seconds
        self.extra = extra
    }

    /// A record from numbers under the log's keys (`train_loss`, ...): a standard key left out
    /// was not measured (NaN), and any other key is an extra.
    public init(epoch: Int, numbers: [String: Double]) {
        var extra = numbers
        func take(_ key: String) -> Double { extra.removeValue(forKey: key) ?? .nan }
        self.init(
            epoch: epoch, trainLoss: take("train_loss"), trainAcc: take("train_acc"), valLoss: take("val_loss"),
            valAcc: take("val_acc"), valF1: take("val_f1"), lr: take("lr"), seconds: take("seconds"), extra: extra)
    }

    /// The standard fields in the log's order, by their log keys.
    public var fields: [(key: String, value: Double)] {
        [
            ("train_loss", trainLoss), ("train_acc", trainAcc), ("val_loss", valLoss), ("val_acc", valAcc),
            ("val_f1", valF1), ("lr", lr), ("seconds", seconds),
        ]
    }

    static let standardKeys: Set<String> = [
        "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "val_f1", "lr", "seconds",
    ]

    /// NaN compares unequal to itself; two records with the same missing values are equal.
    public static func == (a: EpochRecord, b: EpochRecord) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.epoch == b.epoch && zip(a.fields, b.fields).allSatisfy { same($0.value, $1.value) }
            && a.extra.keys.sorted() == b.extra.keys.sorted() && a.extra.allSatisfy { same($0.value, b.extra[$0.key]!) }
    }

    /// The record as one line of JSON (no newline), standard keys first, extras sorted.
    public var jsonLine: String {
        var parts = ["\"epoch\": \(epoch)"]
        for (key, value) in fields { parts.append("\"\(key)\": \(JSONValue.number(value).text())") }
        for key in extra.keys.sorted() {
            parts.append("\(JSONValue.string(key).text()): \(JSONValue.number(extra[key]!).text())")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// Reads one line of the log; `origin` names the file and line in errors.
    public init(jsonLine line: String, origin: String) throws {
        guard case .object(let object) = try JSONValue(parsing: line, origin: origin) else {
            throw ReportError(origin, "expected a JSON object per line")
        }
        guard case .number(let epoch) = object["epoch"], epoch == epoch.rounded(), abs(epoch) < 1e15 else {
            throw ReportError(origin, "expected an integer \"epoch\"")
        }
        func number(_ key: String) throws -> Double {
            switch object[key] {
            case .number(let v): return v
            case .null, nil: return .nan
            default: throw ReportError(origin, "expected \"\(key)\" to be a number or null")
            }
        }
        self.init(
            epoch: Int(epoch), trainLoss: try number("train_loss"), trainAcc: try number("train_acc"),
            valLoss: try number("val_loss"), valAcc: try number("val_acc"), valF1: try number("val_f1"),
            lr: try number("lr"), seconds: try number("seconds"))
        for key in object.keys where !Self.standardKeys.contains(key) { extra[key] = try number(key) }
    }
}
