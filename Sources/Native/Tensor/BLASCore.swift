import COpenBLAS
import Foundation

/// Which kernels OpenBLAS runs on this CPU. Debian's OpenBLAS picks them at load time from the
/// CPU's identity; a processor newer than its table (an AVX-512 Xeon unknown to 0.3.21, as the
/// development machine became) falls back to "Prescott", SSE3 kernels at a third or less of
/// the machine's speed (sgemm 50 against 240 GFLOP/s on its 3x3 layers). The choice can only be
/// made before the library loads, through OPENBLAS_CORETYPE, so the programs start themselves
/// again with it set (`restartWithBetterCoreIfNeeded`).
public enum BLASCore {
    /// The kernels OpenBLAS chose ("Haswell", "SkylakeX", "Prescott", ...).
    public static var name: String { String(cString: openblas_get_corename()) }

    /// Cores without AVX2: what OpenBLAS falls back to for a CPU it does not know.
    static let fallbacks: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Sandybridge"]

    /// The kernels this CPU can run that OpenBLAS missed: SkylakeX with AVX-512 (F, BW, VL, DQ,
    /// CD), Haswell with AVX2 and FMA; nil when OpenBLAS's own choice stands.
    public static func better(chosen: String = name, flags: Set<String> = cpuFlags()) -> String? {
        guard fallbacks.contains(chosen) else { return nil }
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "fma"]) {
            return "SkylakeX"
        }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags (Linux: the first "flags" line of /proc/cpuinfo).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// When OpenBLAS fell back to kernels below this CPU and OPENBLAS_CORETYPE is not set,
    /// sets it and replaces the process with a new run of the same program and arguments
    /// (same pid, so mpirun and a parent's wait see nothing change). Returns when nothing
    /// needs doing, or when the restart fails (the run goes on with the slower kernels).
    public static func restartWithBetterCoreIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, let core = better() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let arguments = CommandLine.unsafeArgv
        execv("/proc/self/exe", arguments)
        unsetenv("OPENBLAS_CORETYPE")  // execv returned: it failed
    }
}
