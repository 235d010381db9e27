// The input and output transforms of Winograd F(2x2, 3x3) (Native/NN/ConvWinograd.swift has
// the method and the matrix products between them): W neighbouring tiles per vector, 8 with AVX2
// and the baseline ISA, 16 with AVX-512; chosen at each call from the CPU's best path.
#include "isa.h"
#include "mm_kernels.h"

#include <string.h>

#define W 8
#define V v8
#define VU v8u
#define FN(name) name##_w8
#include "winograd_body.h"
#undef W
#undef V
#undef VU
#undef FN

#define W 16
#define V v16
#define VU v16u
#define FN(name) name##_w16
#include "winograd_body.h"
#undef W
#undef V
#undef VU
#undef FN

#define PATH(name, target, w)                                                                                      \
    target static void input_##name(float *v, ptrdiff_t ld, const float *x, int C, int H, int width, int tiles_w, \
                                    int row0, int rows, float *padded, int padded_width) {                         \
        input_body_##w(v, ld, x, C, H, width, tiles_w, row0, rows, padded, padded_width);                         \
    }                                                                                                              \
    target static void output_##name(float *y, const float *m, ptrdiff_t ld, const float *bias, int OC, int H,   \
                                     int width, int tiles_w, int row0, int rows, int relu) {                      \
        output_body_##w(y, m, ld, bias, OC, H, width, tiles_w, row0, rows, relu);                                 \
    }                                                                                                              \
    target static void gradient_##name(float *dm, ptrdiff_t ld, const float *dy, int OC, int H, int width,       \
                                       int tiles_w, int row0, int rows, float *padded, int padded_width) {        \
        gradient_body_##w(dm, ld, dy, OC, H, width, tiles_w, row0, rows, padded, padded_width);                   \
    }

PATH(generic, , w8)
#if defined(__x86_64__)
PATH(avx2, __attribute__((target("avx2,fma"))), w8)
PATH(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), w16)
#endif

void mm_winograd_input(float *v, ptrdiff_t ld, const float *x, int C, int H, int width, int tiles_w, int row0,
                       int rows, float *padded, int padded_width) {
#if defined(__x86_64__)
    const int isa = mm_isa_level();
    if (isa >= MM_ISA_AVX512) return input_avx512(v, ld, x, C, H, width, tiles_w, row0, rows, padded, padded_width);
    if (isa >= MM_ISA_AVX2) return input_avx2(v, ld, x, C, H, width, tiles_w, row0, rows, padded, padded_width);
#endif
    input_generic(v, ld, x, C, H, width, tiles_w, row0, rows, padded, padded_width);
}

void mm_winograd_output(float *y, const float *m, ptrdiff_t ld, const float *bias, int OC, int H, int width,
                        int tiles_w, int row0, int rows, int relu) {
#if defined(__x86_64__)
    const int isa = mm_isa_level();
    if (isa >= MM_ISA_AVX512) return output_avx512(y, m, ld, bias, OC, H, width, tiles_w, row0, rows, relu);
    if (isa >= MM_ISA_AVX2) return output_avx2(y, m, ld, bias, OC, H, width, tiles_w, row0, rows, relu);
#endif
    output_generic(y, m, ld, bias, OC, H, width, tiles_w, row0, rows, relu);
}

void mm_winograd_output_gradient(float *dm, ptrdiff_t ld, const float *dy, int OC, int H, int width, int tiles_w,
                                 int row0, int rows, float *padded, int padded_width) {
#if defined(__x86_64__)
    const int isa = mm_isa_level();
    if (isa >= MM_ISA_AVX512) return gradient_avx512(dm, ld, dy, OC, H, width, tiles_w, row0, rows, padded, padded_width);
    if (isa >= MM_ISA_AVX2) return gradient_avx2(dm, ld, dy, OC, H, width, tiles_w, row0, rows, padded, padded_width);
#endif
    gradient_generic(dm, ld, dy, OC, H, width, tiles_w, row0, rows, padded, padded_width);
}
