import CLua
import Native

/// `mm.plot`: figures written as PNG or SVG (by the path's extension), atomically. Every
/// function returns the path it wrote.
///
///     mm.plot.history(run:records(), run.history_png)
///     mm.plot.confusion(metrics.confusion, run.confusion_png)
///     mm.plot.distribution(report, run.distribution_png)
///     mm.plot.lines{series = {{name = "loss", y = losses}}, xlabel = "step", path = "loss.svg"}
enum LuaPlot: LuaModule {
    static let name: String? = "plot"

    static let functions: [Binding] = [
        // mm.plot.history(records or run, path [, {title =}]): loss, accuracy, validation macro
        // F1 (best epoch marked) and learning rate per epoch. Records are tables with the
        // log's keys (epoch, train_loss, train_acc, val_loss, val_acc, val_f1, lr).
        Binding("history") { lua in
            let records = try RunObject.peek(lua.L, 1)?.folder.log ?? lua.epochRecords(1)
            let path = try lua.string(2)
            let title = try lua.options(3, only: ["title"]).string("title") ?? "Training history"
            return try save(lua, Figure.trainingHistory(records, title: title), to: path)
        },
        // mm.plot.confusion(confusion or rows of counts, names, path [, {normalise = true, title =}]),
        // or mm.plot.confusion(confusion, path [, options]) with the confusion's own names. A
        // confusion object's figure is titled with its accuracy and macro F1.
        Binding("confusion") { lua in
            let confusion = ConfusionObject.peek(lua.L, 1)
            let matrix = try confusion?.matrix ?? countsMatrix(lua, 1)
            // A path right after a confusion: its own names, and the arguments move up by one.
            let ownNames = confusion != nil && lua.type(2) == LUA_TSTRING
            let next: Int32 = ownNames ? 2 : 3
            let names = ownNames ? confusion!.classes.displayNames : try lua.strings(2)
            let path = try lua.string(next)
            let options = try lua.options(next + 1, only: ["normalise", "title"])
            let normalise = try options.boolean("normalise") ?? true
            guard names.count == matrix.classes else {
                throw LuaError.argument(2, "\(matrix.classes) class names expected, got \(names.count)")
            }
            let figure = try Figure.confusionMatrix(
                matrix, classNames: names, normalise: normalise, title: try options.string("title"))
            return try save(lua, figure, to: path)
        },
        // mm.plot.distribution(counts, mean_confidences, names, path [, {title =}]), or
        // mm.plot.distribution(confidence_report, path [, {title =}]): predictions per class
        // with their mean confidence.
        Binding("distribution") { lua in
            if let report = ConfidenceReportObject.peek(lua.L, 1)?.report {
                let title = try lua.options(3, only: ["title"]).string("title") ?? "Predictions"
                return try save(lua, Figure.predictionDistribution(report, title: title), to: try lua.string(2))
            }
            let counts = try lua.sequence(1, of: "count", Lua.integerEntry)
            let confidences = try lua.numbers(2)
            let names = try lua.strings(3)
            let path = try lua.string(4)
            let title = try lua.options(5, only: ["title"]).string("title") ?? "Predictions"
            for (index, count) in [(1, counts.count), (2, confidences.count)] where count != names.count {
                throw LuaError.argument(
                    Int32(index), "\(names.count) values expected (one per class name), got \(count)")
            }
            if let negative = counts.first(where: { $0 < 0 }) {
                throw LuaError.argument(1, "counts of at least 0 expected, got \(negative)")
            }
            let figure = try Figure.predictionDistribution(
                counts: counts, meanConfidence: confidences, classNames: names, title: title)
            return try save(lua, figure, to: path)
        },
        // mm.plot.lines{series = {{name =, x =, y =, color = "#1f77b4", dashed =, marker =}, ...},
        //   path =, title =, xlabel =, ylabel =, xrange = {lo, hi}, yrange = {lo, hi},
        //   legend = "best", width = 1000, height = 600}: line plots for anything. Without x, a
        //   series is drawn at 1, 2, 3, ...; a NaN leaves a gap.
        Binding("lines") { lua in
            let options = try lua.table(
                1,
                only: ["series", "path", "xlabel", "ylabel", "xrange", "yrange", "legend", "title", "width", "height"])
            let path = try options.required("path", options.string, "the file to write (.png or .svg) expected")
            var panel = Panel(
                x: Axis(label: try options.string("xlabel"), range: try range(options, "xrange")),
                y: Axis(label: try options.string("ylabel"), range: try range(options, "yrange")))
            panel.lines = try series(lua, options)
            panel.legend = try legend(options)
            let figure = Figure(
                title: try options.string("title"), width: try size(options, "width", default: 1000),
                height: try size(options, "height", default: 600), panels: [panel])
            return try save(lua, figure, to: path)
        },
    ]

    /// Writes `figure` to `path` and pushes the path.
    static func save(_ lua: Lua, _ figure: Figure, to path: String) throws -> Int32 {
        try figure.save(to: path)
        return try lua.result(path)
    }

    /// A confusion matrix given as rows of counts: `m[t][p]` samples of class t predicted as p.
    private static func countsMatrix(_ lua: Lua, _ index: Int32) throws -> ConfusionMatrix {
        guard lua.type(index) == LUA_TTABLE else { throw LuaError.type(index, expected: "confusion or rows of counts") }
        let classes = Int(lua_rawlen(lua.L, index))
        guard classes > 0 else { throw LuaError.argument(index, "rows of counts expected, got an empty table") }
        var total = 0
        let rows = try lua.entries(index, of: index, item: "row") { _ in
            let row = try lua.sequence(-1, of: "count", Lua.integerEntry)
            guard row.count == classes else {
                throw LuaError.argument(-1, "\(classes) counts expected (a square matrix), got \(row.count)")
            }
            for count in row {
                guard count >= 0, total + count <= 100_000_000 else {
                    throw LuaError.argument(-1, "counts of 0 ... 1e8 in all expected, got \(count)")
                }
                total += count
            }
            return row
        }
        return try ConfusionMatrix(rows: rows)
    }

    /// The `series` field of `lines`.
    private static func series(_ lua: Lua, _ options: LuaOptions) throws -> [LineSeries] {
        guard options.type(of: "series") == LUA_TTABLE else {
            throw options.invalid("series", "a list of {name =, x =, y =} tables expected")
        }
        let all = try options.withField("series") { list in
            try lua.entries(list, of: options.argument, item: "field 'series': series") { _ in try line(lua) }
        }
        guard !all.isEmpty else { throw options.invalid("series", "at least one series expected, got none") }
        return all
    }

    /// One entry of `series`, the table on top of the stack.
    private static func line(_ lua: Lua) throws -> LineSeries {
        guard lua.type(-1) == LUA_TTABLE else { throw LuaError.argument(-1, "table expected, got \(lua.typeName(-1))") }
        let entry = try lua.options(-1, only: ["y", "x", "name", "color", "marker", "dashed", "width"])
        guard let y = try entry.numbers("y"), !y.isEmpty else {
            throw entry.invalid("y", "a non-empty sequence of numbers expected")
        }
        let x = try entry.numbers("x") ?? (1...y.count).map(Double.init)
        guard x.count == y.count else {
            throw entry.invalid("x", "\(y.count) numbers expected (one per y), got \(x.count)")
        }
        var line = LineSeries(
            name: try entry.string("name"), x: x, y: y, color: try color(entry),
            marker: try marker(entry, points: y.count), dashed: try entry.boolean("dashed") ?? false)
        line.width = try entry.number("width", default: line.width)
        return line
    }

    /// `color = "#1f77b4"`; nil takes the palette's next colour.
    private static func color(_ options: LuaOptions) throws -> Color? {
        guard let text = try options.string("color") else { return nil }
        let digits = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        guard digits.count == 6, let hex = UInt32(digits, radix: 16) else {
            throw options.invalid("color", "a colour as \"#rrggbb\" expected, got '\(text)'")
        }
        return Color(hex: hex)
    }

    /// `marker = "circle" | "square" | "diamond" | "none"`; by default circles on short series
    /// (where each point is a measurement worth seeing) and none on long ones.
    private static func marker(_ options: LuaOptions, points: Int) throws -> Marker {
        try options.choice("marker", default: points <= 60 ? Marker.circle : .none)
    }

    /// `legend = "best" | "upper_right" | "upper_left" | "lower_right" | "lower_left" | "none"`.
    private static func legend(_ options: LuaOptions) throws -> LegendPlacement {
        try options.choice("legend", default: LegendPlacement.best)
    }

    /// `xrange = {lo, hi}` with lo < hi, both finite.
    private static func range(_ options: LuaOptions, _ key: String) throws -> ClosedRange<Double>? {
        guard let bounds = try options.numbers(key) else { return nil }
        guard bounds.count == 2, bounds.allSatisfy(\.isFinite), bounds[0] < bounds[1] else {
            throw options.invalid(
                key, "{low, high} with low < high expected, got {\(bounds.map { "\($0)" }.joined(separator: ", "))}")
        }
        return bounds[0]...bounds[1]
    }

    /// A figure's `width` or `height`: pixels (PNG) or points (SVG).
    static func size(_ options: LuaOptions, _ key: String, default value: Int) throws -> Int {
        let size = try options.integer(key, default: value)
        guard (100...8000).contains(size) else { throw options.invalid(key, "100 ... 8000 expected, got \(size)") }
        return size
    }
}
