import CCairo
import Foundation
import XCTest

@testable import Host

/// A PNG file read back through cairo.
private struct DecodedPNG {
    var width: Int
    var height: Int
    /// Relative luminance of every pixel, row by row.
    var luminance: [Double]

    init(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(
            Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature", file: file,
            line: line)
        let surface = cairo_image_surface_create_from_png(path)!
        defer { cairo_surface_destroy(surface) }
        XCTAssertEqual(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS, file: file, line: line)
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface)) / 4
        let words = UnsafeRawPointer(cairo_image_surface_get_data(surface)!).assumingMemoryBound(to: UInt32.self)
        var luminance: [Double] = []
        for y in 0..<height {
            for x in 0..<width {
                let p = words[y * stride + x]
                let (r, g, b) = (Double(p >> 16 & 0xFF), Double(p >> 8 & 0xFF), Double(p & 0xFF))
                luminance.append((0.2126 * r + 0.7152 * g + 0.0722 * b) / 255)
            }
        }
        self.luminance = luminance
    }

    /// Variance of the luminance: 0 for a blank image; a figure with text, lines and fills has
    /// well above 0.005.
    var variance: Double {
        let mean = luminance.reduce(0, +) / Double(luminance.count)
        return luminance.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(luminance.count)
    }

    /// Share of pixels darker than `threshold` in the rectangle (ink: lines, text, fills).
    func ink(x: Range<Int>, y: Range<Int>, below threshold: Double = 0.6) -> Double {
        var dark = 0
        for row in y { for column in x where luminance[row * width + column] < threshold { dark += 1 } }
        return Double(dark) / Double(x.count * y.count)
    }
}

final class LuaPlotTests: XCTestCase {
    private static let genres = "{'blues','classical','country','disco','hiphop','jazz','metal','pop','reggae','rock'}"

    /// 300 seeded labels, 70% right.
    private static let labels = """
        local names = \(genres)
        mm.seed(7)
        local truth, predicted = {}, {}
        for i = 1, 300 do
          truth[i] = mm.random(10)
          predicted[i] = mm.random() < 0.7 and truth[i] or mm.random(10)
        end
        """

    private func run(_ source: String) throws -> (LuaState, URL) {
        let dir = try LuaFixtures.scratch(self)
        let lua = LuaState()
        _ = try lua.evaluate("dir = '\(dir.path)/'")
        _ = try lua.evaluate(source)
        return (lua, dir)
    }

    func testHistoryFromRecordsIsAFigureOfFourPanelsWithTheirLines() throws {
        let (_, dir) = try run(
            """
            local records = {}
            for e = 1, 20 do
              records[e] = {epoch = e, train_loss = 2 / e, val_loss = 2.2 / e + 0.1, train_acc = 1 - 1 / (e + 1),
                            val_acc = 0.9 - 1 / (e + 1), val_f1 = 0.88 - 1 / (e + 1), lr = 1e-3 * math.cos(e / 14)}
            end
            assert(mm.plot.history(records, dir .. 'h.png') == dir .. 'h.png')
            """)
        let png = try DecodedPNG(dir.appendingPathComponent("h.png").path)
        XCTAssertEqual([png.width, png.height], [1200, 820])
        XCTAssertGreaterThan(png.variance, 0.005)
        // Each quadrant (a panel) carries ink: axes, ticks, a title and its lines.
        for (x, y) in [(0..<600, 60..<440), (600..<1200, 60..<440), (0..<600, 440..<820), (600..<1200, 440..<820)] {
            XCTAssertGreaterThan(png.ink(x: x, y: y), 0.01, "panel at \(x), \(y)")
        }
    }

    func testHistoryOfARunIsTheHistoryOfItsRecords() throws {
        let (_, dir) = try run(
            """
            local run = mm.run.open{root = dir .. 'runs', name = 'r'}
            for e = 1, 5 do run:log{epoch = e, train_loss = 1 / e, val_f1 = e / 10, lr = 1e-3} end
            mm.plot.history(run, dir .. 'from_run.png')
            mm.plot.history(run:records(), dir .. 'from_records.png')
            """)
        XCTAssertEqual(
            try Data(contentsOf: dir.appendingPathComponent("from_run.png")),
            try Data(contentsOf: dir.appendingPathComponent("from_records.png")))
    }

    func testConfusionFromAnObjectOrItsMatrixIsTheSameFigure() throws {
        let (lua, dir) = try run(
            Self.labels + "\n" + """
                local cm = mm.metrics.confusion(truth, predicted, names)
                mm.plot.confusion(cm, dir .. 'object.png')
                mm.plot.confusion(cm:matrix(), names, dir .. 'matrix.png')
                mm.plot.confusion(cm, names, dir .. 'counts.svg', {normalise = false, title = 'Counts'})
                """)
        let object = try Data(contentsOf: dir.appendingPathComponent("object.png"))
        XCTAssertEqual(object, try Data(contentsOf: dir.appendingPathComponent("matrix.png")))
        let png = try DecodedPNG(dir.appendingPathComponent("object.png").path)
        // 260 + 62 per class high, 120 wider for the colour bar.
        XCTAssertEqual([png.width, png.height], [1000, 880])
        XCTAssertGreaterThan(png.variance, 0.005)
        let svg = try String(contentsOf: dir.appendingPathComponent("counts.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("<svg") && svg.hasSuffix("</svg>\n"))
        XCTAssertEqual(
            lua.failure("mm.plot.confusion({{1, 2}, {3}}, {'a', 'b'}, 'x.png')"),
            "test:1: bad argument #1 to 'confusion' (row 2: 2 counts expected (a square matrix), got 1)")
        XCTAssertEqual(
            lua.failure("mm.plot.confusion({{1, 2}, {3, 4}}, {'a'}, 'x.png')"),
            "test:1: bad argument #2 to 'confusion' (2 class names expected, got 1)")
    }

    func testDistributionFromAReportOrItsCountsIsTheSameFigure() throws {
        let (_, dir) = try run(
            """
            local names = \(Self.genres)
            mm.seed(3)
            local rows = {}
            for i = 1, 60 do
              local row, sum = {}, 0
              for c = 1, 10 do row[c] = mm.random() ^ 6; sum = sum + row[c] end
              for c = 1, 10 do row[c] = row[c] / sum end
              rows[i] = row
            end
            local report = mm.submission.confidence(rows, names)
            mm.plot.distribution(report, dir .. 'report.png')
            local counts, confidence = {}, {}
            for c, g in ipairs(report.per_genre) do
              counts[c], confidence[c] = g.count, g.mean_confidence or 0 / 0
            end
            mm.plot.distribution(counts, confidence, names, dir .. 'counts.png')
            """)
        let report = try Data(contentsOf: dir.appendingPathComponent("report.png"))
        XCTAssertEqual(report, try Data(contentsOf: dir.appendingPathComponent("counts.png")))
        let png = try DecodedPNG(dir.appendingPathComponent("report.png").path)
        XCTAssertEqual([png.width, png.height], [1100, 520])
        XCTAssertGreaterThan(png.variance, 0.005)
    }

    func testLinesDrawsEachSeriesAtItsSizeAndFormat() throws {
        let (lua, dir) = try run(
            """
            local y = {}
            for i = 1, 200 do y[i] = math.sin(i / 20) end
            mm.plot.lines{series = {{name = 'sin', y = y}, {name = 'level', x = {1, 200}, y = {0.5, 0.5},
                          dashed = true, color = '#d62728'}},
                          title = 'Lines', xlabel = 'step', ylabel = 'value', path = dir .. 'l.png',
                          width = 800, height = 500, yrange = {-1.5, 1.5}, legend = 'lower_left'}
            mm.plot.lines{series = {{y = {1, 2, 3}}}, path = dir .. 'l.svg'}
            """)
        let png = try DecodedPNG(dir.appendingPathComponent("l.png").path)
        XCTAssertEqual([png.width, png.height], [800, 500])
        XCTAssertGreaterThan(png.variance, 0.001)
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("l.svg"), encoding: .utf8).contains("<svg"))
        let cases: [(String, String)] = [
            (
                "mm.plot.lines{series = {{y = {1}}}}",
                "bad argument #1 to 'lines' (field 'path': the file to write (.png or .svg) expected)"
            ),
            (
                "mm.plot.lines{path = 'x.png'}",
                "bad argument #1 to 'lines' (field 'series': a list of {name =, x =, y =} tables expected)"
            ),
            (
                "mm.plot.lines{path = 'x.png', series = {{y = {1, 2}}, {x = {1}, y = {1, 2}}}}",
                "bad argument #1 to 'lines' (field 'series': series 2: field 'x': 2 numbers expected (one per y), got 1)"
            ),
            (
                "mm.plot.lines{path = 'x.png', series = {{y = {1, 'a'}}}}",
                "bad argument #1 to 'lines' (field 'series': series 1: field 'y': entry 2: number expected, got string)"
            ),
            (
                "mm.plot.lines{path = 'x.png', series = {{y = {1}, color = 'red'}}}",
                "bad argument #1 to 'lines' (field 'series': series 1: field 'color': a colour as \"#rrggbb\" expected, got 'red')"
            ),
            (
                "mm.plot.lines{path = 'x.png', series = {5}}",
                "bad argument #1 to 'lines' (field 'series': series 1: table expected, got number)"
            ),
            (
                "mm.plot.lines{path = 'x.png', series = {{y = {1}}}, xrange = {2, 1}}",
                "bad argument #1 to 'lines' (field 'xrange': {low, high} with low < high expected, got {2.0, 1.0})"
            ),
            (
                "mm.plot.lines{path = 'x.jpg', series = {{y = {1}}}}",
                "x.jpg: expected a file name ending in .png or .svg"
            ),
            ("mm.plot.lines{path = '/nonexistent-folder/x.png', series = {{y = {1}}}}", "/nonexistent-folder"),
            (
                "mm.plot.lines{path = 'x.png', series = {{y = {1}, colour = '#ff0000'}}}",
                "bad argument #1 to 'lines' (field 'series': series 1: field 'colour': unknown option, did you mean 'color'?"
            ),
            (
                "mm.plot.lines{path = 'x.png', series = {{y = {1}}}, xlabell = 'epoch'}",
                "bad argument #1 to 'lines' (field 'xlabell': unknown option, did you mean 'xlabel'?"
            ),
            (
                "mm.run.open{roots = 'runs'}",
                "bad argument #1 to 'open' (field 'roots': unknown option, did you mean 'root'?"
            ),
            (
                "mm.progress(10, {lable = 'x'})",
                "bad argument #2 to 'progress' (field 'lable': unknown option, did you mean 'label'?"
            ),
        ]
        for (source, message) in cases {
            let failure = lua.failure(source) ?? "(no error)"
            XCTAssertTrue(failure.hasPrefix("test:1: ") && failure.contains(message), "\(source): \(failure)")
        }
    }

    func testSpectrogramWritesItsImageWithTheMelAxis() throws {
        let (lua, dir) = try run(
            """
            local a = mm.audio.load('\(LuaFixtures.path("dsp/stereo44k.wav"))'):mono():resample(22050)
            s = mm.dsp.power_to_db(mm.dsp.melspec(a, {hop = 64}))
            assert(s:png(dir .. 's.png', {title = 'stereo44k', hop = 64}) == dir .. 's.png')
            s:svg(dir .. 's.svg', {width = 600, height = 300})
            """)
        let png = try DecodedPNG(dir.appendingPathComponent("s.png").path)
        XCTAssertEqual([png.width, png.height], [1000, 420])
        XCTAssertGreaterThan(png.variance, 0.005)
        let svg = try String(contentsOf: dir.appendingPathComponent("s.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("width=\"600pt\"") && svg.contains("height=\"300pt\""))
        XCTAssertEqual(
            lua.failure("s:png('s.svg')"),
            "test:1: bad argument #1 to 'png' (a file name ending in .png expected, got 's.svg')")
        XCTAssertEqual(
            lua.failure("s:png('s.png', {fmin = 9000})"),
            "test:1: bad argument #2 to 'png' (field 'fmin': 0 <= fmin < fmax expected, got fmin 9000.0 and fmax 8000.0)"
        )
        XCTAssertEqual(
            lua.failure("s:png('s.png', {scale = 'log'})"),
            "test:1: bad argument #2 to 'png' (field 'scale': 'mel', 'linear' expected, got 'log')")
    }

    func testErrorsRaisedInALoopLeaveTheStateUsable() throws {
        try LuaState().assertErrorLoopSurvives([
            "mm.plot.lines{path = 'x.png', series = {{y = {}}}}", "mm.plot.confusion({{1}}, {'a', 'b'}, 'x.png')",
            "mm.plot.history({{epoch = 'one'}}, 'x.png')",
        ])
    }
}
