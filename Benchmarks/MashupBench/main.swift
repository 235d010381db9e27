import Foundation
import Native

// `mashup-bench [SUITE ...]` runs the named suites (all when none is named) and prints one
// JSON object per measurement on stdout; tools/bench.sh gathers them into BENCHMARKS.md.

let suites: [(name: String, run: () throws -> Void)] = [
    ("dsp", DSPBench.run),
    ("nn", NNBench.run),
    ("synth", SynthBench.run),
    ("pipeline", PipelineBench.run),
    ("cache", CacheBench.run),
    ("dist", DistributedBench.run),
]

BLASCore.restartWithBetterCoreIfNeeded()  // the kernels `mashup` runs with
let wanted = Set(CommandLine.arguments.dropFirst())
for suite in suites where wanted.isEmpty || wanted.contains(suite.name) {
    do {
        try suite.run()
    } catch {
        FileHandle.standardError.write(Data("mashup-bench: \(suite.name): \(error)\n".utf8))
        exit(1)
    }
}
