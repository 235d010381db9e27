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
            mm.dist.barrier()
            print(("rank %d/%d sum %g..%g mean %g max %g min %g broadcast %g config %g %s shapes %s"):format(
              r, n, t:min(), t:max(), mean:get(2), mm.dist.allreduce(r, "max"), mm.dist.allreduce(r, "min"),
              weights:get(1), config.lr, table.concat(config.tags), ok and "agree" or err:match("differs between ranks")))
            """)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init).sorted()
        XCTAssertEqual(
            lines,
            (0..<2).map {
                "rank \($0)/2 sum 3..3 mean 2 max 1 min 0 broadcast 11 config 0.5 ab shapes differs between ranks"
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
            local labels = {}
            for i = 1, 12 do labels[i] = (i * 7) % 4 + 1 end
            local r, n = mm.dist.rank(), mm.dist.size()
            local lo, hi = 12 * r // n, 12 * (r + 1) // n
            local xb, yb = x:batch(lo + 1, hi - lo), {table.unpack(labels, lo + 1, hi)}
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
        let job = try mpirun(2, script)
        XCTAssertEqual(job.status, 0, job.stderr)
        let file = folder.appendingPathComponent("one.lua")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let single = try runMashup(["--quiet", "--threads", "1", "run", file.path])
        XCTAssertEqual(single.status, 0, single.stderr)
        func weights(_ name: String) throws -> [String: [Float]] {
            try SafeTensors.read(folder.appendingPathComponent(name).path).tensors.compactMapValues {
                if case .f32(let t) = $0 { t.array } else { nil }
            }
        }
        let (one, rank0, rank1) = (
            try weights("1-0.safetensors"), try weights("2-0.safetensors"), try weights("2-1.safetensors")
        )
        XCTAssertEqual(one.keys.sorted(), ["0.bias", "0.weight", "2.bias", "2.weight"])
        XCTAssertEqual(rank0, rank1, "every rank holds the same weights")
        var worst: Float = 0
        for (name, values) in one {
            for (p, q) in zip(values, rank0[name] ?? []) { worst = max(worst, abs(p - q) / max(abs(p), 1e-3)) }
        }
        XCTAssertLessThan(worst, 1e-5)
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
    }
}
