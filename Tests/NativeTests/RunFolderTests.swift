import Foundation
import Native
import XCTest

final class RunFolderTests: XCTestCase {
    private func scratch() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-runs-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    private func localDate(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Date {
        DateComponents(
            calendar: Calendar(identifier: .gregorian), timeZone: .current, year: year, month: month, day: day,
            hour: hour,
            minute: minute, second: second
        ).date!
    }

    func testDefaultNameIsTheLocalTimeAndASecondRunInTheSameSecondGetsASuffix() throws {
        let root = try scratch()
        let date = localDate(2026, 11, 25, 10, 30, 0)
        let first = try RunFolder(root: root, date: date)
        XCTAssertEqual(first.name, "2026-11-25_103000")
        XCTAssertEqual(first.path, "\(root)/2026-11-25_103000")
        let second = try RunFolder(root: root, date: date)
        XCTAssertEqual(second.name, "2026-11-25_103000_2")
        var isDirectory: ObjCBool = false
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: second.path, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    func testFilesOfTheRunHaveTheirConventionalNames() throws {
        let run = try RunFolder(root: try scratch(), name: "seed1")
        XCTAssertEqual(
            [run.configPath, run.logPath, run.bestCheckpoint, run.lastCheckpoint, run.lastState, run.historyPlot].map {
                URL(fileURLWithPath: $0).lastPathComponent
            },
            [
                "config.json", "metrics.jsonl", "best_model.safetensors", "last_model.safetensors",
                "last_state.safetensors",
                "training_history.png",
            ])
        XCTAssertEqual(run.file("notes.txt"), run.path + "/notes.txt")
    }

    func testConfigIsSortedIndentedJSONThatReadsBackTheSame() throws {
        let run = try RunFolder(root: try scratch(), name: "cfg")
        let config: JSONValue = [
            "epochs": 30, "lr": 0.001, "mixup": true, "model": "small", "widths": [16, 32, 64, 128],
            "noise": ["clips": [1, 3], "intensity": [0.05, 0.35]], "resume": .null,
        ]
        try run.writeConfig(config)
        let text = try String(contentsOfFile: run.configPath, encoding: .utf8)
        XCTAssertTrue(
            text.hasPrefix("{\n  \"epochs\": 30,\n  \"lr\": 0.001,\n  \"mixup\": true,\n  \"model\": \"small\",\n"),
            text)
        XCTAssertEqual(try run.readConfig(), config)
        XCTAssertEqual(try run.readConfig()["mixup"], .bool(true), "a boolean stays a boolean, not 1")
    }

    func testLogIsJSONLinesAndReopeningReadsItBack() throws {
        let root = try scratch()
        var run = try RunFolder(root: root, name: "a")
        let first = EpochRecord(
            epoch: 1, trainLoss: 2.25, trainAcc: 0.125, valLoss: 2.5, valAcc: 0.1, valF1: 0.05, lr: 0.0004,
            seconds: 41.5)
        let second = EpochRecord(
            epoch: 2, trainLoss: .nan, trainAcc: 0.25, valLoss: 2, valAcc: 0.2, valF1: 0.15, lr: 0.001, seconds: 40,
            extra: ["test_f1": 0.3])
        try run.append(first)
        try run.append(second)
        let lines = try String(contentsOfFile: run.logPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(
            lines[0],
            "{\"epoch\": 1, \"train_loss\": 2.25, \"train_acc\": 0.125, \"val_loss\": 2.5, \"val_acc\": 0.1, \"val_f1\": 0.05, \"lr\": 0.0004, \"seconds\": 41.5}"
        )
        XCTAssertTrue(
            lines[1].contains("\"train_loss\": null") && lines[1].hasSuffix("\"test_f1\": 0.3}"), String(lines[1]))
        let reopened = try RunFolder(resuming: run.path)
        XCTAssertEqual(reopened.name, "a")
        XCTAssertEqual(reopened.log, [first, second])
        XCTAssertTrue(reopened.log[1].trainLoss.isNaN)
    }

    func testARecordFromNumbersByKeyKeepsTheRestAsExtras() {
        let r = EpochRecord(epoch: 2, numbers: ["train_loss": 0.5, "val_f1": 0.7, "test_f1": 0.6])
        XCTAssertEqual(r, EpochRecord(epoch: 2, trainLoss: 0.5, valF1: 0.7, extra: ["test_f1": 0.6]))
        XCTAssertEqual(
            r.fields.map(\.key), ["train_loss", "train_acc", "val_loss", "val_acc", "val_f1", "lr", "seconds"])
    }

    func testTheFirstNonFiniteNumberOfAJSONValueIsNamedByPlace() {
        let value: JSONValue = ["a": [1, .number(.nan)], "b": .number(.infinity)]
        XCTAssertEqual(value.firstNonFinite(), "the value.a[2] (nan)")
        XCTAssertNil(JSONValue.array([1, "x", .null]).firstNonFinite())
    }

    func testAResumedRunReplacesTheEpochsAfterItsCheckpoint() throws {
        var run = try RunFolder(root: try scratch(), name: "r")
        for e in 1...4 { try run.append(EpochRecord(epoch: e, trainLoss: Double(e))) }
        // Resumed from the checkpoint of epoch 2: epoch 3 is trained again.
        var resumed = try RunFolder(resuming: run.path)
        try resumed.append(EpochRecord(epoch: 3, trainLoss: 30))
        XCTAssertEqual(resumed.log.map(\.epoch), [1, 2, 3])
        XCTAssertEqual(try RunFolder(resuming: run.path).log.map(\.trainLoss), [1, 2, 30])
    }

    func testANameThatHoldsARunIsRefusedAndBadNamesAreRefused() throws {
        let root = try scratch()
        let run = try RunFolder(root: root, name: "taken")
        XCTAssertNoThrow(try RunFolder(root: root, name: "taken"), "an empty folder can be reused")
        try run.writeConfig(["epochs": 1])
        XCTAssertThrowsError(try RunFolder(root: root, name: "taken")) {
            XCTAssertEqual(
                "\($0)",
                "\(root)/taken: already holds a run (config.json); reopen it to resume, or choose another run name")
        }
        for bad in ["", "..", "a/b", "x y"] {
            XCTAssertThrowsError(try RunFolder(root: root, name: bad)) {
                XCTAssertTrue("\($0)".hasPrefix("run name '\(bad)': expected letters, digits"), "\($0)")
            }
        }
    }

    func testResumingSomethingThatIsNotARunSaysWhat() throws {
        let root = try scratch()
        XCTAssertThrowsError(try RunFolder(resuming: "\(root)/nope")) {
            XCTAssertTrue("\($0)".hasPrefix("\(root)/nope: no such run folder"), "\($0)")
        }
        let run = try RunFolder(root: root, name: "broken")
        try "{\"epoch\": 1}\n{\"epoch\": 2, \"train_loss\": \"high\"}\n".write(
            toFile: run.logPath, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try RunFolder(resuming: run.path)) {
            XCTAssertEqual("\($0)", "\(run.logPath):2: expected \"train_loss\" to be a number or null")
        }
        try "{\"epoch\": 1}\n{\"epoch\": 2, \n".write(toFile: run.logPath, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try RunFolder(resuming: run.path)) {
            XCTAssertTrue("\($0)".hasPrefix("\(run.logPath):2: not valid JSON"), "\($0)")
        }
    }

    func testWritesLeaveNoTemporaryFiles() throws {
        var run = try RunFolder(root: try scratch(), name: "clean")
        try run.writeConfig(["a": 1])
        for e in 1...3 { try run.append(EpochRecord(epoch: e)) }
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: run.path).sorted(), ["config.json", "metrics.jsonl"])
    }
}
