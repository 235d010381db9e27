import Foundation
import XCTest

@testable import Host

/// The canned recipe end to end on a tiny synthetic set, through the `mashup` binary as a user
/// runs it: outputs, option parsing, and resume after Ctrl-C.
final class ScriptTests: XCTestCase {
    /// A tiny data set shared by the tests of this class (made once; seconds in a debug build).
    static let dataSet: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-scripts-\(getpid())/set")
        let state = LuaState(quiet: true)
        _ = try? state.evaluate(
            "mm.data.synth{out = '\(dir.path)', songs_per_genre = 2, test_songs_per_genre = 1, seconds = 3, mashups = 4, noise_clips = 2, seed = 3, progress = false}"
        )
        return dir
    }()

    override class func tearDown() {
        try? FileManager.default.removeItem(at: dataSet.deletingLastPathComponent())
    }

    static var kaggleScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/kaggle.lua").path
    }

    /// The recipe scaled down by command-line flags only.
    static func recipeArguments(runs: URL, name: String, epochs: Int = 2) -> [String] {
        [
            "run", ScriptTests.kaggleScript, "--data", ScriptTests.dataSet.path, "--runs", runs.path, "--run", name,
            "--cache-folder", runs.appendingPathComponent("cache").path, "--epochs", String(epochs), "--model", "small",
            "--duration", "8", "--batch", "2", "--mashups-per-song", "1", "--val-mashups-per-song", "1",
            "--tta-views", "2", "--tta-shift", "2", "--workers", "2",
        ]
    }

    func testKaggleRecipeWritesModelSubmissionPlotsAndLog() throws {
        let runs = try temporaryFolder(self)
        let r = try runMashup(Self.recipeArguments(runs: runs, name: "e2e"))
        XCTAssertEqual(r.status, 0, r.stderr)
        let run = runs.appendingPathComponent("e2e")
        for file in [
            "best_model.safetensors", "last_model.safetensors", "submission.csv", "training_history.png",
            "confusion_matrix.png", "prediction_distribution.png", "metrics.jsonl", "config.json",
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
        }
        let submission = try String(contentsOf: run.appendingPathComponent("submission.csv"), encoding: .utf8)
        let sample = try String(
            contentsOf: ScriptTests.dataSet.appendingPathComponent("sample_submission.csv"), encoding: .utf8)
        let ids = { (text: String) in text.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] } }
        XCTAssertEqual(ids(submission), ids(sample))
        let log = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 2)
        XCTAssertTrue(r.stdout.contains("test mashups (hidden labels): macro F1"), r.stdout)
    }

    /// `--model musicnn` (here from random weights, `--weights none`, so that the test needs no
    /// download): the network trains on 3 s mashups at 16 kHz, one patch each, validates and
    /// predicts whole clips through the mean over their patches, with one test view.
    func testMusicnnRecipeTrainsOnPatchesAndPredictsClips() throws {
        let runs = try temporaryFolder(self)
        var arguments = Self.recipeArguments(runs: runs, name: "musicnn", epochs: 1)
        arguments[arguments.firstIndex(of: "small")!] = "musicnn"
        arguments.removeSubrange(
            arguments.firstIndex(of: "--tta-views")!...(arguments.firstIndex(of: "--tta-views")! + 1))
        arguments += ["--weights", "none", "--trainable", "all", "--val-duration", "4"]
        let r = try runMashup(arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("model musicnn: 779119 parameters"), r.stdout)  // 787,159 less 40 tags' weights
        XCTAssertTrue(r.stdout.contains("predicting, 1 views"), r.stdout)
        XCTAssertTrue(r.stdout.contains("test mashups (hidden labels): macro F1"), r.stdout)
        let run = runs.appendingPathComponent("musicnn")
        let submission = try String(contentsOf: run.appendingPathComponent("submission.csv"), encoding: .utf8)
        let sample = try String(
            contentsOf: ScriptTests.dataSet.appendingPathComponent("sample_submission.csv"), encoding: .utf8)
        XCTAssertEqual(submission.split(separator: "\n").count, sample.split(separator: "\n").count, submission)
        let config = try String(contentsOf: run.appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("\"tta_views\": 1"), config)
    }

    /// Without the fetched weights, `--model musicnn` stops before any data work and says what
    /// to run.
    func testMusicnnWithoutWeightsSaysWhatToRun() throws {
        let folder = try temporaryFolder(self)
        let r = try runMashup(
            [
                "run", ScriptTests.kaggleScript, "--model", "musicnn", "--data",
                folder.appendingPathComponent("absent").path,
            ],
            directory: folder)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("run `make weights`"), r.stderr)
        XCTAssertFalse(r.stderr.contains("absent"), "the data set was read before the weights")
    }

    func testUnknownOptionNamesItAndTheKnownOnes() throws {
        let r = try runMashup(["run", ScriptTests.kaggleScript, "--epoch", "3"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("unknown option --epoch; the options are"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--epochs"), r.stderr)
    }

    func testOptionValuesAreCheckedAgainstTheirDefaultsType() throws {
        let r = try runMashup(["run", ScriptTests.kaggleScript, "--noise-intensity", "0.1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--noise-intensity: 2 numbers expected (like 0.05,0.35), got '0.1'"), r.stderr)
    }

    /// Impossible values of the generalisation options fail at once, naming the option, before
    /// any data is read or made (there is no data set at --data).
    func testImpossibleRecipeValuesAreRejectedBeforeAnyDataWork() throws {
        for (flag, value, message) in [
            ("--examples-per-epoch", "0", "--examples-per-epoch: an integer of at least 1 expected, got 0"),
            ("--stem-eq", "-0.1", "--stem-eq: a probability in [0, 1] expected, got -0.1"),
            ("--spec-augment", "1.5", "--spec-augment: a probability in [0, 1] expected, got 1.5"),
            ("--ema-decay", "1", "--ema-decay: a decay in (0, 1) (like 0.999) expected, got 1"),
            ("--ema-decay", "0", "--ema-decay: a decay in (0, 1) (like 0.999) expected, got 0"),
            ("--model", "resnet", "--model: 'seresnet', 'small', 'musicnn' or 'vgg' expected, got 'resnet'"),
            ("--weights", "AudioSet", "--weights: 'MSD', 'MTT' or 'none' expected, got 'AudioSet'"),
            ("--trainable", "most", "--trainable: 'head', 'all' or a count of layer groups expected, got 'most'"),
            ("--val-duration", "0", "--val-duration: seconds in (0, 600] expected, got 0"),
        ] {
            let runs = try temporaryFolder(self)
            let r = try runMashup([
                "run", ScriptTests.kaggleScript, "--data", runs.appendingPathComponent("absent").path, "--runs",
                runs.path,
                flag, value,
            ])
            XCTAssertEqual(r.status, 1, r.stdout)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertFalse(r.stderr.contains("absent"), "the data set was read before the options were checked")
        }
    }

    /// A training-only copy of the data (no test.csv, or no sample_submission.csv) fails before
    /// the first epoch, naming what is missing, instead of after the whole training run.
    func testMissingTestFilesFailBeforeTraining() throws {
        let runs = try temporaryFolder(self)
        let copy = runs.appendingPathComponent("training-only")
        let fm = FileManager.default
        try fm.createDirectory(at: copy, withIntermediateDirectories: true)
        for part in ["genres_stems", "ESC-50-master", "mashups", "test.csv"] {
            try fm.copyItem(
                at: ScriptTests.dataSet.appendingPathComponent(part), to: copy.appendingPathComponent(part))
        }
        var arguments = Self.recipeArguments(runs: runs, name: "no-sample")
        arguments[arguments.firstIndex(of: "--data")! + 1] = copy.path
        let noSample = try runMashup(arguments)
        XCTAssertEqual(noSample.status, 1)
        XCTAssertTrue(noSample.stderr.contains("sample_submission.csv is missing"), noSample.stderr)
        XCTAssertFalse(noSample.stdout.contains("epoch"), noSample.stdout)

        try fm.removeItem(at: copy.appendingPathComponent("test.csv"))
        try fm.removeItem(at: copy.appendingPathComponent("mashups"))
        try fm.createDirectory(at: copy.appendingPathComponent("mashups"), withIntermediateDirectories: true)
        let noTest = try runMashup(arguments)
        XCTAssertEqual(noTest.status, 1)
        XCTAssertTrue(noTest.stderr.contains("test.csv lists none"), noTest.stderr)
    }

    /// Resuming with other options says what it did with each: --epochs extends the run (and is
    /// saved), the learning rate stays the run's own, and a new model is an error.
    func testResumeWithChangedOptionsSaysWhatWasKeptAndApplied() throws {
        let runs = try temporaryFolder(self)
        let first = try runMashup(Self.recipeArguments(runs: runs, name: "short", epochs: 1))
        XCTAssertEqual(first.status, 0, first.stderr)
        let run = runs.appendingPathComponent("short")

        let model = try runMashup(["run", ScriptTests.kaggleScript, "--resume", run.path, "--model", "seresnet"])
        XCTAssertEqual(model.status, 1)
        XCTAssertTrue(
            model.stderr.contains("--model seresnet: the run in \(run.path) trains the small model"), model.stderr)

        let longer = try runMashup([
            "run", ScriptTests.kaggleScript, "--resume", run.path, "--epochs", "2", "--lr", "0.5",
        ])
        XCTAssertEqual(longer.status, 0, longer.stderr)
        XCTAssertTrue(longer.stderr.contains("resume: applied --epochs 2 (was 1)"), longer.stderr)
        XCTAssertTrue(longer.stderr.contains("resume: kept the run's own --lr 0.001 (not 0.5)"), longer.stderr)
        let log = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 2)
        let config = try String(contentsOf: run.appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("\"epochs\": 2") || config.contains("\"epochs\":2"), config)

        let shorter = try runMashup(["run", ScriptTests.kaggleScript, "--resume", run.path, "--epochs", "1"])
        XCTAssertEqual(shorter.status, 1)
        XCTAssertTrue(
            shorter.stderr.contains("--epochs 1: the run in \(run.path) has already completed 2 epochs"), shorter.stderr
        )
    }

    /// With --cache the run trains on the seed's fixed pre-computed mashups and says so.
    func testCacheFlagTrainsOnTheFixedCache() throws {
        let runs = try temporaryFolder(self)
        let r = try runMashup(
            Self.recipeArguments(runs: runs, name: "cached", epochs: 1) + ["--cache", "--ema", "false"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("cached training"), r.stdout)
        XCTAssertFalse(r.stdout.contains("weight average"), r.stdout)
    }

    /// Ctrl-C in epoch 2 finishes the step and exits 130 with the resume command; resuming
    /// redoes epoch 2 from the epoch-1 checkpoint and ends with the uninterrupted run's weights.
    func testResumeAfterInterruptEndsWithTheUninterruptedWeights() throws {
        let runs = try temporaryFolder(self)
        let straight = try runMashup(Self.recipeArguments(runs: runs, name: "straight", epochs: 3))
        XCTAssertEqual(straight.status, 0, straight.stderr)

        let process = Process()
        process.executableURL = mashupBinary
        process.arguments = Self.recipeArguments(runs: runs, name: "cut", epochs: 3)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var seen = ""
        while !seen.contains("epoch  1  train loss") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertTrue(message.contains("resume with: mashup run"), message)

        let cut = runs.appendingPathComponent("cut")
        let resumed = try runMashup(["run", ScriptTests.kaggleScript, "--resume", cut.path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming"), resumed.stdout)
        let a = try Data(contentsOf: runs.appendingPathComponent("straight/last_model.safetensors"))
        let b = try Data(contentsOf: cut.appendingPathComponent("last_model.safetensors"))
        XCTAssertEqual(a, b, "resumed weights differ from the uninterrupted run's")
        // The same epochs with the same losses and scores (times differ).
        func log(_ run: String) throws -> [[String: Double]] {
            try String(contentsOf: runs.appendingPathComponent("\(run)/metrics.jsonl"), encoding: .utf8)
                .split(separator: "\n").map { line in
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
                    return object.compactMapValues { $0 as? Double }.filter {
                        $0.key != "seconds" && $0.key != "data_wait"
                    }
                }
        }
        XCTAssertEqual(try log("straight").count, 3)
        XCTAssertEqual(try log("straight"), try log("cut"))
    }
}
