// The input and output transforms of Winograd F(2x2, 3x3) (Native/NN/ConvWinograd.swift has
// the method and the matrix products between them): W neighbouring tiles per vector, 8 with AVX2
// and the baseline ISA, 16 with AVX-512; chosen at each call from the CPU's best path.
#include "isa.h"
#include "mm_kernels.h"

#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define W 8
#define V v8
#define VU v8u
#define FN(name) name##_w8
#include "winograd_body.h"
#undef W
#undef V
#undef VU
#undef FN
#undef WMASKED
#undef WMASK

#define W 16
#define V v16
#define VU v16u
#define FN(name) name##_w16
#include "winograd_body.h"
#undef W
#undef V
#undef VU
#undef FN
#undef WMASKED
#undef WMASK

/// One code path: the three transforms compiled for one ISA and width.
typedef struct {
    void (*input)(float *, ptrdiff_t, const float *, int, int, int, int, int, int, float *, int);
    void (*output)(float *, const float *, ptrdiff_t, const float *, int, int, int, int, int, int, int);
    void (*gradient)(float *, ptrdiff_t, const float *, int, int, int, int, int, int, float *, int);
} path;

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
    }                                                                                                              \
    static const path path_##name = {input_##name, output_##name, gradient_##name};

PATH(generic, , w8)
#if defined(__x86_64__)
PATH(avx2, __attribute__((target("avx2,fma"))), w8)
PATH(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), w16)
#endif

/// The path of the CPU's best ISA (and the cap).
static const path *current(void) {
#if defined(__x86_64__)
    const int isa = mm_isa_level();
    if (isa >= MM_ISA_AVX512) return &path_avx512;
    if (isa >= MM_ISA_AVX2) return &path_avx2;
#endif
    return &path_generic;
}

void mm_winograd_input(float *v, ptrdiff_t ld, const float *x, int C, int H, int width, int tiles_w, int row0,
                       int rows, float *padded, int padded_width) {
    current()->input(v, ld, x, C, H, width, tiles_w, row0, rows, padded, padded_width);
}

void mm_winograd_output(float *y, const float *m, ptrdiff_t ld, const float *bias, int OC, int H, int width,
                        int tiles_w, int row0, int rows, int relu) {
    current()->output(y, m, ld, bias, OC, H, width, tiles_w, row0, rows, relu);
}

void mm_winograd_output_gradient(float *dm, ptrdiff_t ld, const float *dy, int OC, int H, int width, int tiles_w,
                                 int row0, int rows, float *padded, int padded_width) {
    current()->gradient(dm, ld, dy, OC, H, width, tiles_w, row0, rows, padded, padded_width);
}
