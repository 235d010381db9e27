import Foundation
import Native
import XCTest

@testable import Host

/// `mm.dist` in a job of one process, and under `mpirun --oversubscribe -np 2` when Open MPI is
/// installed (`make deps` installs it; without it these tests are skipped with a message).
final class DistributedTests: XCTestCase {
    func testAJobOfOneWithoutMpirun() throws {
        let r = try LuaState(quiet: true).evaluate(
            """
            local t = mm.ones(2)
            mm.dist.barrier()
            return mm.dist.rank(), mm.dist.size(), mm.dist.allreduce(5, "mean"), mm.dist.allreduce(t):sum(),
              mm.dist.broadcast({a = 1}).a, select(2, pcall(mm.dist.allreduce, 1, "median"))
            """)
        XCTAssertEqual(r.prefix(5), ["0", "1", "5.0", "2.0", "1"])
        XCTAssertEqual(
            try LuaState(quiet: true).evaluate("return math.type(mm.dist.allreduce(3, \"max\"))"), ["integer"])
        XCTAssertEqual(
            try LuaState(quiet: true).evaluate(
                """
                local net = mm.nn.seresnet{widths = {4, 8}, blocks = {1, 1}}
                return #mm.dist.gather("x"), mm.dist.gather({a = 1})[1].a,
                  mm.dist.overlap(net, mm.optim.adamw(net)), mm.dist.sync_batchnorm(net)
                """), ["1", "1", "false", "6"])
        XCTAssertTrue(r[5]?.contains("'sum', 'mean', 'max' or 'min' expected") ?? false, "\(r)")
        let nan = try LuaState(quiet: true).evaluate(
            "return select(2, pcall(mm.dist.broadcast, {lr = {1, math.huge}}))")
        XCTAssertTrue(nan[0]?.contains("the value.lr[2] (inf) cannot be sent") ?? false, "\(nan)")
    }

    /// Runs `mpirun --oversubscribe -np ranks mashup --quiet --threads 1 run script`.
    private func mpirun(_ ranks: Int, _ script: String, limit: TimeInterval = 120) throws -> ProcessResult {
        let folder = try temporaryFolder(self)
        let file = folder.appendingPathComponent("job.lua")
        try script.write(to: file, atomically: true, encoding: .utf8)
        return try launch(ranks, ["--quiet", "--threads", "1", "run", file.path], limit: limit)
    }

    /// Runs `mpirun --oversubscribe -np ranks mashup arguments...`, killed after `limit` s.
    private func launch(_ ranks: Int, _ arguments: [String], limit: TimeInterval) throws -> ProcessResult {
        let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let mpirun else { throw XCTSkip("mpirun is not installed (make deps installs openmpi-bin)") }
        let folder = try temporaryFolder(self)
        let (out, err) = (folder.appendingPathComponent("out"), folder.appendingPathComponent("err"))
        for url in [out, err] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = ["--oversubscribe", "-np", String(ranks), mashupBinary.path] + arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        // CI and containers run as root, which mpirun refuses unless told.
        (environment["OMPI_ALLOW_RUN_AS_ROOT"], environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"]) = ("1", "1")
        // Containers often forbid the cross-memory attach shared memory uses for large messages.
        environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(limit)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        let hung = process.isRunning
        if hung { process.terminate() }
        process.waitUntilExit()
        XCTAssertFalse(hung, "the job was still running after \(limit) s")
        return ProcessResult(
            status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// The canned recipe under mpirun: two ranks train on halves of every batch, rank 0 alone
    /// writes the run folder and prints, and the job ends cleanly.
    func testTheRecipeRunsDataParallelAndWritesOnce() throws {
        let runs = try temporaryFolder(self)
        let arguments = ScriptTests.recipeArguments(runs: runs, name: "ddp")
        let job = try launch(2, ["--threads", "1"] + arguments, limit: 600)
        XCTAssertEqual(job.status, 0, job.stderr)
        let run = runs.appendingPathComponent("ddp")
        for file in [
            "best_model.safetensors", "submission.csv", "training_history.png", "metrics.jsonl", "config.json",
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted(), ["cache", "ddp"])
        let log = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 2, log)
        XCTAssertEqual(
            job.stdout.components(separatedBy: "test mashups (hidden labels): macro F1").count, 2, job.stdout)
    }

    func testCollectivesOverTwoRanks() throws {
        let result = try mpirun(
            2,
            """
            local r, n = mm.dist.rank(), mm.dist.size()
            local t = mm.ones(1000)
            t:fill(r + 1)
            mm.dist.allreduce(t)
            local mean = mm.zeros(3):fill(r * 4)
            mm.dist.allreduce(mean, "mean")
            local weights = mm.zeros(2):fill(r + 10)
            mm.dist.broadcast(weights, 1)
            local config = mm.dist.broadcast(r == 0 and {lr = 0.5, tags = {"a", "b"}} or nil)
            local ok, err = pcall(mm.dist.allreduce, mm.zeros(r + 1))
            local parts = mm.dist.gather(r == 0 and {1, 2, 3} or ("rank " .. r))
            mm.dist.barrier()
            print(("rank %d/%d sum %g..%g mean %g max %g min %g broadcast %g config %g %s shapes %s gather %d %s"):format(
              r, n, t:min(), t:max(), mean:get(2), mm.dist.allreduce(r, "max"), mm.dist.allreduce(r, "min"),
              weights:get(1), config.lr, table.concat(config.tags), ok and "agree" or err:match("differs between ranks"),
              #parts, table.concat(parts[1], ",") .. "/" .. parts[2]))
            """)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init).sorted()
        XCTAssertEqual(
            lines,
            (0..<2).map {
                "rank \($0)/2 sum 3..3 mean 2 max 1 min 0 broadcast 11 config 0.5 ab shapes differs between ranks gather 2 1,2,3/rank 1"
            })
    }

    /// Data-parallel training: two ranks, each with half of every global batch and gradients
    /// averaged over both, take the steps one process takes on the whole batch. Equal to float
    /// rounding, not bit for bit: one process sums the 12 examples' gradients in one order, the
    /// job sums two partial sums (measured: 6e-6 relative after 20 AdamW steps).
    func testTwoRanksTrainAsOneProcessOnTheGlobalBatch() throws {
        let folder = try temporaryFolder(self)
        let script = """
            local out, steps = ...
            mm.seed(7)
            local net = mm.nn.Sequential{mm.nn.Linear(6, 16), mm.nn.ReLU(), mm.nn.Linear(16, 4)}
            local opt = mm.optim.adamw(net, {lr = 0.01})
            local x = mm.rand(12, 6)
            \(Self.rankShare(examples: 12, classes: 4))
            for _ = 1, 20 do
              opt:zero_grad()
              local logits = net:forward(xb)
              local _, grad = mm.nn.cross_entropy(logits, yb)
              net:backward(grad)
              mm.dist.average_gradients(opt, #yb)
              opt:step()
            end
            net:save(("%s/%s-%d.safetensors"):format("\(folder.path)", n, r))
            """
        try runOnTwoRanksAndAlone(script, in: folder)
        let weights = { (name: String) in try Self.floats(folder.appendingPathComponent(name + ".safetensors")) }
        let (one, rank0, rank1) = (try weights("1-0"), try weights("2-0"), try weights("2-1"))
        XCTAssertEqual(one.keys.sorted(), ["0.bias", "0.weight", "2.bias", "2.weight"])
        XCTAssertEqual(rank0, rank1, "every rank holds the same weights")
        XCTAssertLessThan(Self.worstRelativeDifference(one, rank0), 1e-5)
    }

    /// Lua that gives this rank its contiguous share of a global batch `x` of `examples` with
    /// fixed labels: xb, yb (and r, n: the rank and the job's size).
    static func rankShare(examples: Int, classes: Int) -> String {
        "local labels = {} for i = 1, \(examples) do labels[i] = (i * 7) % \(classes) + 1 end "
            + "local r, n = mm.dist.rank(), mm.dist.size() "
            + "local lo, hi = \(examples) * r // n, \(examples) * (r + 1) // n "
            + "local xb, yb = x:batch(lo + 1, hi - lo), {table.unpack(labels, lo + 1, hi)}"
    }

    /// Runs `script` under `mpirun -np 2`, then as one process, each expected to succeed.
    private func runOnTwoRanksAndAlone(
        _ script: String, in folder: URL, file: StaticString = #filePath, line: UInt = #line
    )
        throws
    {
        let job = try mpirun(2, script)
        XCTAssertEqual(job.status, 0, job.stderr, file: file, line: line)
        let path = folder.appendingPathComponent("one.lua")
        try script.write(to: path, atomically: true, encoding: .utf8)
        let single = try runMashup(["--quiet", "--threads", "1", "run", path.path])
        XCTAssertEqual(single.status, 0, single.stderr, file: file, line: line)
    }

    /// The float tensors of a safetensors file.
    static func floats(_ file: URL) throws -> [String: [Float]] {
        try SafeTensors.read(file.path).tensors.compactMapValues { if case .f32(let t) = $0 { t.array } else { nil } }
    }

    /// The largest |a - b| / max(|a|, 1e-3) over the tensors of `a` (a missing one counts as no
    /// difference: compare the names on their own).
    static func worstRelativeDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> Float {
        var worst: Float = 0
        for (name, values) in a {
            for (p, q) in zip(values, b[name] ?? []) { worst = max(worst, abs(p - q) / max(abs(p), 1e-3)) }
        }
        return worst
    }

    /// SyncBatchNorm (mm.dist.sync_batchnorm) makes a network with BatchNorm train on two ranks
    /// as one process on the global batch, running statistics included (measured 4e-7); the
    /// all-reduce overlapped with backward (mm.dist.overlap, one bucket per parameter here)
    /// gives the one-message all-reduce's numbers bit for bit, and both ranks hold the same.
    func testSynchronisedBatchNormAndOverlappedAllReduceTrainAsOneProcess() throws {
        let folder = try temporaryFolder(self)
        func script(_ name: String, sync: Bool, overlap: Bool) -> String {
            """
            mm.seed(7)
            local net = mm.nn.Sequential{mm.nn.Conv2d(1, 4, 3, {pad = 1, bias = false}), mm.nn.BatchNorm2d(4),
              mm.nn.ReLU(), mm.nn.GlobalAvgPool(), mm.nn.Linear(4, 3)}
            local opt = mm.optim.adamw(net, {lr = 0.01})
            local overlapped = \(overlap) and mm.dist.overlap(net, opt, {bucket_mb = 1e-5})
            if \(sync) then assert(mm.dist.sync_batchnorm(net) == 1) end
            local x = mm.rand(8, 1, 6, 5)
            \(Self.rankShare(examples: 8, classes: 3))
            for step = 1, 10 do
              opt:zero_grad()
              local _, grad = mm.nn.cross_entropy(net:forward(xb), yb)
              net:backward(grad)
              if overlapped and step == 1 then
                local ok, err = pcall(net.backward, net, grad)
                assert(not ok and err:find("backward called twice without average_gradients"), err)
              end
              mm.dist.average_gradients(opt, #yb)
              opt:step()
            end
            net:save(("%s/\(name)-%d.safetensors"):format("\(folder.path)", r))
            """
        }
        let file = folder.appendingPathComponent("one.lua")
        try script("one", sync: true, overlap: true).write(to: file, atomically: true, encoding: .utf8)
        let single = try runMashup(["--quiet", "--threads", "1", "run", file.path])
        XCTAssertEqual(single.status, 0, single.stderr)
        for (name, overlap) in [("sync", false), ("overlap", true)] {
            let job = try mpirun(2, script(name, sync: true, overlap: overlap))
            XCTAssertEqual(job.status, 0, job.stderr)
        }
        let weights = { (name: String) in try Self.floats(folder.appendingPathComponent(name + ".safetensors")) }
        let one = try weights("one-0")
        let (sync0, overlap0, overlap1) = (try weights("sync-0"), try weights("overlap-0"), try weights("overlap-1"))
        XCTAssertTrue(one.keys.contains("1.running_mean"), "\(one.keys)")
        XCTAssertEqual(overlap0, sync0, "overlapped buckets give the one-message numbers")
        XCTAssertEqual(overlap0, overlap1, "every rank holds the same weights and statistics")
        XCTAssertEqual(one.keys.sorted(), sync0.keys.sorted())
        XCTAssertLessThan(Self.worstRelativeDifference(one, sync0), 1e-5)
    }

    /// Validation (train.evaluate) and test-time prediction (tta.predict) share their work out
    /// over the ranks and gather it: two ranks give one process's predictions, in the test
    /// set's order, and its validation figures.
    func testShardedValidationAndPredictionGiveOneProcessResults() throws {
        let folder = try temporaryFolder(self)
        let script = """
            local tta, train = require "mashup.tta", require "mashup.train"
            mm.seed(3)
            local net = mm.nn.seresnet{widths = {4, 8}, blocks = {1, 1}, classes = 10}
            local test_set = mm.data.test_set(mm.data.kaggle("\(ScriptTests.dataSet.path)"),
              {views = 2, shift = 1, seconds = 3})
            local ids, rows, labels = tta.predict(net, test_set, {batch = 2})
            local xs = {}
            for b = 1, 5 do xs[b] = mm.rand(3, 1, 32, 24) end
            local val = train.evaluate(net, function()
              local b = 0
              return function()
                b = b + 1
                if xs[b] then return xs[b], {1, (b % 3) + 1, 4} end
              end
            end, 10)
            local lines = {("validation %d examples, loss %.5f, f1 %.5f"):format(#val.truth, val.loss, val.f1)}
            for i, id in ipairs(ids) do lines[#lines + 1] = ("%s %d %.4f"):format(id, labels[i], rows[i][labels[i]]) end
            if mm.dist.rank() == 0 then
              local f = assert(io.open(("\(folder.path)/%d.txt"):format(mm.dist.size()), "w"))
              f:write(table.concat(lines, "\\n"), "\\n")
              f:close()
            end
            """
        try runOnTwoRanksAndAlone(script, in: folder)
        let one = try String(contentsOf: folder.appendingPathComponent("1.txt"), encoding: .utf8)
        let two = try String(contentsOf: folder.appendingPathComponent("2.txt"), encoding: .utf8)
        XCTAssertGreaterThan(one.split(separator: "\n").count, 4, one)
        XCTAssertTrue(one.hasPrefix("validation 15 examples"), one)
        XCTAssertEqual(two, one)
    }

    /// mm.data.cache under mpirun: each rank computes its share and all get the whole cache,
    /// byte for byte the file one process writes.
    func testACacheBuiltByTwoRanksIsTheOneProcessCache() throws {
        let folder = try temporaryFolder(self)
        let script = """
            local out = ...
            local ds = mm.data.kaggle("\(ScriptTests.dataSet.path)")
            local split = ds:split{val = 0.5, seed = 1}
            local c = mm.data.cache{dataset = mm.data.bank(ds), songs = split.train, per_song = 3, seed = 5,
              seconds = 2, n_mels = 32, folder = "\(folder.path)/" .. mm.dist.size(), progress = false}
            assert(#c == 3 * #split.train)
            local again = mm.data.cache{dataset = mm.data.bank(ds), songs = split.train, per_song = 3, seed = 5,
              seconds = 2, n_mels = 32, folder = "\(folder.path)/" .. mm.dist.size(), progress = false}
            assert(again.path == c.path)
            """
        try runOnTwoRanksAndAlone(script, in: folder)
        func files(_ sub: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(sub).path).sorted()
        }
        let (one, two) = (try files("1"), try files("2"))
        XCTAssertEqual(one.count, 1, "\(one)")
        XCTAssertEqual(two, one, "the same cache, and no temporaries left")
        let bytes = { (sub: String) in try Data(contentsOf: folder.appendingPathComponent("\(sub)/\(one[0])")) }
        XCTAssertEqual(try bytes("2"), try bytes("1"))
    }

    /// `mpirun -np 2 mashup synth`: the ranks share the set out and write, file for file, what
    /// one process writes.
    func testSynthesisSharedOverTwoRanksWritesTheOneProcessSet() throws {
        let folder = try temporaryFolder(self)
        let arguments = [
            "--quiet", "--threads", "1", "synth", "--scale", "tiny", "--seconds", "2", "--mashups", "10",
            "--songs-per-genre", "2", "--test-songs-per-genre", "1", "--noise-clips", "6",
        ]
        let job = try launch(2, arguments + [folder.appendingPathComponent("two").path], limit: 300)
        XCTAssertEqual(job.status, 0, job.stderr)
        let single = try runMashup(arguments + [folder.appendingPathComponent("one").path])
        XCTAssertEqual(single.status, 0, single.stderr)
        func files(_ root: String) throws -> [String: Data] {
            let base = folder.appendingPathComponent(root)
            var out: [String: Data] = [:]
            let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
            while let url = walker?.nextObject() as? URL {
                guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
                out[String(url.path.dropFirst(base.path.count))] = try Data(contentsOf: url)
            }
            for side in [".labels.csv", ".synth.json"] {
                out[side] = try Data(contentsOf: folder.appendingPathComponent(root + side))
            }
            return out
        }
        let (one, two) = (try files("one"), try files("two"))
        XCTAssertGreaterThan(one.count, 90)
        XCTAssertEqual(one.keys.sorted(), two.keys.sorted())
        XCTAssertEqual(one.filter { two[$0.key] != $0.value }.map(\.key).sorted(), [], "files that differ")
    }

    /// A run's state does not depend on how many processes wrote it: 2 ranks train epoch 1,
    /// one process resumes it to epoch 2, 2 ranks again to epoch 3.
    func testARunResumesWithAnotherNumberOfRanks() throws {
        let runs = try temporaryFolder(self)
        let first = try launch(
            2, ["--threads", "1"] + ScriptTests.recipeArguments(runs: runs, name: "moving", epochs: 1), limit: 600)
        XCTAssertEqual(first.status, 0, first.stderr)
        let run = runs.appendingPathComponent("moving").path
        let single = try runMashup(["--quiet", "run", ScriptTests.kaggleScript, "--resume", run, "--epochs", "2"])
        XCTAssertEqual(single.status, 0, single.stderr)
        let again = try launch(
            2, ["--quiet", "--threads", "1", "run", ScriptTests.kaggleScript, "--resume", run, "--epochs", "3"],
            limit: 600)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stderr.components(separatedBy: "resume: applied --epochs 3").count, 2, again.stderr)
        let log = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
        XCTAssertEqual(
            log.split(separator: "\n").map { $0.prefix(12) }, ["{\"epoch\": 1,", "{\"epoch\": 2,", "{\"epoch\": 3,"])
    }

    /// A rank that fails ends the whole job with its message; the rank waiting at a barrier
    /// does not hang.
    func testALuaErrorOnOneRankEndsTheJob() throws {
        let result = try mpirun(
            2,
            """
            if mm.dist.rank() == 1 then error("rank one gives up") end
            mm.dist.barrier()
            print("rank 0 got past the barrier")
            """, limit: 60)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("mashup (rank 1): "), result.stderr)
        XCTAssertTrue(result.stderr.contains("rank one gives up"), result.stderr)
        XCTAssertFalse(result.stdout.contains("got past"), result.stdout)
        // A rank that dies without a word (here: exits mid-job) ends the job too; mpirun names it.
        let died = try mpirun(
            2,
            """
            if mm.dist.rank() == 1 then os.exit(3) end
            mm.dist.barrier()
            print("rank 0 got past the barrier")
            """, limit: 60)
        XCTAssertEqual(died.status, 3, died.stderr)
        XCTAssertFalse(died.stdout.contains("got past"), died.stdout)
    }
}
