import Foundation
import Native
import Synchronization
import XCTest

/// Collects what a progress bar writes.
private final class Captured: Sendable {
    let writes = Mutex<[String]>([])
    var sink: TextSink { TextSink { text in self.writes.withLock { $0.append(text) } } }
    var all: [String] { writes.withLock { $0 } }
}

/// A clock the test moves by hand.
private final class ManualClock {
    var now = 100.0
}

final class ProgressTests: XCTestCase {
    private func bar(_ style: ProgressStyle, total: Int = 100, _ output: Captured, _ clock: ManualClock) -> ProgressBar
    {
        ProgressBar(total: total, label: "epoch 1/3", style: style, sink: output.sink, clock: { clock.now })
    }

    func testTerminalBarRedrawsInPlaceWithRateETAAndFields() {
        let (output, clock) = (Captured(), ManualClock())
        let progress = bar(.bar(columns: 120), output, clock)
        clock.now += 1
        progress.update(40, [ProgressField("loss", 0.84213), ProgressField("acc", 0.7)])
        // 40 in 1 s: 40 ex/s, 60 left: 1.5 s, shown rounded.
        XCTAssertEqual(
            output.all,
            [
                "\r"
                    + "epoch 1/3  ████████████░░░░░░░░░░░░░░░░░░   40%  40/100  40.0 ex/s  ETA 0:02  loss 0.8421  acc 0.7000\u{1B}[K"
            ])
        clock.now += 1.5
        progress.finish()
        XCTAssertEqual(
            output.all.last,
            "\r"
                + "epoch 1/3  ██████████████████████████████  100%  100/100  40.0 ex/s  in 0:03  loss 0.8421  acc 0.7000\u{1B}[K\n"
        )
    }

    func testRedrawsAreAtMostTenASecondButTheLastAlwaysShows() {
        let (output, clock) = (Captured(), ManualClock())
        let progress = bar(.bar(columns: 100), output, clock)
        for i in 1...50 {
            clock.now += 0.01
            progress.update(i)
        }
        XCTAssertEqual(output.all.count, 5, "0.5 s of updates every 10 ms")
        clock.now += 0.01
        progress.update(100)
        XCTAssertEqual(output.all.count, 6)
        XCTAssertTrue(output.all.last!.contains("100/100"))
    }

    func testNarrowTerminalDropsFieldsThenShrinksTheBarAndNeverWraps() {
        for columns in [40, 60, 80, 200] {
            let (output, clock) = (Captured(), ManualClock())
            let progress = bar(.bar(columns: columns), total: 12345, output, clock)
            clock.now += 3
            progress.update(678, [ProgressField("loss", 1.2345), ProgressField("acc", 0.5)])
            let line = output.all[0].dropFirst().replacingOccurrences(of: "\u{1B}[K", with: "")
            XCTAssertLessThanOrEqual(line.count, columns - 1, "\(columns) columns: \(line)")
            XCTAssertTrue(line.hasPrefix("epoch 1/3"), line)
        }
    }

    func testLinesStyleWritesOneSummaryLinePerEpoch() {
        let (output, clock) = (Captured(), ManualClock())
        let progress = bar(.lines, output, clock)
        for i in stride(from: 10, through: 100, by: 10) {
            clock.now += 0.25
            progress.update(i, [ProgressField("loss", 0.5)])
        }
        XCTAssertEqual(output.all, [])
        progress.finish([ProgressField("loss", 0.5), ProgressField("acc", 0.9)])
        progress.finish()
        XCTAssertEqual(output.all, ["epoch 1/3  100 ex in 2.5 s (40.0 ex/s)  loss 0.5000  acc 0.9000\n"])
    }

    func testQuietWritesNothing() {
        let (output, clock) = (Captured(), ManualClock())
        let progress = bar(.quiet, output, clock)
        progress.update(50)
        progress.finish()
        XCTAssertEqual(output.all, [])
    }

    func testUnmeasuredFieldsShowADashAndLongRunsShowHours() {
        XCTAssertEqual(ProgressField("val_f1", .nan).text, "-")
        XCTAssertEqual(ProgressField("lr", 0.001, digits: 5).text, "0.00100")
        let (output, clock) = (Captured(), ManualClock())
        let progress = ProgressBar(
            total: 10_000, label: "synth", unit: "files", style: .bar(columns: 100), sink: output.sink,
            clock: { clock.now })
        clock.now += 10
        progress.update(20)
        XCTAssertTrue(output.all[0].contains("2.00 files/s  ETA 1:23:10"), output.all[0])
    }

    func testScriptFieldsAreReadableAndComeInTheUsualOrder() {
        let fields = [
            ProgressField("zeta", readable: 2), ProgressField("lr", readable: 1e-4), ProgressField("loss", readable: 0),
            ProgressField("acc", readable: 0.5),
        ]
        XCTAssertEqual(
            ProgressField.inUsualOrder(fields).map { "\($0.name) \($0.text)" },
            ["loss 0.0000", "acc 0.5000", "lr 1.00e-04", "zeta 2.0000"])
    }

    func testDetectedStyleIsQuietWhenAskedAndLinesWithoutATerminal() throws {
        XCTAssertEqual(ProgressStyle.detect(quiet: true), .quiet)
        try XCTSkipIf(isatty(STDOUT_FILENO) != 0, "standard output is a terminal here")
        XCTAssertEqual(ProgressStyle.detect(quiet: false), .lines)
    }
}
