import CLua
import Native

/// `mm.metrics`: scikit-learn's classification metrics on 1-based labels.
///
///     local m = mm.metrics.classify(truth, predicted, {names = genres})
///     print(m.accuracy, m.macro_f1, m.per_class[3].recall)
///     print(mm.metrics.report(truth, predicted, genres))
///
/// Labels are tables of class numbers (or of class names, where names are known) or 1-D
/// tensors; `logits:argmax()` turns a model's scores into labels. The classes are given as a
/// count, a list of names, or `{classes = n, names = {...}}`.
enum LuaMetrics: LuaModule {
    static let name: String? = "metrics"
    static var types: [any LuaObject.Type] { [ConfusionObject.self] }

    static let functions: [Binding] = [
        // mm.metrics.confusion(truth, predicted, classes) or mm.metrics.confusion(classes) -> an
        // empty confusion matrix to accumulate into with :add(truth, predicted).
        Binding("confusion") { lua in
            if lua.top <= 1 { return try lua.result(ConfusionObject(ClassSet(lua, 1))) }
            let confusion = try ConfusionObject(ClassSet(lua, 3))
            try confusion.add(lua, truth: 1)
            return try lua.result(confusion)
        },
        // mm.metrics.classify(truth, predicted, classes) or mm.metrics.classify(confusion) ->
        // {accuracy, macro_f1, macro = {precision, recall, f1}, weighted = {...},
        //  per_class = {{name, label, precision, recall, f1, support, predicted}, ...}, confusion}
        Binding("classify") { lua in try lua.result(classification(ConfusionObject.from(lua, classesAt: 3))) },
        // mm.metrics.macro_f1(truth, predicted, classes) or mm.metrics.macro_f1(confusion)
        Binding("macro_f1") { lua in try lua.result(ConfusionObject.from(lua, classesAt: 3).metrics().macroF1) },
        // mm.metrics.report(truth, predicted, names [, {digits = 4}]) or
        // mm.metrics.report(confusion [, {digits = 4}]) -> scikit-learn's classification report.
        Binding("report") { lua in
            let confusion = try ConfusionObject.from(lua, classesAt: 3)
            let optionsIndex: Int32 = ConfusionObject.peek(lua.L, 1) != nil ? 2 : 4
            return try lua.result(confusion.report(digits: try digits(lua, optionsIndex)))
        },
    ]

    /// The `digits` option of a report.
    static func digits(_ lua: Lua, _ index: Int32) throws -> Int {
        let options = try lua.options(index, only: ["digits"])
        let digits = try options.integer("digits", default: 4)
        guard (0...15).contains(digits) else { throw options.invalid("digits", "0 ... 15 expected, got \(digits)") }
        return digits
    }

    /// The table `classify` returns.
    static func classification(_ confusion: ConfusionObject) throws -> LuaRecord {
        let m = try confusion.metrics()
        func average(_ a: ClassificationMetrics.Averages) -> LuaRecord {
            LuaRecord(["precision": a.precision, "recall": a.recall, "f1": a.f1])
        }
        let names = confusion.classes.displayNames
        let predicted = m.confusion.predictedCounts
        let perClass = (0..<m.classes).map { c in
            LuaRecord([
                "label": c + 1, "name": names[c], "precision": m.precision[c], "recall": m.recall[c], "f1": m.f1[c],
                "support": m.support[c], "predicted": predicted[c],
            ])
        }
        return LuaRecord([
            "accuracy": m.accuracy, "macro_f1": m.macroF1, "macro_f1_se": try m.confusion.macroF1StandardError(),
            "samples": m.confusion.total, "macro": average(m.macro), "weighted": average(m.weighted),
            "per_class": perClass, "confusion": ConfusionObject(copying: confusion),
        ])
    }
}

/// The classes labels refer to: how many, and their names when known.
struct ClassSet {
    var count: Int
    var names: [String]?

    /// The names, or "1", "2", ... (the Lua labels) without them.
    var displayNames: [String] { names ?? (1...count).map(String.init) }

    /// Reads a count (`10`), a list of names (`{"blues", ...}`) or `{classes = n, names = {...}}`.
    init(_ lua: Lua, _ index: Int32) throws {
        let expected = "a class count, a list of class names or {classes = n, names = {...}} expected"
        switch lua.type(index) {
        case LUA_TNUMBER:
            count = try lua.integer(index)
            guard count >= 1 else { throw LuaError.argument(index, "at least 1 class expected, got \(count)") }
        case LUA_TTABLE where lua_rawlen(lua.L, index) > 0:
            names = try lua.strings(index)
            count = names!.count
        case LUA_TTABLE:
            let options = try lua.options(index)
            try options.only(["names", "classes"])
            names = try options.strings("names")
            guard let given = try options.integer("classes") ?? names?.count else {
                throw LuaError.argument(index, expected + ", got an empty table")
            }
            guard given >= 1 else { throw options.invalid("classes", "at least 1 class expected, got \(given)") }
            if let names, names.count != given {
                throw options.invalid("names", "\(given) names expected (one per class), got \(names.count)")
            }
            count = given
        default:
            throw LuaError.argument(index, expected + ", got \(lua.typeName(index))")
        }
        if let names, let twice = names.enumerated().first(where: { names.firstIndex(of: $0.element)! < $0.offset }) {
            throw LuaError.argument(index, "class names must differ; '\(twice.element)' appears twice")
        }
    }
}

/// A confusion matrix as Lua holds it, accumulated over an evaluation loop:
///
///     local cm = mm.metrics.confusion(genres)
///     for batch in batches do cm:add(batch.y, net:forward(batch.x):argmax()) end
///     print(cm:classify().macro_f1)
///
/// `cm.classes` is the class count, `cm.names` the names, `cm.total` the samples added.
final class ConfusionObject: LuaObject {
    private(set) var matrix: ConfusionMatrix
    let classes: ClassSet

    init(_ classes: ClassSet) throws {
        matrix = try ConfusionMatrix(classes: classes.count)
        self.classes = classes
    }

    /// A snapshot: later `add`s to `other` do not change it.
    init(copying other: ConfusionObject) {
        matrix = other.matrix
        classes = other.classes
    }

    static let luaTypeName = "mashup.confusion"

    var luaDescription: String { matrix.text(classNames: classes.displayNames) }

    static let properties: Properties = [
        "classes": { $0.matrix.classes },
        "total": { $0.matrix.total },
        "names": { $0.classes.displayNames },
    ]

    /// Adds the labels at `truth` and `truth + 1` (both 1-based, or class names).
    func add(_ lua: Lua, truth index: Int32) throws {
        let truth = try lua.classLabels(index, classes: classes.count, names: classes.names)
        let predicted = try lua.classLabels(index + 1, classes: classes.count, names: classes.names)
        guard truth.count == predicted.count else {
            throw LuaError.argument(
                index + 1, "\(truth.count) predictions expected (one per true label), got \(predicted.count)")
        }
        try matrix.add(truth: truth, predicted: predicted)
    }

    func metrics() throws -> ClassificationMetrics {
        do {
            return try ClassificationMetrics(matrix)
        } catch let error as MetricsError {
            throw LuaError.message("metrics: \(error.reason)")
        }
    }

    func report(digits: Int) throws -> String {
        try metrics().report(classNames: classes.displayNames, digits: digits)
    }

    /// The confusion a metrics function was given: a confusion object at 1, or the matrix of
    /// labels `truth` (1) and `predicted` (2) over the classes at `classesAt`.
    static func from(_ lua: Lua, classesAt index: Int32) throws -> ConfusionObject {
        if let given = peek(lua.L, 1) { return given }
        guard lua.type(1) == LUA_TTABLE || TensorObject.peek(lua.L, 1) != nil else {
            throw LuaError.type(1, expected: "confusion, table of labels or tensor")
        }
        let confusion = try ConfusionObject(ClassSet(lua, index))
        try confusion.add(lua, truth: 1)
        return confusion
    }

    static let methods: [Binding] = [
        // cm:add(truth, predicted): adds a batch of labels.
        Binding("add") { lua in try receiver(lua).add(lua, truth: 2) },
        // cm:matrix() -> rows of counts: m[t][p] samples of class t predicted as p.
        Binding("matrix") { lua in try lua.result(receiver(lua).matrix.rows) },
        // cm:normalised() -> rows divided by their sums: the diagonal is the per-class recall.
        Binding("normalised") { lua in try lua.result(receiver(lua).matrix.normalisedRows) },
        // cm:classify() -> the table mm.metrics.classify returns.
        Binding("classify") { lua in try lua.result(LuaMetrics.classification(receiver(lua))) },
        // cm:report([{digits = 4}]) -> the classification report.
        Binding("report") { lua in try lua.result(receiver(lua).report(digits: try LuaMetrics.digits(lua, 2))) },
    ]
}
