import CCairo
import Foundation
import XCTest

@testable import Native

final class PlotTests: XCTestCase {
    private static let genres = [
        "blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock",
    ]

    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Each channel within `tolerance` (of 1) of the expected colour.
    private func assertColor(
        _ actual: Color, _ expected: Color, within tolerance: Double = 2.0 / 255, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let worst = max(
            abs(actual.red - expected.red), abs(actual.green - expected.green), abs(actual.blue - expected.blue))
        XCTAssertLessThanOrEqual(
            worst, tolerance, "\(what): got \(actual), expected \(expected)", file: file, line: line)
    }

    private func history(_ n: Int) -> [EpochRecord] {
        (1...n).map { e in
            let t = Double(e)
            return EpochRecord(
                epoch: e, trainLoss: 2 * exp(-t / 5) + 0.2, trainAcc: 1 - exp(-t / 4), valLoss: 2 * exp(-t / 6) + 0.4,
                valAcc: 0.9 - exp(-t / 5), valF1: 0.88 - exp(-t / 5), lr: 1e-3 * t / Double(n), seconds: 12)
        }
    }

    /// A matrix where blues is always right (share 1.0) and classical never (share 0 on its diagonal).
    private func metrics() throws -> ClassificationMetrics {
        var truth: [Int] = []
        var predicted: [Int] = []
        for c in 0..<10 {
            for k in 0..<10 {
                truth.append(c)
                predicted.append(c == 0 ? 0 : c == 1 ? 2 : (k < 7 ? c : (c + 1) % 10))
            }
        }
        return try ClassificationMetrics(truth: truth, predicted: predicted, classes: 10)
    }

    // MARK: files

    func testPNGIsAValidImageOfTheFigureSizeWithThePixelsDrawn() throws {
        let path = try scratch().appendingPathComponent("history.png").path
        let figure = Figure.trainingHistory(history(12))
        try figure.save(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        func bigEndian(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR")
        XCTAssertEqual([bigEndian(16), bigEndian(20)], [1200, 820])

        // cairo reads it back to exactly the pixels drawn in memory.
        let surface = cairo_image_surface_create_from_png(path)!
        defer { cairo_surface_destroy(surface) }
        XCTAssertEqual(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS)
        let stride = Int(cairo_image_surface_get_stride(surface)) / 4
        let words = cairo_image_surface_get_data(surface)!.withMemoryRebound(to: UInt32.self, capacity: stride * 820) {
            $0
        }
        let raster = try figure.rasterize()
        var differing = 0
        for y in 0..<820 {
            for x in 0..<1200 where words[y * stride + x] != raster.pixels[y * 1200 + x] { differing += 1 }
        }
        XCTAssertEqual(differing, 0)
    }

    func testSVGIsAnSVGDocumentOfTheFigureSize() throws {
        let path = try scratch().appendingPathComponent("confusion.svg").path
        try Figure.confusionMatrix(try metrics(), classNames: Self.genres).save(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<?xml"), String(text.prefix(40)))
        XCTAssertTrue(text.contains("<svg") && text.contains("width=\"1000pt\"") && text.contains("height=\"880pt\""))
        XCTAssertTrue(text.hasSuffix("</svg>\n"))
    }

    func testSaveIsAtomicAndLeavesNoTemporaryFiles() throws {
        let folder = try scratch()
        let path = folder.appendingPathComponent("h.png").path
        try Figure.trainingHistory(history(3)).save(to: path)
        try Figure.trainingHistory(history(4)).save(to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["h.png"])
    }

    func testBadPathsAndShapesAreErrorsThatSayWhat() throws {
        let folder = try scratch()
        XCTAssertThrowsError(
            try Figure.trainingHistory(history(2)).save(to: folder.appendingPathComponent("h.jpg").path)
        ) {
            XCTAssertTrue("\($0)".hasSuffix("h.jpg: expected a file name ending in .png or .svg"), "\($0)")
        }
        XCTAssertThrowsError(try Figure.trainingHistory(history(2)).save(to: "/nonexistent-folder/h.png")) {
            XCTAssertTrue("\($0)".contains("/nonexistent-folder"), "\($0)")
        }
        var panel = Panel(title: "Loss")
        panel.lines = [LineSeries(name: "train", x: [1, 2, 3], y: [1, 2])]
        XCTAssertThrowsError(try Figure(panels: [panel]).rasterize()) {
            XCTAssertEqual("\($0)", "panel 1 'Loss': line 'train': x has 3 values but y has 2")
        }
        var map = Panel()
        map.heatMap = HeatMap(rows: 2, columns: 3, values: [1, 2, 3])
        XCTAssertThrowsError(try Figure(panels: [map]).rasterize()) {
            XCTAssertEqual("\($0)", "panel 1: heat map: 2 x 3 cells need 6 values, got 3")
        }
        XCTAssertThrowsError(try Figure().rasterize()) {
            XCTAssertEqual("\($0)", "figure: expected at least one panel, got none")
        }
        XCTAssertThrowsError(try Figure.confusionMatrix(try metrics(), classNames: ["a", "b"])) {
            XCTAssertEqual("\($0)", "classNames: expected 10 names, one per class, got 2")
        }
    }

    // MARK: what is drawn

    func testConfusionMatrixCellsTakeTheColourMapsEndsAndTextAdaptsToTheCell() throws {
        let figure = try Figure.confusionMatrix(try metrics(), classNames: Self.genres)
        let image = try figure.rasterize()
        let layout = image.panels[0]
        // Near the corner of a cell, clear of its centred text.
        func corner(_ row: Int, _ column: Int) -> Color {
            image.color(at: layout.point(x: Double(column) + 0.1, y: Double(row) + 0.1))
        }
        assertColor(corner(0, 0), ColorMap.blues.top, "blues/blues, share 1.0")
        assertColor(corner(1, 1), ColorMap.blues.bottom, "classical/classical, share 0")
        assertColor(corner(1, 2), ColorMap.blues.top, "classical/country, share 1.0")
        assertColor(corner(3, 3), ColorMap.blues.color(at: 0.7), "disco/disco, share 0.7")

        // Text in the dark cell is light, in the light (0.3) cell dark.
        func luminances(_ row: Int, _ column: Int) -> [Double] {
            let center = layout.point(x: Double(column) + 0.5, y: Double(row) + 0.5)
            return (-12...12).flatMap { dy in
                (-20...20).map { dx in image.color(x: Int(center.x) + dx, y: Int(center.y) + dy).luminance }
            }
        }
        XCTAssertGreaterThan(luminances(0, 0).max()!, 0.8, "white text on navy")
        XCTAssertLessThan(luminances(3, 4).min()!, 0.1, "dark text on pale blue")
        // An empty cell has no text at all.
        XCTAssertEqual(Set(luminances(5, 0).map { ($0 * 100).rounded() }).count, 1)
    }

    func testColourBarRunsFromTheTopColourToTheBottomColour() throws {
        let image = try Figure.confusionMatrix(try metrics(), classNames: Self.genres).rasterize()
        let bar = try XCTUnwrap(image.panels[0].colorBar)
        assertColor(image.color(at: Point(x: bar.center.x, y: bar.y + 2)), ColorMap.blues.top, within: 3.0 / 255, "top")
        assertColor(
            image.color(at: Point(x: bar.center.x, y: bar.maxY - 2)), ColorMap.blues.bottom, within: 3.0 / 255, "bottom"
        )
    }

    func testTitleAndAxisTextAreDrawn() throws {
        let image = try Figure.trainingHistory(history(10)).rasterize()
        let top = Int(image.panels[0].frame.y)
        // Dark pixels in the band above the panels, where the title goes, centred.
        let titleInk = (2..<top).flatMap { y in (400..<800).map { image.color(x: $0, y: y).luminance } }.filter {
            $0 < 0.2
        }
        XCTAssertGreaterThan(titleInk.count, 100)
        // ...and none near the edges of that band, which the centred title does not reach.
        let edgeInk = (2..<top).flatMap { y in (0..<200).map { image.color(x: $0, y: y).luminance } }.filter {
            $0 < 0.9
        }
        XCTAssertEqual(edgeInk.count, 0)
        // Tick labels left of the first plot area.
        let area = image.panels[0].plotArea
        let tickInk = (Int(area.y)..<Int(area.maxY)).flatMap { y in
            (Int(area.x) - 30..<Int(area.x) - 6).map { image.color(x: $0, y: y).luminance }
        }.filter { $0 < 0.4 }
        XCTAssertGreaterThan(tickInk.count, 50)
    }

    func testFigureIsNotBlank() throws {
        for figure in [
            Figure.trainingHistory(history(30)), try Figure.confusionMatrix(try metrics(), classNames: Self.genres),
        ] {
            let lum = try figure.rasterize().pixels.map { Color(hex: $0 & 0xFF_FFFF).luminance }
            let mean = lum.reduce(0, +) / Double(lum.count)
            let variance = lum.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(lum.count)
            XCTAssertGreaterThan(variance, 0.005, "\(figure.title ?? "")")
        }
    }

    func testLinesAndBarsAreDrawnWhereTheDataIs() throws {
        var lines = Panel()
        lines.lines = [
            LineSeries(name: "flat", x: [0, 10], y: [1, 1], marker: .none),
            LineSeries(name: "rising", x: [0, 10], y: [0, 2], marker: .none),
        ]
        var bars = Panel(y: .categories(["a", "b"], reversed: true))
        bars.bars = BarSeries(values: [3, 7], orientation: .horizontal, colors: [Color.palette[2]])
        let image = try Figure(width: 800, height: 400, columns: 2, panels: [lines, bars]).rasterize()
        let lineLayout = image.panels[0]
        assertColor(image.color(at: lineLayout.point(x: 2.5, y: 1)), Color.palette[0], within: 0.05, "flat line")
        assertColor(image.color(at: lineLayout.point(x: 2.5, y: 0.5)), Color.palette[1], within: 0.05, "rising line")
        let barLayout = image.panels[1]
        assertColor(image.color(at: barLayout.point(x: 6, y: 1.5)), Color.palette[2], "bar b reaches 7")
        assertColor(image.color(at: barLayout.point(x: 5, y: 0.5)), .white, "bar a stops at 3")
    }

    func testSpectrogramTopBandShowsTheTopColourAndMelTicksSitAtTheirBands() throws {
        // A ramp from the lowest band (0) to the highest (1).
        let bins = 128
        let frames = 400
        let values = (0..<bins).flatMap { b in [Float](repeating: Float(b) / Float(bins - 1), count: frames) }
        var options = SpectrogramPlotOptions(MelOptions())
        options.colorBarLabel = "level"
        let figure = try Figure.spectrogram(Spectrogram(values: values, bins: bins, frames: frames), options)
        let image = try figure.rasterize()
        let area = image.panels[0].plotArea
        assertColor(
            image.color(x: Int(area.center.x), y: Int(area.y) + 1), ColorMap.viridis.top, within: 4.0 / 255, "top band")
        assertColor(
            image.color(x: Int(area.center.x), y: Int(area.maxY) - 1), ColorMap.viridis.bottom, within: 4.0 / 255,
            "bottom band")
        // Time runs 400 frames x 512 / 22050 Hz = 9.29 s across.
        XCTAssertEqual(figure.panels[0].x.range, 0...(400 * 512 / 22050.0))
        // 1 kHz on the Slaney scale is mel 15; fmin 20 Hz is mel 0.3; bands are 44.75 mel / 129 apart.
        let step = (MelFilterbank.hzToMel(8000, htk: false) - 0.3) / 129
        let tick = try XCTUnwrap(figure.panels[0].y.ticks?.first { $0.label == "1k" })
        XCTAssertEqual(tick.value, (15 - 0.3) / step - 0.5, accuracy: 1e-9)
    }

    func testEmptyShortAndBrokenDataStillDrawWithoutNaN() throws {
        var broken = history(5)
        broken[2].valLoss = .nan
        broken[3].trainLoss = .infinity
        for epochs in [[], Array(history(1)), broken] {
            let image = try Figure.trainingHistory(epochs).rasterize()
            XCTAssertEqual(image.panels.count, 4)
            for panel in image.panels {
                XCTAssertTrue(
                    [panel.plotArea.x, panel.plotArea.y, panel.plotArea.width, panel.plotArea.height].allSatisfy(
                        \.isFinite))
                XCTAssertGreaterThan(panel.plotArea.width, 100)
            }
        }
        var map = Panel()
        map.heatMap = HeatMap(rows: 2, columns: 2, values: [.nan, .nan, .nan, .nan])
        let image = try Figure(width: 300, height: 300, panels: [map]).rasterize()
        assertColor(
            image.color(at: image.panels[0].plotArea.center), ColorMap.viridis.bottom,
            "NaN cells take the bottom colour")
    }

    // MARK: ticks

    func testTickStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        XCTAssertEqual(Ticks.step(span: 1, maxCount: 5), 0.2)
        XCTAssertEqual(Ticks.step(span: 30, maxCount: 6), 5)
        XCTAssertEqual(Ticks.step(span: 0.001, maxCount: 5), 0.0002, accuracy: 1e-18)
        XCTAssertEqual(Ticks.step(span: 80, maxCount: 10), 10)
        XCTAssertEqual(Ticks.coarser(0.2), 0.5, accuracy: 1e-15)
        XCTAssertEqual(Ticks.coarser(5), 10, accuracy: 1e-12)
        XCTAssertEqual(Ticks.coarser(10), 20, accuracy: 1e-12)
        XCTAssertEqual(Ticks.positions(in: -0.3...1.05, step: 0.5), [-0, 0.5, 1])
    }

    func testTickLabelsUseOneStyleAndOnlyTheDigitsTheStepNeeds() {
        XCTAssertEqual(Ticks.labels([0, 0.25, 0.5], step: 0.25), ["0", "0.25", "0.50"])
        XCTAssertEqual(Ticks.labels([0, 500, 1000], step: 500), ["0", "500", "1000"])
        XCTAssertEqual(Ticks.labels([0, 0.0005, 0.001], step: 0.0005), ["0", "5e-4", "1e-3"])
        XCTAssertEqual(Ticks.labels([0.0002, 0.0012], step: 0.0002), ["2e-4", "1.2e-3"])
        XCTAssertEqual(Ticks.labels([-40, -20, 0], step: 20), ["-40", "-20", "0"])
    }

    func testAutomaticTickLabelsNeverOverlap() throws {
        var panel = Panel()
        panel.lines = [LineSeries(x: [0, 123_456_789], y: [0, 1])]
        let figure = Figure(width: 300, height: 200, panels: [panel])
        let canvas = try Canvas(imageWidth: 300, height: 200)
        let renderer = PanelRenderer(panel: panel, frame: Rect(x: 0, y: 0, width: 300, height: 200), canvas: canvas)
        let ticks = renderer.placeTicks(panel.x, renderer.fittedRange(horizontal: true), length: 250, horizontal: true)
            .ticks
        XCTAssertGreaterThanOrEqual(ticks.count, 2)
        for (a, b) in zip(ticks, ticks.dropFirst()) {
            let spacing = (b.value - a.value) / 123_456_789 / 1.1 * 250
            let halfWidths =
                (canvas.measure(a.label, PlotStyle.tickLabel).width + canvas.measure(b.label, PlotStyle.tickLabel).width)
                / 2
            XCTAssertGreaterThan(spacing, halfWidths, "\(a.label) and \(b.label)")
        }
        _ = try figure.rasterize()
    }
}
