import ArgumentParser
import Foundation
import Native

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate a synthetic Messy Mashup data set in the Kaggle layout.",
        discussion: """
            Writes OUT/genres_stems, OUT/ESC-50-master, OUT/mashups, OUT/test.csv and
            OUT/sample_submission.csv, and the answers to OUT.labels.csv beside OUT.
            Scales: tiny (unit tests), small (the quickstart), full (the competition's counts).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The folder to write the data set into.")
    var out: String

    @Option(help: "tiny, small or full.")
    var scale: SynthScale = .small

    @Option(help: "Songs per genre (overrides the scale).")
    var songsPerGenre: Int?

    @Option(help: "Held-out songs per genre that the test mashups are made of, never written (overrides the scale).")
    var testSongsPerGenre: Int?

    @Flag(
        help:
            "Build the test mashups from the songs in genres_stems (the first versions' set) instead of held-out ones.")
    var testFromTrain = false

    @Option(help: "Length of each song's stems in seconds (overrides the scale).")
    var seconds: Double?

    @Option(help: "Number of test mashups (overrides the scale).")
    var mashups: Int?

    @Option(help: "Number of ESC-50-like noise clips (overrides the scale).")
    var noiseClips: Int?

    /// Under `mpirun -np N mashup synth OUT` the ranks share the work out (`Synth.generate`);
    /// rank 0 reports, and a rank that fails ends the job with its message.
    func run() throws {
        do {
            try Distributed.start()
        } catch {
            FileHandle.standardError.write(Data("mashup: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { Distributed.finish() }
        do {
            try generate()
        } catch  where Distributed.size > 1 {
            let message = (error as? SynthError).map(SynthCommand.optionName) ?? "\(error)"
            FileHandle.standardError.write(Data("mashup (rank \(Distributed.rank)): \(message)\n".utf8))
            Distributed.abort(code: 1)
        }
    }

    private func generate() throws {
        if let threads = global.threads { Engine.threads = threads }
        var config = SynthConfig(scale: scale, seed: global.seed.map { UInt64(bitPattern: $0) } ?? Engine.defaultSeed)
        if let songsPerGenre { config.songsPerGenre = songsPerGenre }
        if let testSongsPerGenre { config.testSongsPerGenre = testSongsPerGenre }
        config.testFromTrain = testFromTrain
        if let seconds { config.seconds = seconds }
        if let mashups { config.mashups = mashups }
        if let noiseClips { config.noiseClips = noiseClips }
        do {
            let quiet = global.quiet || Distributed.rank > 0
            let bars = SynthProgressBars(config, style: .detect(quiet: quiet))
            defer { bars.close() }
            let summary = try Synth.generate(config, into: out, share: Distributed.workShare, progress: bars.show)
            if !quiet {
                print(
                    "wrote \(summary.songs.count) songs, \(summary.noiseClips.count) noise clips and "
                        + "\(summary.mashups.count) mashups (\(SynthCommand.testSource(summary))) to \(summary.root) in \(String(format: "%.1f", summary.elapsed)) s; "
                        + "answers in \(summary.labelsPath)")
            }
        } catch let error as SynthError {
            throw ValidationError(SynthCommand.optionName(error))
        }
    }

    /// Where the test mashups came from, for the summary line.
    static func testSource(_ summary: SynthSummary) -> String {
        summary.testSongs.isEmpty
            ? "made of the training songs" : "made of \(summary.testSongs.count) held-out songs"
    }

    /// The error in the words of the command line (`--songs-per-genre: ...`).
    static func optionName(_ error: SynthError) -> String {
        let flag = error.subject.reduce(into: "") { name, c in
            if c.isUppercase { name += "-" + c.lowercased() } else { name.append(c) }
        }
        let known = ["songs-per-genre", "test-songs-per-genre", "seconds", "mashups", "noise-clips"]
        return known.contains(flag) ? "--\(flag): \(error.reason)" : error.description
    }
}

extension SynthScale: ExpressibleByArgument {}
