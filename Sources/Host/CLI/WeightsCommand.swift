import ArgumentParser
import Foundation
import Native

/// `mashup weights`: musicnn's pretrained networks, fetched once as the `musicnn` wheel from
/// PyPI (with pip; TensorFlow is never needed) and converted by the native checkpoint reader to
/// safetensors in FOLDER. `make weights` runs it.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "Fetch musicnn's pretrained weights (the PyPI wheel) and convert them to safetensors.",
        discussion: """
            Writes FOLDER/MSD_musicnn.safetensors, MTT_musicnn, MSD_vgg and MTT_vgg (TensorFlow's
            variable names, without the optimiser's slots). The wheel is fetched with
            `python3 -m pip download` into FOLDER and kept there, so a second machine can be
            given it with --wheel when it has no network.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Where the wheel and the converted weights go.")
    var folder = "data/weights"

    @Option(help: "A musicnn-0.1.0 wheel already downloaded (no network needed).")
    var wheel: String?

    @Flag(help: "Convert again even when the files are there.")
    var force = false

    func run() throws {
        do {
            try convert()
        } catch let error as WeightsError {
            FileHandle.standardError.write(Data("mashup weights: \(error.message)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("mashup weights: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func say(_ line: String) { if !global.quiet { print(line) } }

    private func convert() throws {
        let fm = FileManager.default
        let models = MusicnnWeights.Model.allCases
        let targets = models.map { (model: $0, path: folder + "/" + $0.fileName) }
        if !force, targets.allSatisfy({ fm.fileExists(atPath: $0.path) }) {
            say("musicnn weights already in \(folder) (--force converts them again)")
            return
        }
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw WeightsError("cannot create \(folder): \(error.localizedDescription)")
        }
        let wheelPath = try wheel ?? fetch()
        guard fm.fileExists(atPath: wheelPath) else { throw WeightsError("\(wheelPath): no such wheel") }
        let unpacked = folder + "/\(MusicnnWeights.package)-\(MusicnnWeights.version)"
        try? fm.removeItem(atPath: unpacked)
        try python(["-m", "zipfile", "-e", wheelPath, unpacked], doing: "unpacking \(wheelPath)")
        defer { try? fm.removeItem(atPath: unpacked) }
        for (model, path) in targets {
            let prefix = "\(unpacked)/\(MusicnnWeights.package)/\(model.rawValue)/"
            guard fm.fileExists(atPath: prefix + ".index") else {
                throw WeightsError("\(wheelPath) has no \(model.rawValue) checkpoint; is it the musicnn 0.1.0 wheel?")
            }
            let count = try MusicnnWeights.convert(checkpoint: prefix, model: model, to: path)
            say("wrote \(path) (\(count) tensors)")
        }
    }

    /// The wheel in FOLDER, downloaded with pip when it is not there yet.
    private func fetch() throws -> String {
        let path = folder + "/" + MusicnnWeights.wheel
        if FileManager.default.fileExists(atPath: path) { return path }
        say("fetching \(MusicnnWeights.package) \(MusicnnWeights.version) from PyPI with pip (29 MB) ...")
        try python(
            [
                "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--dest", folder,
                "\(MusicnnWeights.package)==\(MusicnnWeights.version)",
            ],
            doing: "downloading the musicnn wheel",
            hint:
                "no network? on a machine that has one, run `python3 -m pip download --no-deps musicnn==0.1.0`, copy the wheel here and pass it with --wheel"
        )
        guard FileManager.default.fileExists(atPath: path) else {
            throw WeightsError("pip finished, but \(path) is not there")
        }
        return path
    }

    /// Runs python3 with `arguments`, its output passed through; throws what failed and why.
    private func python(_ arguments: [String], doing what: String, hint: String? = nil) throws {
        fflush(nil)  // what this process printed comes before python's output
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        if global.quiet { process.standardOutput = FileHandle.nullDevice }
        do {
            try process.run()
        } catch {
            throw WeightsError(
                "\(what): cannot start python3 (\(error.localizedDescription)); install python3 and python3-pip (make weights does)"
            )
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let pipMissing = arguments.starts(with: ["-m", "pip"]) && !pipAvailable()
            throw WeightsError(
                "\(what) failed (python3 exited with status \(process.terminationStatus))"
                    + (pipMissing ? "; pip is not installed: apt-get install python3-pip (make weights does)" : "")
                    + (hint.map { "; \($0)" } ?? ""))
        }
    }

    private func pipAvailable() -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-m", "pip", "--version"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }
}

struct WeightsError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
