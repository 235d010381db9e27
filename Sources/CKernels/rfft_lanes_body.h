// The lane kernels' bodies, written once for a vector of W floats and included by rfft_lanes.c
// once per width (8: AVX2 and the baseline; 16: AVX-512). Before including, define W, V (the
// vector of W floats), VU (the same, 4-byte aligned), VI (W int32) and FN(name) (the
// width's name for a function). Every lane runs the same operations in the same order at
// either width, so a frame's result does not depend on W or on its lane.

/// x in every lane: one broadcast. (Written as (V){0} + x it was a scalar add of zero before
/// each broadcast, which IEEE arithmetic may not drop: 0 + -0 is +0.)
INLINE V FN(splat)(float x) {
    V v;
    for (int l = 0; l < W; l++) v[l] = x;
    return v;
}

INLINE V FN(load)(const float *p) { return *(const VU *)p; }

/// Sample c of 8 consecutive ones (from sample i) of every frame, times the window, as out[c]
/// with frame l in lane l; a NULL frame is zeros.
INLINE void FN(columns)(const float *const *frames, const float *window, int i, V out[8]) {
    const v8 w = load8(window + i);
    v8 r[8];
#if W == 8
    for (int l = 0; l < 8; l++) r[l] = frames[l] ? load8(frames[l] + i) * w : (v8){0};
    transpose8(r);
    for (int c = 0; c < 8; c++) out[c] = r[c];
#else
    v8 s[8];
    for (int l = 0; l < 8; l++) r[l] = frames[l] ? load8(frames[l] + i) * w : (v8){0};
    for (int l = 0; l < 8; l++) s[l] = frames[8 + l] ? load8(frames[8 + l] + i) * w : (v8){0};
    transpose8(r);
    transpose8(s);
    for (int c = 0; c < 8; c++) {
        out[c] = __builtin_shufflevector(r[c], s[c], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    }
#endif
}

/// x[i] = frames[l][i] * window[i] in lane l, i < n.
INLINE void FN(pack)(const float *const *frames, const float *window, int n, V *x) {
    for (int i = 0; i < n; i += 8) FN(columns)(frames, window, i, x + i);
}

/// One radix-4 butterfly on points x[0], x[step], x[2 step], x[3 step] (complex vectors),
/// written to y[0], y[o], y[2 o], y[3 o], the outputs t = 1, 2, 3 multiplied by w[t - 1]
/// unless `twiddled` is 0.
INLINE void FN(butterfly4)(const V *x, ptrdiff_t step, V *y, ptrdiff_t o, const V w[6], int twiddled) {
    V ar = x[0], ai = x[1];
    V br = x[step], bi = x[step + 1];
    V cr = x[2 * step], ci = x[2 * step + 1];
    V dr = x[3 * step], di = x[3 * step + 1];
    V apcr = ar + cr, apci = ai + ci, amcr = ar - cr, amci = ai - ci;
    V bpdr = br + dr, bpdi = bi + di, bmdr = br - dr, bmdi = bi - di;
    V t1r = amcr + bmdi, t1i = amci - bmdr;  // (a - c) - I (b - d)
    V t2r = apcr - bpdr, t2i = apci - bpdi;  // (a + c) - (b + d)
    V t3r = amcr - bmdi, t3i = amci + bmdr;  // (a - c) + I (b - d)
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
INLINE V *FN(fft)(V *a, V *b, int len, int s, const float *tw, int stop) {
    for (; len >= 4 && len > stop; len /= 4) {
        const int quarter = len / 4;
        const ptrdiff_t step = 2 * (ptrdiff_t)s * quarter;
        const ptrdiff_t o = 2 * (ptrdiff_t)s;
        if (quarter == 1) {
            for (int q = 0; q < s; q++) FN(butterfly4)(a + 2 * q, step, b + 2 * q, o, NULL, 0);
        } else {
            for (int p = 0; p < quarter; p++) {
                V w[6];
                for (int i = 0; i < 6; i++) w[i] = FN(splat)(tw[i]);
                tw += 6;
                const V *in = a + 2 * (ptrdiff_t)s * p;
                V *out = b + 2 * (ptrdiff_t)s * 4 * p;
                for (int q = 0; q < s; q++) FN(butterfly4)(in + 2 * q, step, out + 2 * q, o, w, 1);
            }
        }
        V *swap = a;
        a = b;
        b = swap;
        s *= 4;
    }
    if (len == 2 && stop < 2) {
        const ptrdiff_t o = 2 * (ptrdiff_t)s;
        for (int q = 0; q < s; q++) {
            const V *x = a + 2 * q;
            V *y = b + 2 * q;
            V ar = x[0], ai = x[1], br = x[o], bi = x[o + 1];
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
///
/// The halves are taken out of E and O and put back as a quarter of the power: scaling by a
/// power of two commutes with rounding, so the bits are those of the halved terms (for powers
/// above the smallest normal float), in 3 fewer operations a bin.
INLINE void FN(untangle_bin)(const mm_rfft_lanes *plan, int k, V zr, V zi, V yr, V yi, float *power) {
    V er = zr + yr, ei = zi - yi;  // 2 E
    V or_ = zi + yi, oi = yr - zr;  // 2 O
    const V c = FN(splat)(plan->untangle[2 * k]), s = FN(splat)(plan->untangle[2 * k + 1]);
    V xr = er + c * or_ + s * oi;  // 2 X
    V xi = ei + c * oi - s * or_;
    *(VU *)(power + (ptrdiff_t)k * W) = (xr * xr + xi * xi) * FN(splat)(0.25f);
}

INLINE void FN(untangle_power)(const mm_rfft_lanes *plan, const V *z, int bins, float *power) {
    const int m = plan->m;
    for (int k = 0; k < bins; k++) {
        const int j = k == m ? 0 : k;
        const int r = k == 0 ? 0 : m - k;
        FN(untangle_bin)(plan, k, z[2 * j], z[2 * j + 1], z[2 * r], z[2 * r + 1], power);
    }
}

/// The last radix-4 stage (len 4, stride s = m/4, no twiddles) fused with `untangle_power`:
/// butterfly q writes Z[q + s t], t < 4, whose partners Z[m - q - s t] come from butterfly
/// s - q, so butterflies q and s - q (q <= s/2) run together and their bins are finished
/// from registers. For m a power of 4, m >= 16.
INLINE void FN(last_stage_untangle)(const mm_rfft_lanes *plan, const V *a, int bins, float *power) {
    const int m = plan->m, s = m / 4;
    for (int q = 0; q <= s / 2; q++) {
        const int r = (s - q) % s;
        V zq[8], zr[8];
        FN(butterfly4)(a + 2 * q, 2 * (ptrdiff_t)s, zq, 2, NULL, 0);
        if (r != q) FN(butterfly4)(a + 2 * r, 2 * (ptrdiff_t)s, zr, 2, NULL, 0);
        const V *partner = r != q ? zr : zq;
        for (int t = 0; t < 4; t++) {
            const int k = q + s * t;
            // Z[m - k] is output 3 - t of butterfly r, except for q = 0: Z[(m - s t) mod m].
            const int u = q == 0 ? (4 - t) % 4 : 3 - t;
            if (k < bins) FN(untangle_bin)(plan, k, zq[2 * t], zq[2 * t + 1], partner[2 * u], partner[2 * u + 1], power);
            if (r != q && r + s * t < bins) {
                FN(untangle_bin)(plan, r + s * t, zr[2 * t], zr[2 * t + 1], zq[2 * (3 - t)], zq[2 * (3 - t) + 1],
                                 power);
            }
        }
        if (q == 0 && bins > m) FN(untangle_bin)(plan, m, zq[0], zq[1], zq[0], zq[1], power);
    }
}

/// `pack` fused with the first radix-4 stage (len m, stride 1), which then reads the frames
/// instead of a packed copy: for p0 in steps of 4, the 8 samples at 2 p0 + r m/2 of every
/// frame (complex points p0 ... p0 + 3 + r m/4) are transposed for r < 4 and their four
/// butterflies written to `b`. Needs m/4 divisible by 4 (n >= 32).
INLINE void FN(pack_first_stage)(const mm_rfft_lanes *plan, const float *const *frames, const float *window, V *b) {
    const int m = plan->m, quarter = m / 4;
    const float *tw = plan->twiddles;
    for (int p0 = 0; p0 < quarter; p0 += 4) {
        V cols[4][8];
        for (int r = 0; r < 4; r++) FN(columns)(frames, window, 2 * p0 + r * (m / 2), cols[r]);
        for (int j = 0; j < 4; j++) {
            const int p = p0 + j;
            const V x[8] = {cols[0][2 * j], cols[0][2 * j + 1], cols[1][2 * j], cols[1][2 * j + 1],
                            cols[2][2 * j], cols[2][2 * j + 1], cols[3][2 * j], cols[3][2 * j + 1]};
            V w[6];
            for (int k = 0; k < 6; k++) w[k] = FN(splat)(tw[6 * p + k]);
            FN(butterfly4)(x, 2, b + 8 * (ptrdiff_t)p, 2, w, 1);
        }
    }
}

/// Whether the frames lie evenly n/4 samples apart (the mel step's hop, away from the signal's
/// ends, where frames are zero-padded copies): then `shifted_columns` can load them.
INLINE int FN(evenly_spaced)(const float *const *frames, int n) {
    if (n % 4) return 0;
    for (int l = 0; l < W; l++) {
        if (!frames[l] || frames[l] != frames[0] + (ptrdiff_t)l * (n / 4)) return 0;
    }
    return 1;
}

/// `columns` at samples i, i + h, i + 2h and i + 3h (h = n/4, i + 8 <= h) of evenly spaced
/// frames, into cols[j + 4k][c] for sample i + c + k h: sample i + c + k h of frame l is sample
/// i + c of frame l + k, so one transpose of the W + 3 rows row0[(l) h + i ...] gives all four,
/// lane-shifted by k (the three rows past the last frame are inside its span). Half the
/// transposes and a third of the loads of four `columns`; the same products, the same bits.
INLINE void FN(shifted_columns)(const float *row0, int h, const float *window, int i, V cols[16][8], int j) {
    v8 r[8], t[8];
    for (int l = 0; l < 8; l++) r[l] = load8(row0 + (ptrdiff_t)l * h + i);
    for (int l = 0; l < 8; l++) t[l] = l < 3 ? load8(row0 + (ptrdiff_t)(W + l) * h + i) : (v8){0};
    transpose8(r);
    transpose8(t);
#if W == 16
    v8 u[8];
    for (int l = 0; l < 8; l++) u[l] = load8(row0 + (ptrdiff_t)(8 + l) * h + i);
    transpose8(u);
#endif
    for (int c = 0; c < 8; c++) {
#if W == 8
        const V lo = r[c], hi = t[c];
        cols[j][c] = lo * FN(splat)(window[i + c]);
        cols[j + 4][c] = __builtin_shufflevector(lo, hi, 1, 2, 3, 4, 5, 6, 7, 8) * FN(splat)(window[i + c + h]);
        cols[j + 8][c] = __builtin_shufflevector(lo, hi, 2, 3, 4, 5, 6, 7, 8, 9) * FN(splat)(window[i + c + 2 * h]);
        cols[j + 12][c] =
            __builtin_shufflevector(lo, hi, 3, 4, 5, 6, 7, 8, 9, 10) * FN(splat)(window[i + c + 3 * h]);
#else
        const V lo = __builtin_shufflevector(r[c], u[c], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const V hi = __builtin_shufflevector(t[c], t[c], 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7);
        cols[j][c] = lo * FN(splat)(window[i + c]);
        cols[j + 4][c] = __builtin_shufflevector(lo, hi, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16) *
                         FN(splat)(window[i + c + h]);
        cols[j + 8][c] = __builtin_shufflevector(lo, hi, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17) *
                         FN(splat)(window[i + c + 2 * h]);
        cols[j + 12][c] =
            __builtin_shufflevector(lo, hi, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18) *
            FN(splat)(window[i + c + 3 * h]);
#endif
    }
}

/// `pack_first_stage` fused with the second stage (length m/4, stride 4), for transforms with
/// at least two stages before the per-sequence ones: for p2 < m/16, the 16 points p2 + j m/16
/// of every frame feed four first-stage butterflies (p = p2 + k m/16, points j = k + 4u) whose
/// outputs t = q feed second-stage butterfly (p2, q), which writes Z's stage-2 layout (complex
/// q + 16 p2 + 4 t2) to `b`. The same operations in the same order as the two stages apart,
/// without the first stage's output going through memory. Needs m/16 divisible by 4 (n >= 128).
INLINE void FN(pack_first_two_stages)(const mm_rfft_lanes *plan, const float *const *frames, const float *window,
                                      V *b) {
    const int m = plan->m, sixteenth = m / 16;
    const float *tw1 = plan->twiddles, *tw2 = plan->twiddles + 6 * (m / 4);
    const int even = FN(evenly_spaced)(frames, plan->n);
    for (int p0 = 0; p0 < sixteenth; p0 += 4) {
        V cols[16][8];
        if (even) {
            // points j + 4k lie k n/4 samples after points j
            for (int j = 0; j < 4; j++) FN(shifted_columns)(frames[0], plan->n / 4, window, 2 * p0 + j * (m / 8), cols, j);
        } else {
            for (int j = 0; j < 16; j++) FN(columns)(frames, window, 2 * p0 + j * (m / 8), cols[j]);
        }
        for (int i = 0; i < 4; i++) {
            const int p2 = p0 + i;
            V t[4][8];
            for (int k = 0; k < 4; k++) {
                const V x[8] = {cols[k][2 * i],     cols[k][2 * i + 1],     cols[k + 4][2 * i],
                                cols[k + 4][2 * i + 1], cols[k + 8][2 * i], cols[k + 8][2 * i + 1],
                                cols[k + 12][2 * i], cols[k + 12][2 * i + 1]};
                const float *tw = tw1 + 6 * (p2 + sixteenth * k);
                V w[6];
                for (int e = 0; e < 6; e++) w[e] = FN(splat)(tw[e]);
                FN(butterfly4)(x, 2, t[k], 2, w, 1);
            }
            V w[6];
            for (int e = 0; e < 6; e++) w[e] = FN(splat)(tw2[6 * p2 + e]);
            for (int q = 0; q < 4; q++) {
                const V x[8] = {t[0][2 * q], t[0][2 * q + 1], t[1][2 * q], t[1][2 * q + 1],
                                t[2][2 * q], t[2][2 * q + 1], t[3][2 * q], t[3][2 * q + 1]};
                FN(butterfly4)(x, 2, b + 32 * (ptrdiff_t)p2 + 2 * q, 8, w, 1);
            }
        }
    }
}

/// The DFT of sequence q of the s interleaved in `a` (points a[q + s j], j < len), by the
/// stages `fft` would run on a copy of it, the first reading `a` in place: the result in `x` or
/// `y` (each 2 len vectors), as `fft` returns it.
INLINE V *FN(sequence_fft)(const V *a, int s, int q, int len, const float *tw, V *x, V *y) {
    const int quarter = len / 4;
    for (int p = 0; p < quarter; p++) {
        V w[6];
        for (int i = 0; i < 6; i++) w[i] = FN(splat)(tw[6 * p + i]);
        FN(butterfly4)(a + 2 * (q + (ptrdiff_t)s * p), 2 * (ptrdiff_t)s * quarter, y + 8 * (ptrdiff_t)p, 2, w, 1);
    }
    return FN(fft)(y, x, quarter, 4, tw + 6 * quarter, 1);
}

/// The last stages of the transform per sequence, in L1, fused with `untangle_power`. After the
/// global stages down to length `len` (stride s = m / len), `a` holds s interleaved sequences
/// a[q + s j], j < len, whose remaining stages would write Z[q + s t], t < len. Sequence q and
/// its partner s - q (whose points pair with q's in the untangling: Z[m - q - s t] is point
/// len - 1 - t of sequence s - q, and for q = 0 point (len - t) mod len of sequence 0) are
/// copied out, finished by `fft` in `local` (8 len vectors) and untangled from there, so
/// those stages run in the first-level cache instead of streaming the whole transform
/// through the second once per stage. Same operations in the same order as the global stages.
INLINE void FN(local_untangle)(const mm_rfft_lanes *plan, const V *a, int len, const float *tw, int bins, float *power,
                               V *local) {
    const int m = plan->m, s = m / len;
    V *bq = local, *tq = local + 2 * len, *br = local + 4 * len, *tr = local + 6 * len;
    for (int q = 0; q <= s / 2; q++) {
        const int r = (s - q) % s;
        const V *zq = FN(sequence_fft)(a, s, q, len, tw, bq, tq), *zr = zq;
        if (r != q) zr = FN(sequence_fft)(a, s, r, len, tw, br, tr);
        for (int t = 0; t < len; t++) {
            const int k = q + s * t;
            const int u = q == 0 ? (len - t) % len : len - 1 - t;  // where Z[m - k] lies in zr
            if (k < bins) FN(untangle_bin)(plan, k, zq[2 * t], zq[2 * t + 1], zr[2 * u], zr[2 * u + 1], power);
            if (r != q && r + s * t < bins) {
                const int v = len - 1 - t;
                FN(untangle_bin)(plan, r + s * t, zr[2 * t], zr[2 * t + 1], zq[2 * v], zq[2 * v + 1], power);
            }
        }
        if (q == 0 && bins > m) FN(untangle_bin)(plan, m, zq[0], zq[1], zq[0], zq[1], power);
    }
}

INLINE void FN(power_body)(const mm_rfft_lanes *plan, const float *const *frames, const float *window, int bins,
                           float *power, float *scratch) {
    V *a = (V *)scratch;
    V *b = a + 2 * (ptrdiff_t)plan->m;
    const int m = plan->m;
    if (m < 16) {
        FN(pack)(frames, window, plan->n, a);
        FN(untangle_power)(plan, FN(fft)(a, b, m, 1, plan->twiddles, 1), bins, power);
        return;
    }
    const float *tw = plan->twiddles + 6 * (m / 4);
    if (m >= 128) {
        // Global stages down to the first length <= 64 (64 or 32), the rest per sequence in L1;
        // the buffer the stages did not end in holds `local` (8 len <= 2 m vectors).
        int len = m / 4;
        const float *local_tw = tw;
        while (len > 64) {
            local_tw += 6 * (len / 4);
            len /= 4;
        }
        V *z;
        if (m / 16 >= len) {
            FN(pack_first_two_stages)(plan, frames, window, b);
            z = FN(fft)(b, a, m / 16, 16, tw + 6 * (m / 16), len);
        } else {
            FN(pack_first_stage)(plan, frames, window, b);
            z = FN(fft)(b, a, m / 4, 4, tw, len);
        }
        FN(local_untangle)(plan, z, len, local_tw, bins, power, z == a ? b : a);
        return;
    }
    FN(pack_first_stage)(plan, frames, window, b);
    if ((m & 0x55555555) != 0) {  // a power of 4: the last stage is radix 4
        FN(last_stage_untangle)(plan, FN(fft)(b, a, m / 4, 4, tw, 4), bins, power);
    } else {
        FN(untangle_power)(plan, FN(fft)(b, a, m / 4, 4, tw, 1), bins, power);
    }
}

/// Each band's sum in two chains (even and odd weights, added at the end), so that a band
/// waits on two multiply-add latencies in parallel rather than one after another.
INLINE void FN(filterbank_body)(const float *power, const float *weights, const int *first, const int *count,
                                int bands, float *out, ptrdiff_t out_stride, int lanes) {
    const float *w = weights;
    for (int m = 0; m < bands; m++) {
        V even = FN(splat)(0), odd = FN(splat)(0);
        const float *p = power + (ptrdiff_t)first[m] * W;
        int k = 0;
        for (; k + 2 <= count[m]; k += 2) {
            even += FN(splat)(w[k]) * FN(load)(p + k * W);
            odd += FN(splat)(w[k + 1]) * FN(load)(p + (k + 1) * W);
        }
        if (k < count[m]) even += FN(splat)(w[k]) * FN(load)(p + k * W);
        const V sum = even + odd;
        w += count[m];
        float *row = out + m * out_stride;
        if (lanes == W) {
            *(VU *)row = sum;
        } else {
            for (int l = 0; l < lanes; l++) row[l] = sum[l];
        }
    }
}

/// log10 x for positive normal floats: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
/// ln m = 2 atanh(s), s = (m - 1) / (m + 1), summed to s^9.
INLINE V FN(log10)(V x) {
    VI bits = (VI)x;
    VI e = ((bits >> 23) & 0xFF) - 127;
    V m = (V)((bits & 0x007FFFFF) | 0x3F800000);
    VI high = m > FN(splat)(1.4142135f);
    m = (V)(((VI)(m * FN(splat)(0.5f)) & high) | ((VI)m & ~high));
    e -= high;  // high is -1 where true
    V s = (m - FN(splat)(1)) / (m + FN(splat)(1));
    V s2 = s * s;
    V series = s2 * FN(splat)((float)(2.0 / 9)) + FN(splat)((float)(2.0 / 7));
    series = series * s2 + FN(splat)((float)(2.0 / 5));
    series = series * s2 + FN(splat)((float)(2.0 / 3));
    series = series * s2 + FN(splat)(2);
    series *= s;
    return (__builtin_convertvector(e, V) * FN(splat)(0.69314718f) + series) * FN(splat)(0.43429448f);
}

INLINE V FN(load_tail)(const float *x, size_t n, float fill) {
    V v = FN(splat)(fill);
    for (size_t i = 0; i < n; i++) v[i] = x[i];
    return v;
}

INLINE float FN(lane_max)(V v) {
    float r = v[0];
    for (int i = 1; i < W; i++) r = v[i] > r ? v[i] : r;
    return r;
}

INLINE float FN(lane_min)(V v) {
    float r = v[0];
    for (int i = 1; i < W; i++) r = v[i] < r ? v[i] : r;
    return r;
}

/// 10 log10(max(v, amin)) - offset, at least `floor`; with `scale`, (db - bottom) * inverse
/// clamped to [0, 1].
INLINE V FN(decibel)(V v, V vamin, V offset, V floor, V bottom, V inverse, int scale) {
    V db = __builtin_elementwise_max(FN(splat)(10) * FN(log10)(__builtin_elementwise_max(v, vamin)) - offset, floor);
    if (scale) {
        db = __builtin_elementwise_min(__builtin_elementwise_max((db - bottom) * inverse, FN(splat)(0)), FN(splat)(1));
    }
    return db;
}

INLINE void FN(power_to_db_body)(float *x, size_t n, float ref, float amin, float top_db, int scale) {
    if (n == 0) return;
    // Pass 1: the extremes of the power; decibels are monotonic in it. Two chains of each.
    V hi = FN(splat)(-INFINITY), lo = FN(splat)(INFINITY), hi2 = hi, lo2 = lo;
    size_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const V v = FN(load)(x + i), u = FN(load)(x + i + W);
        hi = __builtin_elementwise_max(hi, v);
        lo = __builtin_elementwise_min(lo, v);
        hi2 = __builtin_elementwise_max(hi2, u);
        lo2 = __builtin_elementwise_min(lo2, u);
    }
    hi = __builtin_elementwise_max(hi, hi2);
    lo = __builtin_elementwise_min(lo, lo2);
    for (; i + W <= n; i += W) {
        V v = FN(load)(x + i);
        hi = __builtin_elementwise_max(hi, v);
        lo = __builtin_elementwise_min(lo, v);
    }
    if (i < n) {
        hi = __builtin_elementwise_max(hi, FN(load_tail)(x + i, n - i, -INFINITY));
        lo = __builtin_elementwise_min(lo, FN(load_tail)(x + i, n - i, INFINITY));
    }
    const float peak = FN(lane_max)(hi), least = FN(lane_min)(lo);
    const V vamin = FN(splat)(amin);
    const float reference = ref < 0 ? peak : ref;
    const V offset = FN(splat)(10) * FN(log10)(__builtin_elementwise_max(FN(splat)(reference), vamin));
    const V top = FN(splat)(10) * FN(log10)(__builtin_elementwise_max(FN(splat)(peak), vamin)) - offset;
    const V floor = top_db >= 0 ? top - FN(splat)(top_db) : FN(splat)(-INFINITY);
    const V bottom = __builtin_elementwise_max(
        floor, FN(splat)(10) * FN(log10)(__builtin_elementwise_max(FN(splat)(least), vamin)) - offset);
    const float range = top[0] - bottom[0];
    if (scale && !(range > 0)) {
        memset(x, 0, n * sizeof(float));
        return;
    }
    // Pass 2: decibels, the floor, and the scaling to [0, 1] (clamped: the bounds came from
    // the extremes of the power through the same logarithm).
    const V inverse = FN(splat)(1 / range);  // a product, not a quotient: the divider is the bottleneck
    // Two independent vectors an iteration (with pass 1's two chains: the mel step of a 30 s
    // clip 0.76 -> 0.72 ms on Zen 5).
    for (i = 0; i + 2 * W <= n; i += 2 * W) {
        const V a = FN(decibel)(FN(load)(x + i), vamin, offset, floor, bottom, inverse, scale);
        const V b = FN(decibel)(FN(load)(x + i + W), vamin, offset, floor, bottom, inverse, scale);
        *(VU *)(x + i) = a;
        *(VU *)(x + i + W) = b;
    }
    for (; i < n; i += W) {
        const size_t count = n - i < W ? n - i : W;
        V v = count == W ? FN(load)(x + i) : FN(load_tail)(x + i, count, 1);
        V db = FN(decibel)(v, vamin, offset, floor, bottom, inverse, scale);
        if (count == W) {
            *(VU *)(x + i) = db;
        } else {
            for (size_t j = 0; j < count; j++) x[i + j] = db[j];
        }
    }
}
