import Foundation
import Native

/// Data-parallel training of the reference SE-ResNet (issue 14): one global batch of 16
/// spectrograms of 128 x 1292 per step, each rank training on its share and the gradients
/// averaged over the ranks (`Distributed.averageGradients`, one all-reduce of the flat gradient
/// block). Run alone (one process) and under `mpirun -np N` (tools/bench.sh runs 1 x 2 threads
/// and 2 ranks x 1 thread); rank 0 prints samples/s and the all-reduce's time and share of a step.
/// DIST_BENCH_THREADS sets the threads per process, DIST_BENCH_STEPS the timed steps, and
/// DIST_BENCH_BUCKET_MB > 0 overlaps the all-reduce with backward in buckets of that many MiB
/// (`Distributed.overlap`): the time reported is then what the step still waits after backward.
enum DistributedBench {
    static func run() throws {
        try Distributed.start()
        defer { Distributed.finish() }
        let env = ProcessInfo.processInfo.environment
        if let threads = Int(env["DIST_BENCH_THREADS"] ?? "") { Engine.threads = threads }
        let steps = Int(env["DIST_BENCH_STEPS"] ?? "") ?? 2
        let (rank, size, global) = (Distributed.rank, Distributed.size, 16)
        let local = (global * (rank + 1)) / size - (global * rank) / size
        Engine.seed(1)
        let config = SEResNetConfig()
        let net = try SEResNet(config)
        let opt = try AdamW(net.parameters, learningRate: 1e-3, weightDecay: 1e-4)
        let x = NNBench.random([local, 1, 128, 1292])
        let labels = (0..<local).map { ($0 + rank) % config.classes }
        let bucketMB = Double(env["DIST_BENCH_BUCKET_MB"] ?? "") ?? 0
        let buckets =
            bucketMB > 0 ? try Distributed.overlap(net, opt.flat, bucketBytes: Int(bucketMB * 1_048_576)) : nil
        var reduce = 0.0
        func step() throws {
            opt.zeroGrad()
            let (_, d) = try crossEntropy(try net.forward(x), labels: labels, labelSmoothing: 0.1)
            try buckets?.beginBackward(examples: local)
            _ = try net.backward(d)
            let started = Date()
            try Distributed.averageGradients(opt.flat, examples: local)
            reduce = Date().timeIntervalSince(started)
            opt.step()
        }
        try step()  // the first step allocates every buffer
        var best = Double.infinity
        var bestReduce = 0.0
        for _ in 0..<steps {
            try Distributed.barrier()
            let started = Date()
            try step()
            var took = [Date().timeIntervalSince(started)]
            try Distributed.allreduce(&took, .max)  // a step ends when the slowest rank's does
            if took[0] < best { (best, bestReduce) = (took[0], reduce) }
        }
        guard rank == 0 else { return }
        let layout = "\(size)x\(Engine.threads)" + (buckets != nil ? ".overlap" : "")
        let fields = [
            "\"suite\":\"dist\"", "\"name\":\"seresnet.\(layout).train\"", "\"value\":\(Double(global) / best)",
            "\"unit\":\"samples/s\"", "\"ranks\":\(size)", "\"threads\":\(Engine.threads)",
            "\"step_s\":\(best)", "\"allreduce_s\":\(bestReduce)", "\"allreduce_share\":\(bestReduce / best)",
            "\"gradient_mib\":\(Double(opt.flat.count * 4) / 1_048_576)", "\"buckets\":\(buckets?.buckets.count ?? 1)",
        ]
        print("{\(fields.joined(separator: ","))}")
    }
}
