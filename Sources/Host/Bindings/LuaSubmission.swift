import CLua
import Native

/// `mm.submission`: the competition's submission file, checked before it is written, and the
/// confidence report of the predictions that went into it.
///
///     local report = mm.submission.confidence(probabilities, genres, {threshold = 0.5})
///     print(report)                                   -- the table, per predicted genre
///     mm.submission.write(run.submission, ids, report.genres, {sample = data .. "/sample_submission.csv"})
enum LuaSubmission: LuaModule {
    static let name: String? = "submission"
    static var types: [any LuaObject.Type] { [ConfidenceReportObject.self] }

    /// The genre names when a script gives none.
    static let genres = Genre.allCases.map(\.name)

    static let functions: [Binding] = [
        // mm.submission.write(path, ids, genres, {sample = "sample_submission.csv", names = genres})
        // -> path. ids are strings or integers; genres are names or 1-based labels into `names`.
        // Nothing is written unless every id of the sample has one row, in its order, with a
        // valid genre; the error lists the problems.
        Binding("write") { lua in
            let path = try lua.string(1)
            let ids = try lua.sequence(2, of: "string or integer", item: "id") { lua in
                try Lua.stringEntry(lua) ?? Lua.integerEntry(lua).map(String.init)
            }
            let options = try lua.options(4, only: ["sample", "names"])
            let sample = try options.required(
                "sample", options.string,
                "the path of sample_submission.csv expected (the submission is checked against it)")
            let names = try options.strings("names") ?? genres
            // Names go through as given, so that the check lists every unknown one.
            let predicted = try lua.sequence(3, of: "genre name or label", item: "genre") { lua in
                guard let label = Lua.integerEntry(lua) else { return try Lua.stringEntry(lua) }
                guard (1...names.count).contains(label) else {
                    throw LuaError.argument(3, "label \(label) expected to be a class 1 ... \(names.count)")
                }
                return names[label - 1]
            }
            try Submission(ids: ids, genres: predicted).write(
                to: path, checkedAgainst: sample, validGenres: names)
            return try lua.result(path)
        },
        // mm.submission.confidence(probabilities, names [, {threshold = 0.5}]) -> a confidence
        // report. probabilities: an N x C tensor (softmax outputs) or a table of N rows.
        Binding("confidence") { lua in
            let probabilities =
                try TensorObject.peek(lua.L, 1)?.tensor ?? TensorObject.fromTable(lua, 1)
            let names = lua.isNoneOrNil(2) ? genres : try lua.strings(2)
            let options = try lua.options(3, only: ["threshold"])
            let threshold = try options.number("threshold", default: 0.5)
            do {
                let report = try ConfidenceReport(
                    probabilities: probabilities, classNames: names, threshold: threshold)
                return try lua.result(ConfidenceReportObject(report))
            } catch let error as ReportError {
                switch error.subject {
                case "probabilities": throw LuaError.argument(1, error.reason)
                case "classNames": throw LuaError.argument(2, error.reason)
                case "threshold": throw options.invalid("threshold", error.reason)
                default: throw error
                }
            }
        },
    ]
}

/// A confidence report as Lua holds it. Fields: `examples`, `mean_top` (mean top
/// probability), `threshold`, `below` (examples under it), `per_genre` ({name, count, share,
/// mean_confidence} per class; mean_confidence absent for a class never predicted), and per
/// example `labels` (1-based), `genres` (names) and `confidences`. `report:text()` is the
/// printable table, which `print(report)` shows too.
final class ConfidenceReportObject: LuaObject {
    let report: ConfidenceReport

    init(_ report: ConfidenceReport) { self.report = report }

    static let luaTypeName = "mashup.confidence_report"

    var luaDescription: String { report.table }

    static let properties: Properties = [
        "examples": { $0.report.examples },
        "mean_top": { $0.report.meanTopProbability },
        "threshold": { $0.report.threshold },
        "below": { $0.report.belowThreshold },
        "labels": { $0.report.predictions.map { $0.label + 1 } },
        "genres": { r in r.report.predictions.map { r.report.perClass[$0.label].name } },
        "confidences": { $0.report.predictions.map(\.confidence) },
        "per_genre": { r in
            r.report.perClass.map { row in
                LuaRecord([
                    "name": row.name, "count": row.count, "share": Double(row.count) / Double(r.report.examples),
                    "mean_confidence": row.meanConfidence.ifFinite,
                ])
            }
        },
    ]

    static let methods: [Binding] = [
        // report:text() -> the printable table.
        Binding("text") { lua in try lua.result(receiver(lua).report.table) }
    ]

    /// `#report`: the number of examples.
    static let metamethods = [length { $0.report.examples }]
}
