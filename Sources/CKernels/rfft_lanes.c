// Lane-parallel real FFT power spectra and sparse filterbanks (see mm_kernels.h).
//
// Layout: a complex sequence of m points for MM_LANES frames is an array of 2m vectors,
// x[2j] the real parts of point j and x[2j + 1] the imaginary parts, one frame per lane. Read
// as a real sequence of n = 2m points that is exactly sample order (x[i] = sample i), so
// packing a frame is a transpose and the complex FFT of z[j] = s[2j] + I s[2j+1] follows.
//
// The bodies are written once as always-inline functions and instantiated twice: for the
// baseline ISA and, on x86-64, with AVX2 and FMA enabled; the first call picks one by CPUID.
#include "mm_kernels.h"
#pragma clang diagnostic ignored "-Wpsabi"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

#define INLINE static inline __attribute__((always_inline))

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

size_t mm_rfft_lanes_scratch_floats(const mm_rfft_lanes *plan) { return 2 * 2 * (size_t)plan->m * MM_LANES; }

INLINE v8 splat(float x) { return (v8){x, x, x, x, x, x, x, x}; }

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

/// x[i] = frames[l][i] * window[i] in lane l, i < n.
INLINE void pack(const float *const *frames, const float *window, int n, v8 *x) {
    for (int i = 0; i < n; i += 8) {
        v8 w = load8(window + i);
        v8 r[8];
        for (int l = 0; l < MM_LANES; l++) r[l] = frames[l] ? load8(frames[l] + i) * w : splat(0);
        transpose8(r);
        for (int c = 0; c < 8; c++) x[i + c] = r[c];
    }
}

/// The complex DFT of the m points in `a` (layout above), X[k] = sum_j z[j] exp(-2 pi I j k / m),
/// by Stockham autosort stages between `a` and `b`, starting at the stage of length `len` and
/// stride `s` whose twiddles begin at `tw` (len m, s 1, the plan's first twiddle for the
/// whole transform), and stopping before the stage of length `stop` (1: run them all);
/// returns the buffer holding the result, or the last stage's input.
///
/// A stage of length len and stride s transforms, for every q < s, the sequence
/// in[q + s j], j < len: with a..d its points p, p + len/4, p + len/2, p + 3 len/4, it writes
/// out[q + s (4p + t)] = w^(p t) (sum_r in[q + s (p + r len/4)] (-I)^(r t)), w = exp(-2 pi I / len),
/// then the next stage transforms those length len/4 sequences with stride 4s.
/// One radix-4 butterfly on points x[0], x[step], x[2 step], x[3 step] (complex vectors),
/// written to y[0], y[o], y[2 o], y[3 o], the outputs t = 1, 2, 3 multiplied by w[t - 1]
/// unless `twiddled` is 0.
INLINE void butterfly4(const v8 *x, ptrdiff_t step, v8 *y, ptrdiff_t o, const v8 w[6], int twiddled) {
    v8 ar = x[0], ai = x[1];
    v8 br = x[step], bi = x[step + 1];
    v8 cr = x[2 * step], ci = x[2 * step + 1];
    v8 dr = x[3 * step], di = x[3 * step + 1];
    v8 apcr = ar + cr, apci = ai + ci, amcr = ar - cr, amci = ai - ci;
    v8 bpdr = br + dr, bpdi = bi + di, bmdr = br - dr, bmdi = bi - di;
    v8 t1r = amcr + bmdi, t1i = amci - bmdr;  // (a - c) - I (b - d)
    v8 t2r = apcr - bpdr, t2i = apci - bpdi;  // (a + c) - (b + d)
    v8 t3r = amcr - bmdi, t3i = amci + bmdr;  // (a - c) + I (b - d)
    y[0] = apcr + bpdr;
    y[1] = apci + bpdi;
    if (!twiddled) {
        y[o] = t1r;
        y[o + 1] = t1i;
        y[2 * o] = t2r;
        y[2 * o + 1] = t2i;
        y[3 * o] = t3r;
        y[3 * o + 1] = t3i;
        return;
    }
    y[o] = w[0] * t1r - w[1] * t1i;
    y[o + 1] = w[0] * t1i + w[1] * t1r;
    y[2 * o] = w[2] * t2r - w[3] * t2i;
    y[2 * o + 1] = w[2] * t2i + w[3] * t2r;
    y[3 * o] = w[4] * t3r - w[5] * t3i;
    y[3 * o + 1] = w[4] * t3i + w[5] * t3r;
}

/// The complex DFT of the m points in `a` (layout above), X[k] = sum_j z[j] exp(-2 pi I j k / m),
/// by Stockham autosort stages between `a` and `b`, starting at the stage of length `len` and
/// stride `s` whose twiddles begin at `tw` (len m, s 1, the plan's first twiddle for the
/// whole transform), and stopping before the stage of length `stop` (1: run them all);
/// returns the buffer holding the result, or the last stage's input.
///
/// A stage of length len and stride s transforms, for every q < s, the sequence
/// in[q + s j], j < len: with a..d its points p, p + len/4, p + len/2, p + 3 len/4, it writes
/// out[q + s (4p + t)] = w^(p t) (sum_r in[q + s (p + r len/4)] (-I)^(r t)), w = exp(-2 pi I / len),
/// then the next stage transforms those length len/4 sequences with stride 4s. The last
/// radix-4 stage (len 4) has only p = 0, whose twiddles are 1.
INLINE v8 *fft(v8 *a, v8 *b, int len, int s, const float *tw, int stop) {
    for (; len >= 4 && len > stop; len /= 4) {
        const int quarter = len / 4;
        const ptrdiff_t step = 2 * (ptrdiff_t)s * quarter;
        const ptrdiff_t o = 2 * (ptrdiff_t)s;
        if (quarter == 1) {
            for (int q = 0; q < s; q++) butterfly4(a + 2 * q, step, b + 2 * q, o, NULL, 0);
        } else {
            for (int p = 0; p < quarter; p++) {
                v8 w[6];
                for (int i = 0; i < 6; i++) w[i] = splat(tw[i]);
                tw += 6;
                const v8 *in = a + 2 * (ptrdiff_t)s * p;
                v8 *out = b + 2 * (ptrdiff_t)s * 4 * p;
                for (int q = 0; q < s; q++) butterfly4(in + 2 * q, step, out + 2 * q, o, w, 1);
            }
        }
        v8 *swap = a;
        a = b;
        b = swap;
        s *= 4;
    }
    if (len == 2 && stop < 2) {
        const ptrdiff_t o = 2 * (ptrdiff_t)s;
        for (int q = 0; q < s; q++) {
            const v8 *x = a + 2 * q;
            v8 *y = b + 2 * q;
            v8 ar = x[0], ai = x[1], br = x[o], bi = x[o + 1];
            y[0] = ar + br;
            y[1] = ai + bi;
            y[o] = ar - br;
            y[o + 1] = ai - bi;
        }
        return b;
    }
    return a;
}

/// From Z, the m-point DFT of z[j] = s[2j] + I s[2j+1], bin k of the real DFT of s:
/// X[k] = E[k] + exp(-2 pi I k / n) O[k], with E = (Z[k] + conj Z[m-k]) / 2 and
/// O = (Z[k] - conj Z[m-k]) / 2I (indices mod m); power[k] = |X[k]|^2. (zr, zi) is Z[k mod m]
/// and (yr, yi) is Z[(m - k) mod m].
INLINE void untangle_bin(const mm_rfft_lanes *plan, int k, v8 zr, v8 zi, v8 yr, v8 yi, float *power) {
    const v8 half = splat(0.5f);
    v8 er = half * (zr + yr), ei = half * (zi - yi);
    v8 or_ = half * (zi + yi), oi = half * (yr - zr);
    const v8 c = splat(plan->untangle[2 * k]), s = splat(plan->untangle[2 * k + 1]);
    v8 xr = er + c * or_ + s * oi;
    v8 xi = ei + c * oi - s * or_;
    *(v8u *)(power + (ptrdiff_t)k * MM_LANES) = xr * xr + xi * xi;
}

INLINE void untangle_power(const mm_rfft_lanes *plan, const v8 *z, int bins, float *power) {
    const int m = plan->m;
    for (int k = 0; k < bins; k++) {
        const int j = k == m ? 0 : k;
        const int r = k == 0 ? 0 : m - k;
        untangle_bin(plan, k, z[2 * j], z[2 * j + 1], z[2 * r], z[2 * r + 1], power);
    }
}

/// The last radix-4 stage (len 4, stride s = m/4, no twiddles) fused with `untangle_power`:
/// butterfly q writes Z[q + s t], t < 4, whose partners Z[m - q - s t] come from butterfly
/// s - q, so butterflies q and s - q (q <= s/2) run together and their bins are finished
/// from registers. For m a power of 4, m >= 16.
INLINE void last_stage_untangle(const mm_rfft_lanes *plan, const v8 *a, int bins, float *power) {
    const int m = plan->m, s = m / 4;
    for (int q = 0; q <= s / 2; q++) {
        const int r = (s - q) % s;
        v8 zq[8], zr[8];
        butterfly4(a + 2 * q, 2 * (ptrdiff_t)s, zq, 2, NULL, 0);
        if (r != q) butterfly4(a + 2 * r, 2 * (ptrdiff_t)s, zr, 2, NULL, 0);
        const v8 *partner = r != q ? zr : zq;
        for (int t = 0; t < 4; t++) {
            const int k = q + s * t;
            // Z[m - k] is output 3 - t of butterfly r, except for q = 0: Z[(m - s t) mod m].
            const int u = q == 0 ? (4 - t) % 4 : 3 - t;
            if (k < bins) untangle_bin(plan, k, zq[2 * t], zq[2 * t + 1], partner[2 * u], partner[2 * u + 1], power);
            if (r != q && r + s * t < bins) {
                untangle_bin(plan, r + s * t, zr[2 * t], zr[2 * t + 1], zq[2 * (3 - t)], zq[2 * (3 - t) + 1], power);
            }
        }
        if (q == 0 && bins > m) untangle_bin(plan, m, zq[0], zq[1], zq[0], zq[1], power);
    }
}

/// `pack` fused with the first radix-4 stage (len m, stride 1), which then reads the frames
/// instead of a packed copy: for p0 in steps of 4, the 8 samples at 2 p0 + r m/2 of every
/// frame (complex points p0 ... p0 + 3 + r m/4) are transposed for r < 4 and their four
/// butterflies written to `b`. Needs m/4 divisible by 4 (n >= 32).
INLINE void pack_first_stage(const mm_rfft_lanes *plan, const float *const *frames, const float *window, v8 *b) {
    const int m = plan->m, quarter = m / 4;
    const float *tw = plan->twiddles;
    for (int p0 = 0; p0 < quarter; p0 += 4) {
        v8 cols[4][8];
        for (int r = 0; r < 4; r++) {
            const int i = 2 * p0 + r * (m / 2);
            const v8 w = load8(window + i);
            for (int l = 0; l < MM_LANES; l++) cols[r][l] = frames[l] ? load8(frames[l] + i) * w : splat(0);
            transpose8(cols[r]);
        }
        for (int j = 0; j < 4; j++) {
            const int p = p0 + j;
            const v8 x[8] = {cols[0][2 * j], cols[0][2 * j + 1], cols[1][2 * j], cols[1][2 * j + 1],
                             cols[2][2 * j], cols[2][2 * j + 1], cols[3][2 * j], cols[3][2 * j + 1]};
            v8 w[6];
            for (int k = 0; k < 6; k++) w[k] = splat(tw[6 * p + k]);
            butterfly4(x, 2, b + 8 * (ptrdiff_t)p, 2, w, 1);
        }
    }
}

INLINE void power_body(const mm_rfft_lanes *plan, const float *const *frames, const float *window, int bins,
                       float *power, float *scratch) {
    v8 *a = (v8 *)scratch;
    v8 *b = a + 2 * (ptrdiff_t)plan->m;
    const int m = plan->m;
    if (m < 16) {
        pack(frames, window, plan->n, a);
        untangle_power(plan, fft(a, b, m, 1, plan->twiddles, 1), bins, power);
        return;
    }
    pack_first_stage(plan, frames, window, b);
    const float *tw = plan->twiddles + 6 * (m / 4);
    if ((m & 0x55555555) != 0) {  // a power of 4: the last stage is radix 4
        last_stage_untangle(plan, fft(b, a, m / 4, 4, tw, 4), bins, power);
    } else {
        untangle_power(plan, fft(b, a, m / 4, 4, tw, 1), bins, power);
    }
}

INLINE void filterbank_body(const float *power, const float *weights, const int *first, const int *count, int bands,
                            float *out, ptrdiff_t out_stride, int lanes) {
    const float *w = weights;
    for (int m = 0; m < bands; m++) {
        v8 sum = splat(0);
        const float *p = power + (ptrdiff_t)first[m] * MM_LANES;
        for (int k = 0; k < count[m]; k++) sum += splat(w[k]) * load8(p + k * MM_LANES);
        w += count[m];
        float *row = out + m * out_stride;
        if (lanes == MM_LANES) {
            *(v8u *)row = sum;
        } else {
            for (int l = 0; l < lanes; l++) row[l] = sum[l];
        }
    }
}

typedef int32_t v8i __attribute__((vector_size(32)));

/// log10 x for positive normal floats, as Native's fastLog10 computes it: x = 2^e m with m in
/// [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s), s = (m - 1) / (m + 1), summed to s^9.
INLINE v8 log10_v8(v8 x) {
    v8i bits = (v8i)x;
    v8i e = ((bits >> 23) & 0xFF) - 127;
    v8 m = (v8)((bits & 0x007FFFFF) | 0x3F800000);
    v8i high = m > splat(1.4142135f);
    m = (v8)(((v8i)(m * splat(0.5f)) & high) | ((v8i)m & ~high));
    e -= high;  // high is -1 where true
    v8 s = (m - splat(1)) / (m + splat(1));
    v8 s2 = s * s;
    v8 series = s2 * splat((float)(2.0 / 9)) + splat((float)(2.0 / 7));
    series = series * s2 + splat((float)(2.0 / 5));
    series = series * s2 + splat((float)(2.0 / 3));
    series = series * s2 + splat(2);
    series *= s;
    return (__builtin_convertvector(e, v8) * splat(0.69314718f) + series) * splat(0.43429448f);
}

INLINE v8 load_tail(const float *x, size_t n, float fill) {
    v8 v = splat(fill);
    for (size_t i = 0; i < n; i++) v[i] = x[i];
    return v;
}

INLINE float lane_max(v8 v) {
    float r = v[0];
    for (int i = 1; i < 8; i++) r = v[i] > r ? v[i] : r;
    return r;
}

INLINE float lane_min(v8 v) {
    float r = v[0];
    for (int i = 1; i < 8; i++) r = v[i] < r ? v[i] : r;
    return r;
}

INLINE void power_to_db_body(float *x, size_t n, float ref, float amin, float top_db, int scale) {
    if (n == 0) return;
    // Pass 1: the extremes of the power; decibels are monotonic in it.
    v8 hi = splat(-INFINITY), lo = splat(INFINITY);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v8 v = load8(x + i);
        hi = __builtin_elementwise_max(hi, v);
        lo = __builtin_elementwise_min(lo, v);
    }
    if (i < n) {
        hi = __builtin_elementwise_max(hi, load_tail(x + i, n - i, -INFINITY));
        lo = __builtin_elementwise_min(lo, load_tail(x + i, n - i, INFINITY));
    }
    const float peak = lane_max(hi), least = lane_min(lo);
    const v8 vamin = splat(amin);
    const float reference = ref < 0 ? peak : ref;
    const v8 offset = splat(10) * log10_v8(__builtin_elementwise_max(splat(reference), vamin));
    const v8 top = splat(10) * log10_v8(__builtin_elementwise_max(splat(peak), vamin)) - offset;
    const v8 floor = top_db >= 0 ? top - splat(top_db) : splat(-INFINITY);
    const v8 bottom = __builtin_elementwise_max(
        floor, splat(10) * log10_v8(__builtin_elementwise_max(splat(least), vamin)) - offset);
    const float range = top[0] - bottom[0];
    if (scale && !(range > 0)) {
        memset(x, 0, n * sizeof(float));
        return;
    }
    // Pass 2: decibels, the floor, and the scaling to [0, 1] (clamped: the bounds came from
    // the extremes of the power through the same logarithm).
    const v8 inverse = splat(1 / range);  // a product, not a quotient: the divider is the bottleneck
    for (i = 0; i < n; i += 8) {
        const size_t count = n - i < 8 ? n - i : 8;
        v8 v = count == 8 ? load8(x + i) : load_tail(x + i, count, 1);
        v8 db = __builtin_elementwise_max(splat(10) * log10_v8(__builtin_elementwise_max(v, vamin)) - offset, floor);
        if (scale) {
            db = __builtin_elementwise_min(__builtin_elementwise_max((db - bottom) * inverse, splat(0)), splat(1));
        }
        if (count == 8) {
            *(v8u *)(x + i) = db;
        } else {
            for (size_t j = 0; j < count; j++) x[i + j] = db[j];
        }
    }
}

static void power_generic(const mm_rfft_lanes *plan, const float *const *frames, const float *window, int bins,
                          float *power, float *scratch) {
    power_body(plan, frames, window, bins, power, scratch);
}

static void filterbank_generic(const float *power, const float *weights, const int *first, const int *count,
                               int bands, float *out, ptrdiff_t out_stride, int lanes) {
    filterbank_body(power, weights, first, count, bands, out, out_stride, lanes);
}

static void power_to_db_generic(float *x, size_t n, float ref, float amin, float top_db, int scale) {
    power_to_db_body(x, n, ref, amin, top_db, scale);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void power_avx2(const mm_rfft_lanes *plan, const float *const *frames,
                                                             const float *window, int bins, float *power,
                                                             float *scratch) {
    power_body(plan, frames, window, bins, power, scratch);
}

__attribute__((target("avx2,fma"))) static void filterbank_avx2(const float *power, const float *weights,
                                                                  const int *first, const int *count, int bands,
                                                                  float *out, ptrdiff_t out_stride, int lanes) {
    filterbank_body(power, weights, first, count, bands, out, out_stride, lanes);
}

__attribute__((target("avx2,fma"))) static void power_to_db_avx2(float *x, size_t n, float ref, float amin,
                                                                   float top_db, int scale) {
    power_to_db_body(x, n, ref, amin, top_db, scale);
}
#endif

#if defined(__x86_64__)
static volatile int cached_avx2 = -1;
#endif

/// 1: AVX2 and FMA; 0: the baseline, also where MASHUP_KERNELS=generic (for tests and
/// comparisons). Decided once; a racing first call decides the same.
static int use_avx2(void) {
#if defined(__x86_64__)
    volatile int *cached = &cached_avx2;
    if (*cached < 0) {
        const char *forced = getenv("MASHUP_KERNELS");
        __builtin_cpu_init();
        *cached = !(forced && strcmp(forced, "generic") == 0) && __builtin_cpu_supports("avx2") &&
                  __builtin_cpu_supports("fma");
    }
    return *cached;
#else
    return 0;
#endif
}

void mm_rfft_lanes_power(const mm_rfft_lanes *plan, const float *const *frames, const float *window, int bins,
                         float *power, float *scratch) {
#if defined(__x86_64__)
    if (use_avx2()) {
        power_avx2(plan, frames, window, bins, power, scratch);
        return;
    }
#endif
    power_generic(plan, frames, window, bins, power, scratch);
}

void mm_filterbank_lanes(const float *power, const float *weights, const int *first, const int *count, int bands,
                         float *out, ptrdiff_t out_stride, int lanes) {
#if defined(__x86_64__)
    if (use_avx2()) {
        filterbank_avx2(power, weights, first, count, bands, out, out_stride, lanes);
        return;
    }
#endif
    filterbank_generic(power, weights, first, count, bands, out, out_stride, lanes);
}

void mm_power_to_db(float *x, size_t n, float ref, float amin, float top_db, int scale) {
#if defined(__x86_64__)
    if (use_avx2()) {
        power_to_db_avx2(x, n, ref, amin, top_db, scale);
        return;
    }
#endif
    power_to_db_generic(x, n, ref, amin, top_db, scale);
}

const char *mm_kernels_isa(void) { return use_avx2() ? "avx2+fma" : "generic"; }

void mm_kernels_force_generic(int generic) {
#if defined(__x86_64__)
    if (generic) {
        cached_avx2 = 0;
    } else {
        cached_avx2 = -1;
        (void)use_avx2();
    }
#else
    (void)generic;
#endif
}
