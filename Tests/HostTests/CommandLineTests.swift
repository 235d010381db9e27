import Foundation
import Native
import XCTest

final class CommandLineTests: XCTestCase {
    func testVersionNamesMashupAndLua() throws {
        let r = try runMashup(["--version"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("mashup "), r.stdout)
        XCTAssertTrue(r.stdout.contains("Lua 5.4"), r.stdout)
    }

    func testExecuteOptionRunsChunksInOrder() throws {
        let r = try runMashup(["-e", "x = 20", "-e", "print(x + 1)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "21\n")
    }

    func testStdinChunkRunsWhenNotATerminal() throws {
        let r = try runMashup([], input: "print(1)\nprint(mm.version)\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("1\n0."), r.stdout)
    }

    func testScriptSeesArgumentsLikeLua() throws {
        let dir = try temporaryFolder(self)
        let script = dir.appendingPathComponent("args.lua")
        try "print(arg[0], arg[1], arg[2], arg[-1], select('#', ...), ...)".write(
            to: script, atomically: true, encoding: .utf8)
        let r = try runMashup(["--threads", "1", "run", script.path, "--epochs", "3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "\(script.path)\t--epochs\t3\trun\t2\t--epochs\t3\n")
    }

    func testGlobalOptionsReachTheEngine() throws {
        let r = try runMashup([
            "--threads", "1", "--seed", "7", "--quiet", "-e", "print(mm.threads(), mm.quiet, mm.random(1000))",
        ])
        let again = try runMashup(["--seed", "7", "-e", "print(mm.random(1000))"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("1\ttrue\t"), r.stdout)
        XCTAssertEqual(r.stdout.split(separator: "\t").last.map(String.init), again.stdout)
    }

    func testUncaughtErrorPrintsPositionAndTracebackAndExitsOne() throws {
        let dir = try temporaryFolder(self)
        let script = dir.appendingPathComponent("bad.lua")
        try "local x = 1\nlocal function f() error('broken here') end\nf()\n".write(
            to: script, atomically: true, encoding: .utf8)
        let r = try runMashup(["run", script.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("bad.lua:2: broken here"), r.stderr)
        XCTAssertTrue(r.stderr.contains("stack traceback:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("bad.lua:3: in main chunk"), r.stderr)
    }

    func testSyntaxErrorInScriptExitsOne() throws {
        let dir = try temporaryFolder(self)
        let script = dir.appendingPathComponent("syntax.lua")
        try "print('ok'\n".write(to: script, atomically: true, encoding: .utf8)
        let r = try runMashup(["run", script.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("syntax.lua:"), r.stderr)
    }

    func testMissingScriptIsAClearError() throws {
        let r = try runMashup(["run", "/nonexistent/x.lua"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot open /nonexistent/x.lua"), r.stderr)
    }

    /// `mashup weights` without the network: a missing wheel, and a file that is no wheel of
    /// musicnn's, each end with what is wrong (the fetch itself needs PyPI: `make weights`).
    func testWeightsNameAMissingOrWrongWheel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mashup-weights-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = try runMashup(["weights", "--folder", folder.path, "--wheel", "/nonexistent/musicnn.whl"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/musicnn.whl: no such wheel"), missing.stderr)
        let notAWheel = folder.appendingPathComponent("fake.whl")
        try Data("not a zip".utf8).write(to: notAWheel)
        let wrong = try runMashup(["weights", "--folder", folder.path, "--wheel", notAWheel.path])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("mashup weights: unpacking \(notAWheel.path) failed"), wrong.stderr)
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("MSD_musicnn.safetensors").path))
    }

    /// Runs `mashup -e "print(1)"` with the environment variables `set` (nil: unset) and
    /// restores them after.
    private func runWithEnvironment(_ set: [String: String?]) throws -> ProcessResult {
        let saved = set.keys.map { ($0, ProcessInfo.processInfo.environment[$0]) }
        for (name, value) in set {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
        defer { for (name, value) in saved { if let value { setenv(name, value, 1) } else { unsetenv(name) } } }
        return try runMashup(["-e", "print(1)"])
    }

    /// Where OpenBLAS falls back below this CPU's kernels, mashup restarts itself once with the
    /// better ones (OPENBLAS_VERBOSE=2 makes the library name its core at each load); where its
    /// own choice stands, it loads once.
    func testMashupRunsOpenBLASOnTheBestKernelsTheCPUHas() throws {
        let r = try runWithEnvironment(["OPENBLAS_VERBOSE": "2", "OPENBLAS_CORETYPE": nil])
        XCTAssertEqual(r.status, 0, r.stderr)
        let cores = (r.stdout + r.stderr).split(separator: "\n").filter { $0.hasPrefix("Core: ") }
            .map { String($0.dropFirst(6)) }
        XCTAssertFalse(cores.isEmpty, r.stdout + r.stderr)
        if let better = BLASCore.better(chosen: cores[0]) {
            XCTAssertEqual(cores, [cores[0], better])
        } else {
            XCTAssertEqual(cores.count, 1, "\(cores)")
        }
    }

    func testUnknownCodePathIsRefused() throws {
        let r = try runWithEnvironment(["MASHUP_CONV": "fast"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("MASHUP_CONV: 'auto', 'direct' or 'winograd' expected, got 'fast'"), r.stderr)
        let kernels = try runWithEnvironment(["MASHUP_KERNELS": "avx3"])
        XCTAssertEqual(kernels.status, 2)
        XCTAssertTrue(
            kernels.stderr.contains("MASHUP_KERNELS: 'generic', 'avx2' or 'avx512' expected, got 'avx3'"),
            kernels.stderr)
        XCTAssertEqual(try runWithEnvironment(["MASHUP_KERNELS": "avx512"]).status, 0)
    }

    func testBadGlobalOptionIsRejectedByTheParser() throws {
        let r = try runMashup(["--threads", "0", "-e", "print(1)"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--threads must be at least 1"), r.stderr)
    }

    func testInterruptStopsScriptWithStatus130() throws {
        let process = Process()
        process.executableURL = mashupBinary
        process.arguments = ["-e", "io.write('ready\\n'); io.flush(); while true do end"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Wait until the loop runs, so the signal arrives while Lua executes.
        let ready = out.fileHandleForReading.availableData
        XCTAssertEqual(String(decoding: ready, as: UTF8.self), "ready\n")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(message.contains("interrupted!"), message)
    }

    /// A Lua augmentation runs in a state of its own: the first Ctrl-C stops it even stuck in a
    /// loop, at once, or 2 s after the press while the script defers interrupts (a training
    /// step finishing), instead of waiting for a second press to kill the process.
    func testInterruptStopsALuaAugmentationStuckInALoop() throws {
        for deferred in [false, true] {
            let process = Process()
            process.executableURL = mashupBinary
            process.arguments = [
                "-e",
                "mm.defer_interrupt(\(deferred)); local stuck = mm.augment.lua(function(buf, rng) "
                    + "io.write('ready\\n'); io.flush(); while true do end end); stuck(mm.audio.new({0.1, 0.2}, 8000))",
            ]
            let (out, err) = (Pipe(), Pipe())
            (process.standardOutput, process.standardError) = (out, err)
            try process.run()
            XCTAssertEqual(String(decoding: out.fileHandleForReading.availableData, as: UTF8.self), "ready\n")
            let pressed = Date()
            kill(process.processIdentifier, SIGINT)
            // Without the worker hook the process never ends: fail instead of hanging the suite.
            DispatchQueue.global().asyncAfter(deadline: .now() + 30) { if process.isRunning { process.terminate() } }
            process.waitUntilExit()
            let waited = Date().timeIntervalSince(pressed)
            XCTAssertEqual(process.terminationStatus, 130, "deferred \(deferred)")
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertTrue(message.contains("interrupted!"), message)
            if deferred { XCTAssertGreaterThanOrEqual(waited, 1.9, "a deferred interrupt gives the step 2 s") }
        }
    }

    /// Lua's collector counts the native memory of tensors, audio and spectrograms: a loop
    /// making 300 tensors of 10.6 MB (3.2 GB in all) stays near its live set instead of
    /// peaking at 2.7 GB before a cycle frees any.
    func testLoopOfBigTensorsStaysNearItsLiveSet() throws {
        let r = try runMashup([
            "-e",
            "for i = 1, 300 do local t = mm.zeros(2650000) end "
                + "for line in io.lines('/proc/self/status') do local kb = line:match('^VmHWM:%s+(%d+)') "
                + "if kb then print(tonumber(kb) // 1024) end end",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let peak = try XCTUnwrap(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), r.stdout)
        XCTAssertLessThan(peak, 600, "peak resident memory in MB")
    }

    func testDeferredInterruptLetsTheScriptFinishItsStep() throws {
        let process = Process()
        process.executableURL = mashupBinary
        process.arguments = [
            "-e",
            "mm.defer_interrupt(true); io.write('ready\\n'); io.flush(); "
                + "while not mm.interrupted() do local step = mm.random() end; "
                + "io.write('saved\\n'); os.exit(130)",
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        XCTAssertEqual(String(decoding: out.fileHandleForReading.availableData, as: UTF8.self), "ready\n")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertEqual(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "saved\n")
    }
}
