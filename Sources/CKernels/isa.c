// The code path every kernel takes: the best this CPU runs (by CPUID, once), capped by
// MASHUP_KERNELS (generic, avx2; avx512 caps nothing) at the first call and by mm_kernels_cap.
// The programs refuse any other value before a kernel runs (Native's CodePaths.environmentError).
#include "isa.h"
#include "mm_kernels.h"

#include <stdlib.h>
#include <string.h>

/// Decided once; a racing first call decides the same.
static volatile int cpu_best = -1, cap = MM_ISA_AVX512;

int mm_isa_level(void) {
    if (cpu_best < 0) {
        int best = MM_ISA_GENERIC;
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = MM_ISA_AVX2;
        // Zen 4 runs 512-bit operations as two 256-bit halves: there a 16-lane FFT measured
        // slower than 8 lanes (1.61 against 1.35 ms), so it keeps the AVX2 path.
        if (best == MM_ISA_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") && !__builtin_cpu_is("znver4")) {
            best = MM_ISA_AVX512;
        }
#endif
        const char *forced = getenv("MASHUP_KERNELS");
        if (forced && strcmp(forced, "generic") == 0) cap = MM_ISA_GENERIC;
        if (forced && strcmp(forced, "avx2") == 0 && best > MM_ISA_AVX2) cap = MM_ISA_AVX2;
        cpu_best = best;
    }
    return cpu_best < cap ? cpu_best : cap;
}

const char *mm_kernels_isa(void) {
    switch (mm_isa_level()) {
    case MM_ISA_AVX512: return "avx512";
    case MM_ISA_AVX2: return "avx2+fma";
    default: return "generic";
    }
}

void mm_kernels_cap(int isa) {
    (void)mm_isa_level();
    cap = isa;
}
