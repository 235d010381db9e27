// The Winograd F(2x2, 3x3) transforms (see winograd.c), written once for W tiles per vector and
// included once per width. Before including, define W, V, VU and FN(name) as for
// rfft_lanes_body.h. The transforms only add and subtract, in the same order at either width,
// so the results are the same bits on every path.

// The 16-lane bodies run on the AVX-512 path only (winograd.c), which stores and loads a row's
// partial last vector of tiles (21 tiles: 16 and 5) under a lane mask; the 8-lane paths go lane
// by lane.
#if W == 16 && defined(__x86_64__)
#define WMASKED __attribute__((target("avx512f")))
#define WMASK 1
#else
#define WMASKED
#define WMASK 0
#endif

INLINE WMASKED V FN(wload)(const float *p) { return *(const VU *)p; }

/// The even and odd floats of the 2W floats at p.
INLINE WMASKED void FN(deinterleave)(const float *p, V *even, V *odd) {
    const V a = FN(wload)(p), b = FN(wload)(p + W);
#if W == 8
    *even = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
    *odd = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
#else
    *even = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    *odd = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
#endif
}

#if WMASK
/// `deinterleave` of row[start ..< start + 2W] read in place, positions outside 0 ..< width
/// (and every position of a NULL row, one outside the image) as zeros: what the zero-padded
/// copy held, without making it (the copies were 4% of the reference model's inference).
INLINE WMASKED void FN(deinterleave_row)(const float *row, int width, int start, V *even, V *odd) {
    if (!row) {
        *even = *odd = (V){0};
        return;
    }
    V a, b;
    if (start >= 0 && start + 2 * W <= width) {
        a = FN(wload)(row + start);
        b = FN(wload)(row + start + W);
    } else {
        // lanes [lo, hi) of the 2W are inside the row; masked-off lanes are neither read nor faulted
        const int lo = start < 0 ? -start : 0, hi = width - start < 2 * W ? width - start : 2 * W;
        const uint32_t valid = hi <= lo ? 0 : (uint32_t)(((uint64_t)1 << hi) - ((uint64_t)1 << lo));
        a = (V)_mm512_maskz_loadu_ps((__mmask16)(valid & 0xFFFF), row + start);
        b = (V)_mm512_maskz_loadu_ps((__mmask16)(valid >> 16), row + start + W);
    }
    *even = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    *odd = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}
#endif

/// Stores the first `count` lanes of x at p.
INLINE WMASKED void FN(store_first)(float *p, V x, int count) {
    if (count == W) {
        *(VU *)p = x;
        return;
    }
#if WMASK
    if (count > 0) _mm512_mask_storeu_ps(p, (__mmask16)((1u << count) - 1), (__m512)x);
#else
    for (int l = 0; l < count; l++) p[l] = x[l];
#endif
}

/// The first `count` floats at p in the first lanes, zeros in the others.
INLINE WMASKED V FN(load_first)(const float *p, int count) {
    if (count == W) return FN(wload)(p);
#if WMASK
    return (V)_mm512_maskz_loadu_ps((__mmask16)((1u << count) - 1), p);
#else
    V x = (V){0};
    for (int l = 0; l < count; l++) x[l] = p[l];
    return x;
#endif
}

/// row[0 ..< lead] and row[lead + width ..< padded_width] = 0 around a copy of src's width
/// floats, or all zeros when src is NULL (a row outside the image).
INLINE WMASKED void FN(pad_row)(float *row, const float *src, int lead, int width, int padded_width) {
    if (!src) {
        memset(row, 0, (size_t)padded_width * sizeof(float));
        return;
    }
    for (int i = 0; i < lead; i++) row[i] = 0;
    memcpy(row + lead, src, (size_t)width * sizeof(float));
    memset(row + lead + width, 0, (size_t)(padded_width - lead - width) * sizeof(float));
}

INLINE WMASKED void FN(input_body)(float *v, ptrdiff_t ld, const float *x, int C, int H, int width, int tiles_w, int row0,
                           int rows, float *padded, int padded_width) {
    const ptrdiff_t c_stride = (ptrdiff_t)C * ld;
    for (int c = 0; c < C; c++) {
        const float *plane = x + (ptrdiff_t)c * H * width;
        for (int bi = 0; bi < rows; bi++) {
            const int ti = row0 + bi;
#if WMASK
            // AVX-512 reads the rows in place, under lane masks at the edges.
            const float *row[4];
            for (int k = 0; k < 4; k++) {
                const int r = 2 * ti - 1 + k;
                row[k] = r >= 0 && r < H ? plane + (ptrdiff_t)r * width : NULL;
            }
#else
            // Input row r lives in padded slot (r + 1) mod 4: a tile row shares two rows with
            // the one above it, so only the first copies all four.
            for (int k = bi == 0 ? 0 : 2; k < 4; k++) {
                const int r = 2 * ti - 1 + k;
                const float *src = r >= 0 && r < H ? plane + (ptrdiff_t)r * width : NULL;
                FN(pad_row)(padded + (ptrdiff_t)((r + 1) & 3) * padded_width, src, 1, width, padded_width);
            }
#endif
            for (int tj = 0; tj < tiles_w; tj += W) {
                // d[k][l] of W tiles: input row 2 ti - 1 + k, columns 2 tj - 1 + l + 2 lane
                V d[4][4];
                for (int k = 0; k < 4; k++) {
#if WMASK
                    FN(deinterleave_row)(row[k], width, 2 * tj - 1, &d[k][0], &d[k][1]);
                    FN(deinterleave_row)(row[k], width, 2 * tj + 1, &d[k][2], &d[k][3]);
#else
                    const float *p = padded + (ptrdiff_t)((2 * ti + k) & 3) * padded_width + 2 * tj;
                    FN(deinterleave)(p, &d[k][0], &d[k][1]);
                    FN(deinterleave)(p + 2, &d[k][2], &d[k][3]);
#endif
                }
                // t = B^T d, then V = t B, row by row
                V t[4][4];
                for (int l = 0; l < 4; l++) {
                    t[0][l] = d[0][l] - d[2][l];
                    t[1][l] = d[1][l] + d[2][l];
                    t[2][l] = d[2][l] - d[1][l];
                    t[3][l] = d[1][l] - d[3][l];
                }
                const int count = tiles_w - tj < W ? tiles_w - tj : W;
                float *dst = v + (ptrdiff_t)c * ld + (ptrdiff_t)bi * tiles_w + tj;
                for (int i = 0; i < 4; i++) {
                    FN(store_first)(dst + (4 * i) * c_stride, t[i][0] - t[i][2], count);
                    FN(store_first)(dst + (4 * i + 1) * c_stride, t[i][1] + t[i][2], count);
                    FN(store_first)(dst + (4 * i + 2) * c_stride, t[i][2] - t[i][1], count);
                    FN(store_first)(dst + (4 * i + 3) * c_stride, t[i][1] - t[i][3], count);
                }
            }
        }
    }
}

INLINE WMASKED void FN(output_body)(float *y, const float *m, ptrdiff_t ld, const float *bias, int OC, int H, int width,
                            int tiles_w, int row0, int rows, int relu) {
    const ptrdiff_t oc_stride = (ptrdiff_t)OC * ld;
    for (int oc = 0; oc < OC; oc++) {
        const V b = (V){0} + (bias ? bias[oc] : 0.0f);
        float *plane = y + (ptrdiff_t)oc * H * width;
        for (int bi = 0; bi < rows; bi++) {
            const int ti = row0 + bi;
            for (int tj = 0; tj < tiles_w; tj += W) {
                const int count = tiles_w - tj < W ? tiles_w - tj : W;
                const float *src = m + (ptrdiff_t)oc * ld + (ptrdiff_t)bi * tiles_w + tj;
                V mv[16];
                for (int xi = 0; xi < 16; xi++) mv[xi] = FN(load_first)(src + xi * oc_stride, count);
                // s = A^T m: two rows of 4
                V s[2][4];
                for (int j = 0; j < 4; j++) {
                    s[0][j] = mv[j] + mv[4 + j] + mv[8 + j];
                    s[1][j] = mv[4 + j] - mv[8 + j] - mv[12 + j];
                }
                for (int dr = 0; dr < 2 && 2 * ti + dr < H; dr++) {
                    V y0 = s[dr][0] + s[dr][1] + s[dr][2] + b;
                    V y1 = s[dr][1] - s[dr][2] - s[dr][3] + b;
                    if (relu) {
                        y0 = __builtin_elementwise_max(y0, (V){0});
                        y1 = __builtin_elementwise_max(y1, (V){0});
                    }
#if W == 8
                    const V lo = __builtin_shufflevector(y0, y1, 0, 8, 1, 9, 2, 10, 3, 11);
                    const V hi = __builtin_shufflevector(y0, y1, 4, 12, 5, 13, 6, 14, 7, 15);
#else
                    const V lo = __builtin_shufflevector(y0, y1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
                    const V hi =
                        __builtin_shufflevector(y0, y1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
#endif
                    float *dst = plane + (ptrdiff_t)(2 * ti + dr) * width + 2 * tj;
                    const int n = width - 2 * tj < 2 * W ? width - 2 * tj : 2 * W;
                    FN(store_first)(dst, lo, n < W ? n : W);
                    FN(store_first)(dst + W, hi, n > W ? n - W : 0);
                }
            }
        }
    }
}

/// dm = A dY A^T of each 2 x 2 tile of the output gradient, laid out as `output_body` reads m.
INLINE WMASKED void FN(gradient_body)(float *dm, ptrdiff_t ld, const float *dy, int OC, int H, int width, int tiles_w,
                              int row0, int rows, float *padded, int padded_width) {
    const ptrdiff_t oc_stride = (ptrdiff_t)OC * ld;
    for (int oc = 0; oc < OC; oc++) {
        const float *plane = dy + (ptrdiff_t)oc * H * width;
        for (int bi = 0; bi < rows; bi++) {
            const int ti = row0 + bi;
            // the tile row's two output rows, zero past the image
            for (int k = 0; k < 2; k++) {
                const int r = 2 * ti + k;
                const float *src = r < H ? plane + (ptrdiff_t)r * width : NULL;
                FN(pad_row)(padded + (ptrdiff_t)k * padded_width, src, 0, width, padded_width);
            }
            for (int tj = 0; tj < tiles_w; tj += W) {
                V y[2][2];  // y[row][column] of W tiles
                FN(deinterleave)(padded + 2 * tj, &y[0][0], &y[0][1]);
                FN(deinterleave)(padded + padded_width + 2 * tj, &y[1][0], &y[1][1]);
                // t = A dY (4 x 2), then dm = t A^T row by row: (a, b) -> (a, a + b, a - b, -b)
                V t[4][2];
                for (int c = 0; c < 2; c++) {
                    t[0][c] = y[0][c];
                    t[1][c] = y[0][c] + y[1][c];
                    t[2][c] = y[0][c] - y[1][c];
                    t[3][c] = -y[1][c];
                }
                const int count = tiles_w - tj < W ? tiles_w - tj : W;
                float *dst = dm + (ptrdiff_t)oc * ld + (ptrdiff_t)bi * tiles_w + tj;
                for (int i = 0; i < 4; i++) {
                    FN(store_first)(dst + (4 * i) * oc_stride, t[i][0], count);
                    FN(store_first)(dst + (4 * i + 1) * oc_stride, t[i][0] + t[i][1], count);
                    FN(store_first)(dst + (4 * i + 2) * oc_stride, t[i][0] - t[i][1], count);
                    FN(store_first)(dst + (4 * i + 3) * oc_stride, -t[i][1], count);
                }
            }
        }
    }
}
