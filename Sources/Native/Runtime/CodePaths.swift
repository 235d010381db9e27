import Foundation

/// The environment variables that pick a code path, for comparisons: `MASHUP_CONV` (the
/// convolution algorithm, `ConvAlgorithm.initial`) and `MASHUP_KERNELS` (the CKernels path:
/// generic, avx2, or avx512, which caps nothing; read by CKernels' isa.c at its first call).
/// The programs check them before any work, so that a misspelt value is refused instead of
/// passing for the default unseen.
public enum CodePaths {
    /// What is wrong with the environment's choices, nil when each is unset or valid.
    public static var environmentError: String? {
        if let problem = ConvAlgorithm.environmentError { return problem }
        guard let forced = ProcessInfo.processInfo.environment["MASHUP_KERNELS"],
            !["generic", "avx2", "avx512"].contains(forced)
        else { return nil }
        return "MASHUP_KERNELS: 'generic', 'avx2' or 'avx512' expected, got '\(forced)'"
    }
}
