import Foundation
import XCTest

@testable import Host

/// mm.progress, mm.run and mm.submission, and the synth progress bars.
final class LuaReportTests: XCTestCase {
    // MARK: progress

    private static let epochLoop = """
        print('before')
        local bar = mm.progress(10, {label = 'epoch 1/2', unit = 'batches', style = STYLE, columns = 200})
        for i = 1, 10 do bar:update(i, {step = i, lr = 1e-4, acc = i / 20, loss = 1 / i, note = 'hi'}) end
        bar:finish{loss = 0.25, acc = 0.5}
        print('after')
        """

    private func epochLoop(style: String) -> String {
        Self.epochLoop.replacingOccurrences(of: "STYLE", with: style)
    }

    func testProgressWithoutATerminalWritesOneSummaryLineInOrderWithPrint() throws {
        let r = try runMashup(["-e", epochLoop(style: "nil")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 4, r.stdout)
        XCTAssertEqual(lines.first, "before")
        XCTAssertEqual(Array(lines.suffix(2)), ["after", ""])
        let summary = String(lines[1])
        XCTAssertTrue(summary.hasPrefix("epoch 1/2  10 batches in "), summary)
        XCTAssertTrue(summary.hasSuffix(" batches/s)  loss 0.2500  acc 0.5000"), summary)
    }

    func testForcedBarRedrawsInPlaceWithFieldsInTheUsualOrder() throws {
        let r = try runMashup(["-e", epochLoop(style: "'bar'")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let draws = r.stdout.components(separatedBy: "\r")
        XCTAssertEqual(draws.first, "before\n")
        XCTAssertGreaterThanOrEqual(draws.count, 3, "a first draw and the finished bar")
        XCTAssertTrue(draws[1].hasPrefix("epoch 1/2  ███"), draws[1])
        // Loss and accuracy first, then the learning rate (too small for 4 decimals), then the
        // rest by name; integers as they are.
        XCTAssertTrue(draws[1].hasSuffix("loss 1.0000  acc 0.0500  lr 1.00e-04  note hi  step 1\u{1B}[K"), draws[1])
        let last = draws.last!
        XCTAssertTrue(last.contains("█  100%  10/10  "), last)
        XCTAssertTrue(last.hasSuffix("loss 0.2500  acc 0.5000\u{1B}[K\nafter\n"), last)
    }

    func testQuietFlagOrScriptSilencesProgress() throws {
        let r = try runMashup(["--quiet", "-e", epochLoop(style: "'bar'")])
        XCTAssertEqual(r.stdout, "before\nafter\n")
        XCTAssertEqual(try LuaState(quiet: true).evaluate("return mm.progress(3, {style = 'lines'}).style"), ["none"])
        XCTAssertEqual(try LuaState().evaluate("mm.quiet = true; return mm.progress(3).style"), ["none"])
        XCTAssertEqual(try LuaState().evaluate("return mm.progress(3, {style = 'lines'}).style"), ["lines"])
        XCTAssertEqual(try LuaState().evaluate("return mm.progress(3, {style = 'none'}).style"), ["none"])
    }

    func testProgressArgumentErrorsSayWhat() {
        let lua = LuaState()
        XCTAssertEqual(
            lua.failure("mm.progress(-1)"),
            "test:1: bad argument #1 to 'progress' (a total of at least 0 expected, got -1)")
        XCTAssertEqual(
            lua.failure("mm.progress(3, {style = 'fancy'})"),
            "test:1: bad argument #2 to 'progress' (field 'style': 'auto', 'bar', 'lines', 'none' expected, got 'fancy')"
        )
        XCTAssertEqual(
            lua.failure("mm.progress(3):update(1, {loss = true})"),
            "test:1: bad argument #2 to 'update' (field 'loss': number or string expected, got boolean)")
    }

    // MARK: run folder

    func testRunConfigRoundTripsNestedTablesWithTheirTypes() throws {
        let dir = try LuaFixtures.scratch(self)
        let lua = LuaState()
        let r = try lua.evaluate(
            """
            local run = mm.run.open{root = '\(dir.path)', name = 'exp'}
            run:config{epochs = 30, lr = 1e-3, mixup = true, model = {name = 'small "fast"', widths = {16, 32}},
                       note = 'genres: héllo', augment = {}}
            local c = mm.run.resume(run.path):read_config()
            return c.epochs, math.type(c.epochs), c.lr, c.mixup, c.model.name, c.model.widths[2], #c.model.widths,
                   c.note, type(c.augment), run.name, run.path
            """)
        XCTAssertEqual(
            r,
            [
                "30", "integer", "0.001", "true", "small \"fast\"", "32", "2", "genres: héllo", "table", "exp",
                dir.path + "/exp",
            ])
        let text = try String(contentsOfFile: dir.path + "/exp/config.json", encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("{\n  \"augment\": {},\n  \"epochs\": 30,\n  \"lr\": 0.001,\n"), text)
    }

    func testRunLogResumesAndAReloggedEpochReplacesTheLaterOnes() throws {
        let dir = try LuaFixtures.scratch(self)
        let r = try LuaState().evaluate(
            """
            local run = mm.run.open{root = '\(dir.path)', name = 'r'}
            for e = 1, 3 do run:log{epoch = e, train_loss = 1 / e, val_f1 = e / 10, lr = 1e-3, test_f1 = e / 20} end
            local again = mm.run.resume(run.path)
            local before = again.last_epoch
            again:log{epoch = 2, train_loss = 0.4}      -- resumed from epoch 1's checkpoint
            local records = mm.run.resume(run.path):records()
            return before, #records, records[2].train_loss, records[2].val_f1, records[1].test_f1, records[1].val_acc,
                   records[1].epoch, again.epochs
            """)
        XCTAssertEqual(r, ["3", "2", "0.4", nil, "0.05", nil, "1", "2"])
        let log = try String(contentsOfFile: dir.path + "/r/metrics.jsonl", encoding: .utf8)
        XCTAssertEqual(
            log.split(separator: "\n").first,
            "{\"epoch\": 1, \"train_loss\": 1, \"train_acc\": null, \"val_loss\": null, \"val_acc\": null, \"val_f1\": 0.1, \"lr\": 0.001, \"seconds\": null, \"test_f1\": 0.05}"
        )
    }

    func testRunFilesHaveTheConventionalNames() throws {
        let dir = try LuaFixtures.scratch(self)
        let r = try LuaState().evaluate(
            """
            local run = mm.run.open{root = '\(dir.path)', name = 'r'}
            return run.best_model, run.last_model, run.state, run.history_png, run.confusion_png, run.distribution_png,
                   run.predictions, run.submission, run:file('best_model'), run:file('notes.txt'), run.config_file,
                   run.log_file
            """)
        let folder = dir.path + "/r/"
        XCTAssertEqual(
            r,
            [
                "best_model.safetensors", "last_model.safetensors", "last_state.safetensors", "training_history.png",
                "confusion_matrix.png", "prediction_distribution.png", "predictions.csv", "submission.csv",
                "best_model.safetensors", "notes.txt", "config.json", "metrics.jsonl",
            ].map { folder + $0 })
    }

    func testRunErrorsSayWhat() throws {
        let dir = try LuaFixtures.scratch(self)
        let lua = LuaState()
        _ = try lua.evaluate("run = mm.run.open{root = '\(dir.path)', name = 'r'}; run:config{a = 1}")
        let cases: [(String, String)] = [
            ("run:config{f = print}", "bad argument #1 to 'config' (f: a function cannot be written as JSON)"),
            (
                "run:config{a = {1, 2, x = 3}}",
                "bad argument #1 to 'config' (a: a table mixing a sequence with other keys (or with holes) cannot be written as JSON; expected a sequence 1...n or string keys)"
            ),
            ("local t = {}; t.t = t; run:config(t)", "(t.t.t.t"),
            (
                "run:log{train_loss = 1}",
                "bad argument #1 to 'log' (field 'epoch': the epoch number (an integer) expected)"
            ),
            ("run:log{epoch = 1, note = 'x'}", "bad argument #1 to 'log' (field 'note': number expected, got string)"),
            ("run:file('../x')", "bad argument #1 to 'file' (a file name inside the run folder expected, got '../x')"),
            (
                "mm.run.open{root = '\(dir.path)', name = 'r'}",
                "\(dir.path)/r: already holds a run (config.json); reopen it to resume, or choose another run name"
            ),
            ("mm.run.open{name = '../up'}", "run name '../up': expected letters, digits and - _ . + @ = , only"),
            ("mm.run.resume('\(dir.path)/none')", "\(dir.path)/none: no such run folder"),
        ]
        for (source, message) in cases {
            let failure = lua.failure(source) ?? "(no error)"
            XCTAssertTrue(failure.contains(message), "\(source): \(failure)")
        }
    }

    // MARK: submission

    private func sample(_ dir: URL, ids: [String]) throws -> String {
        let path = dir.appendingPathComponent("sample_submission.csv").path
        try ("id,genre\n" + ids.map { "\($0),blues\n" }.joined()).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testSubmissionIsWrittenFromNamesOrLabels() throws {
        let dir = try LuaFixtures.scratch(self)
        let sample = try sample(dir, ids: ["1", "2", "3"])
        let r = try LuaState().evaluate(
            """
            return mm.submission.write('\(dir.path)/s.csv', {1, 2, '3'}, {'jazz', 7, 'rock'}, {sample = '\(sample)'})
            """)
        XCTAssertEqual(r, [dir.path + "/s.csv"])
        XCTAssertEqual(
            try String(contentsOfFile: dir.path + "/s.csv", encoding: .utf8), "id,genre\n1,jazz\n2,metal\n3,rock\n")
    }

    func testSubmissionWithProblemsListsThemAndWritesNothing() throws {
        let dir = try LuaFixtures.scratch(self)
        let sample = try sample(dir, ids: ["1", "2", "3"])
        let failure = LuaState().failure(
            "mm.submission.write('\(dir.path)/s.csv', {2, 1}, {'jazz', 'polka'}, {sample = '\(sample)'})")
        XCTAssertEqual(
            failure,
            """
            test:1: \(dir.path)/s.csv: not written: 5 problems against \(sample):
              - 2 rows but the sample submission has 3; expected one row per test id
              - row 1: id '2' where the sample submission has '1'
              - row 2: id '1' where the sample submission has '2'
              - 1 ids of the sample submission have no row, first '3'
              - row 2 (id '1'): genre 'polka' is not one of blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock
            """)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/s.csv"))
        let lua = LuaState()
        XCTAssertEqual(
            lua.failure("mm.submission.write('s.csv', {1}, {'jazz'})"),
            "test:1: bad argument #4 to 'write' (field 'sample': the path of sample_submission.csv expected (the submission is checked against it))"
        )
        XCTAssertEqual(
            lua.failure("mm.submission.write('s.csv', {1}, {11}, {sample = 'x'})"),
            "test:1: bad argument #3 to 'write' (label 11 expected to be a class 1 ... 10)")
        XCTAssertEqual(
            lua.failure("mm.submission.write('s.csv', {1.5}, {1}, {sample = 'x'})"),
            "test:1: bad argument #2 to 'write' (id 1: string or integer expected, got number)")
    }

    // MARK: confidence

    /// Top probabilities .7 .4 .8 .5: mean .6, one below .5 (.5 itself is not below); a is
    /// predicted twice (.7, .4: mean .55), b once (.5), c once (.8).
    private static let probabilities = "{{0.7, 0.2, 0.1}, {0.4, 0.35, 0.25}, {0.1, 0.1, 0.8}, {0.2, 0.5, 0.3}}"

    func testConfidenceReportMatchesAHandCheckedCase() throws {
        let lua = LuaState()
        for input in [Self.probabilities, "mm.tensor\(Self.probabilities)"] {
            let r = try lua.evaluate(
                """
                local r = mm.submission.confidence(\(input), {'a', 'b', 'c'}, {threshold = 0.5})
                local g = r.per_genre
                return r.examples, #r, r.mean_top, r.below, r.threshold, g[1].name, g[1].count, g[1].mean_confidence,
                       g[1].share, g[2].count, g[2].mean_confidence, g[3].mean_confidence,
                       table.concat(r.labels, ','), table.concat(r.genres, ','), r.confidences[4]
                """)
            let numbers = r.prefix(5).map { Double($0 ?? "") ?? .nan }
            XCTAssertEqual(numbers[0], 4)
            XCTAssertEqual(numbers[1], 4)
            XCTAssertEqual(numbers[2], 0.6, accuracy: 1e-7)
            XCTAssertEqual(Array(numbers[3...]), [1, 0.5])
            XCTAssertEqual(r[5], "a")
            XCTAssertEqual(r[6], "2")
            XCTAssertEqual(Double(r[7]!)!, 0.55, accuracy: 1e-7)
            XCTAssertEqual(r[8], "0.5")
            XCTAssertEqual(r[9], "1")
            XCTAssertEqual(Double(r[10]!)!, 0.5, accuracy: 1e-7)
            XCTAssertEqual(Double(r[11]!)!, 0.8, accuracy: 1e-7)
            XCTAssertEqual(Array(r[12...13]), ["1,1,3,2", "a,a,c,b"])
            XCTAssertEqual(Double(r[14]!)!, 0.5, accuracy: 1e-7)
        }
        let text = try lua.evaluate("return mm.submission.confidence(\(Self.probabilities), {'a', 'b', 'c'}):text()")
        XCTAssertEqual(
            text,
            [
                """
                4 examples: mean top probability 0.600, 1 below 0.50 (25.0%)
                predicted   count   share   mean confidence
                a               2   50.0%             0.550
                b               1   25.0%             0.500
                c               1   25.0%             0.800

                """
            ])
        XCTAssertEqual(
            try lua.evaluate("return tostring(mm.submission.confidence(\(Self.probabilities), {'a', 'b', 'c'}))"), text)
    }

    func testConfidenceErrorsNameTheArgument() {
        let lua = LuaState()
        XCTAssertEqual(
            lua.failure("mm.submission.confidence({{0.5, 0.2}}, {'a', 'b'})"),
            "test:1: bad argument #1 to 'confidence' (row 1 sums to 0.7000000029802322 or has values outside [0, 1]; expected softmax probabilities)"
        )
        XCTAssertEqual(
            lua.failure("mm.submission.confidence(mm.tensor{{0.5, 0.5}}, {'a', 'b', 'c'})"),
            "test:1: bad argument #1 to 'confidence' (expected a tensor of shape [N, 3], got [1, 2])")
        XCTAssertEqual(
            lua.failure("mm.submission.confidence({{0.5, 0.5}}, {'a', 'b'}, {threshold = 2})"),
            "test:1: bad argument #3 to 'confidence' (field 'threshold': expected 0 to 1, got 2.0)")
    }

    func testErrorsRaisedInALoopLeaveTheStateUsable() throws {
        try LuaState().assertErrorLoopSurvives([
            "mm.submission.confidence({{2, -1}}, {'a', 'b'})", "mm.progress(1):update(1, {x = {}})",
            "mm.run.resume('/nonexistent/run')", "mm.submission.write('x.csv', {1}, {'jazz'}, {sample = '/none.csv'})",
        ])
    }

    // MARK: synth progress

    func testSynthCommandWritesASummaryLinePerStageWithoutATerminal() throws {
        let dir = try temporaryFolder(self).appendingPathComponent("set")
        let r = try runMashup([
            "synth", dir.path, "--scale", "tiny", "--songs-per-genre", "1", "--test-songs-per-genre", "1", "--seconds",
            "2",
            "--mashups", "3", "--noise-clips", "2",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, r.stdout)
        for prefix in ["noise    2 clips in ", "songs    20 songs in ", "mashups  3 mashups in "] {
            XCTAssertEqual(lines.filter { $0.hasPrefix(prefix) }.count, 1, "\(prefix): \(r.stdout)")
        }
        XCTAssertTrue(lines.first!.hasPrefix("noise "), "the noise clips come first")
        XCTAssertTrue(
            lines.last!.hasPrefix("wrote 10 songs, 2 noise clips and 3 mashups (made of 10 held-out songs)"),
            lines.last!)
        try? FileManager.default.removeItem(atPath: dir.path + ".labels.csv")
        try? FileManager.default.removeItem(atPath: dir.path + ".synth.json")
    }

    func testLuaSynthShowsProgressUnlessAskedNotTo() throws {
        let dir = try temporaryFolder(self)
        let r = try runMashup([
            "-e",
            """
            for i, show in ipairs{true, false} do
              mm.data.synth{out = '\(dir.path)/set' .. i, scale = 'tiny', songs_per_genre = 1, seconds = 2,
                            mashups = 1, noise_clips = 1, progress = show}
              print('set ' .. i)
            end
            """,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // Songs and mashups finish in the order of the last mashup's genre.
        XCTAssertEqual(lines.count, 5, r.stdout)
        XCTAssertEqual(
            lines.prefix(3).map { String($0.prefix(8)) }.sorted(), ["mashups ", "noise   ", "songs   "], r.stdout)
        XCTAssertEqual(Array(lines.suffix(2)), ["set 1", "set 2"])
    }
}
