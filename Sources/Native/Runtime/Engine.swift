import COpenBLAS
import Foundation
import Synchronization

/// The process-wide state the engine has: the worker count and the random generator a script
/// seeds. Everything else is a value handed from one stage to the next.
public enum Engine {
    public static let version = "0.1.0"

    private static let workers = Mutex<Int>(ProcessInfo.processInfo.activeProcessorCount)
    private static let generator = Mutex<Random>(Random(seed: defaultSeed))

    /// The seed of a run that never called `seed(_:)`, so that unseeded runs still reproduce.
    public static let defaultSeed: UInt64 = 0x6D61_7368_7570

    /// Threads used by parallel kernels; also OpenBLAS's own pool, so the two never oversubscribe.
    public static var threads: Int {
        get { workers.withLock { $0 } }
        set {
            let n = max(1, newValue)
            workers.withLock { $0 = n }
            openblas_set_num_threads(Int32(n))
        }
    }

    /// Reseeds the process generator; a given seed reproduces every draw bit for bit.
    public static func seed(_ value: UInt64) {
        generator.withLock { $0 = Random(seed: value) }
    }

    /// Runs `body` with exclusive access to the process generator.
    public static func withRandom<T>(_ body: (inout Random) throws -> T) rethrows -> T {
        try generator.withLock { try body(&$0) }
    }

    /// The generator's state, for checkpoints; `restoreRandom` puts it back.
    public static var randomState: Random {
        get { generator.withLock { $0 } }
        set { generator.withLock { $0 = newValue } }
    }

    /// Calls `body(i)` for i in 0..<count on `threads` workers. Worker w takes the contiguous
    /// block w of the range, so which indices share a worker depends only on count and threads.
    public static func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        let n = min(threads, count)
        if n <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // Workers touch disjoint indices; the caller owns what body writes to.
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: n) { w in
                for i in (count * w / n)..<(count * (w + 1) / n) { work(i) }
            }
        }
    }
}
