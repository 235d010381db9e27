// Private to CKernels: which code path the kernels take, and the vector types they are
// written in (8 floats for AVX2 and the baseline, 16 for AVX-512; "u": 4-byte aligned).
#ifndef MM_ISA_H
#define MM_ISA_H

#include <stdint.h>

// Vectors pass between always-inline functions only, never across a call boundary whose ABI
// the target attributes would change.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64)));

#define INLINE static inline __attribute__((always_inline))

/// The best MM_ISA_ level this CPU runs, capped by MASHUP_KERNELS and mm_kernels_cap.
int mm_isa_level(void);

#endif
