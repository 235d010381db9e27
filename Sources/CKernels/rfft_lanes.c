// Lane-parallel real FFT power spectra and sparse filterbanks (see mm_kernels.h).
//
// Layout: a complex sequence of m points for MM_LANES frames is an array of 2m vectors,
// x[2j] the real parts of point j and x[2j + 1] the imaginary parts, one frame per lane. Read
// as a real sequence of n = 2m points that is exactly sample order (x[i] = sample i), so
// packing a frame is a transpose and the complex FFT of z[j] = s[2j] + I s[2j+1] follows.
//
// The bodies (rfft_lanes_body.h) are written once as always-inline functions over a vector of
// W floats and instantiated for 8 lanes (the baseline ISA and, on x86-64, AVX2 with FMA) and
// 16 lanes (AVX-512; also AVX2 and the baseline, for a caller holding 16-lane memory after the
// code path was capped); the first call picks the CPU's best by CPUID.
#include "isa.h"
#include "mm_kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mm_rfft_lanes {
    int n;             // real points
    int m;             // complex points, n / 2
    float *twiddles;   // radix-4 stages in order: for each p < len/4, cos and -sin of 2 pi p t / len, t = 1, 2, 3
    float *untangle;   // for k <= m: cos and sin of 2 pi k / n
};

mm_rfft_lanes *mm_rfft_lanes_create(int n) {
    if (n < 16 || n > (1 << 20) || (n & (n - 1)) != 0) return NULL;
    mm_rfft_lanes *plan = calloc(1, sizeof *plan);
    if (!plan) return NULL;
    plan->n = n;
    plan->m = n / 2;
    size_t count = 0;
    for (int len = plan->m; len >= 4; len /= 4) count += 6 * (size_t)(len / 4);
    plan->twiddles = malloc((count ? count : 1) * sizeof(float));
    plan->untangle = malloc(2 * ((size_t)plan->m + 1) * sizeof(float));
    if (!plan->twiddles || !plan->untangle) {
        mm_rfft_lanes_destroy(plan);
        return NULL;
    }
    float *w = plan->twiddles;
    for (int len = plan->m; len >= 4; len /= 4) {
        for (int p = 0; p < len / 4; p++) {
            for (int t = 1; t <= 3; t++) {
                double angle = 2.0 * M_PI * (double)p * t / len;
                *w++ = (float)cos(angle);
                *w++ = (float)-sin(angle);
            }
        }
    }
    for (int k = 0; k <= plan->m; k++) {
        double angle = 2.0 * M_PI * k / n;
        plan->untangle[2 * k] = (float)cos(angle);
        plan->untangle[2 * k + 1] = (float)sin(angle);
    }
    return plan;
}

void mm_rfft_lanes_destroy(mm_rfft_lanes *plan) {
    if (!plan) return;
    free(plan->twiddles);
    free(plan->untangle);
    free(plan);
}

size_t mm_rfft_lanes_scratch_floats(const mm_rfft_lanes *plan, int lanes) { return 2 * 2 * (size_t)plan->m * lanes; }

INLINE v8 load8(const float *p) { return *(const v8u *)p; }

/// Rows r[0..7] (lane l = frame l, 8 consecutive samples) to columns (sample c across lanes).
INLINE void transpose8(v8 r[8]) {
    v8 t0 = __builtin_shufflevector(r[0], r[1], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t1 = __builtin_shufflevector(r[0], r[1], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t2 = __builtin_shufflevector(r[2], r[3], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t3 = __builtin_shufflevector(r[2], r[3], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t4 = __builtin_shufflevector(r[4], r[5], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t5 = __builtin_shufflevector(r[4], r[5], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 t6 = __builtin_shufflevector(r[6], r[7], 0, 8, 1, 9, 4, 12, 5, 13);
    v8 t7 = __builtin_shufflevector(r[6], r[7], 2, 10, 3, 11, 6, 14, 7, 15);
    v8 u0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    v8 u6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
    v8 u7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    r[0] = __builtin_shufflevector(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11);
    r[4] = __builtin_shufflevector(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);
    r[1] = __builtin_shufflevector(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11);
    r[5] = __builtin_shufflevector(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);
    r[2] = __builtin_shufflevector(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11);
    r[6] = __builtin_shufflevector(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);
    r[3] = __builtin_shufflevector(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11);
    r[7] = __builtin_shufflevector(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);
}

#define W 8
#define V v8
#define VU v8u
#define VI v8i
#define FN(name) name##_w8
#include "rfft_lanes_body.h"
#undef W
#undef V
#undef VU
#undef VI
#undef FN

#define W 16
#define V v16
#define VU v16u
#define VI v16i
#define FN(name) name##_w16
#include "rfft_lanes_body.h"
#undef W
#undef V
#undef VU
#undef VI
#undef FN

/// One code path: the kernels compiled for one ISA and width.
typedef struct {
    void (*power)(const mm_rfft_lanes *, const float *const *, const float *, int, float *, float *);
    void (*filterbank)(const float *, const float *, const int *, const int *, int, float *, ptrdiff_t, int);
    void (*power_to_db)(float *, size_t, float, float, float, int);
} path;

#define PATH(name, target, w)                                                                                     \
    target static void power_##name(const mm_rfft_lanes *plan, const float *const *frames, const float *window,  \
                                    int bins, float *power, float *scratch) {                                    \
        power_body_##w(plan, frames, window, bins, power, scratch);                                              \
    }                                                                                                             \
    target static void filterbank_##name(const float *power, const float *weights, const int *first,            \
                                         const int *count, int bands, float *out, ptrdiff_t stride, int frames) { \
        filterbank_body_##w(power, weights, first, count, bands, out, stride, frames);                           \
    }                                                                                                             \
    target static void power_to_db_##name(float *x, size_t n, float ref, float amin, float top_db, int scale) {  \
        power_to_db_body_##w(x, n, ref, amin, top_db, scale);                                                    \
    }                                                                                                             \
    static const path path_##name = {power_##name, filterbank_##name, power_to_db_##name};

PATH(generic8, , w8)
PATH(generic16, , w16)
#if defined(__x86_64__)
PATH(avx2, __attribute__((target("avx2,fma"))), w8)
PATH(avx2x16, __attribute__((target("avx2,fma"))), w16)
PATH(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), w16)
#endif

/// The path for memory laid out in `lanes` lanes (8 or 16) on this CPU and cap.
static const path *path_for(int lanes) {
#if defined(__x86_64__)
    const int isa = mm_isa_level();
    if (lanes == 16) return isa >= MM_ISA_AVX512 ? &path_avx512 : isa >= MM_ISA_AVX2 ? &path_avx2x16 : &path_generic16;
    return isa >= MM_ISA_AVX2 ? &path_avx2 : &path_generic8;
#else
    return lanes == 16 ? &path_generic16 : &path_generic8;
#endif
}

int mm_kernels_lanes(void) { return mm_isa_level() >= MM_ISA_AVX512 ? 16 : 8; }

void mm_rfft_lanes_power(const mm_rfft_lanes *plan, int lanes, const float *const *frames, const float *window,
                         int bins, float *power, float *scratch) {
    path_for(lanes)->power(plan, frames, window, bins, power, scratch);
}

void mm_filterbank_lanes(const float *power, int lanes, const float *weights, const int *first, const int *count,
                         int bands, float *out, ptrdiff_t out_stride, int frames) {
    path_for(lanes)->filterbank(power, weights, first, count, bands, out, out_stride, frames);
}

void mm_power_to_db(float *x, size_t n, float ref, float amin, float top_db, int scale) {
    path_for(mm_kernels_lanes())->power_to_db(x, n, ref, amin, top_db, scale);
}
