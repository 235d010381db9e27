// mashup's intrinsics kernels: the loops where a benchmark showed C with explicit vector
// types and per-CPU code paths beating Swift (which compiles for the baseline x86-64 ISA) and
// FFTW (whose Debian build has no AVX2/FMA codelets). Every function is pure computation on
// caller-owned memory: no allocation inside the hot calls, no global state but the read-only
// plans and the code path chosen at the first call, safe to call from any number of threads
// at once (all but mm_kernels_force_generic, which is for tests).
#ifndef MM_KERNELS_H
#define MM_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The code paths, best last: the baseline ISA, AVX2 with FMA, AVX-512 (F, DQ, VL, BW).
enum { MM_ISA_GENERIC = 0, MM_ISA_AVX2 = 1, MM_ISA_AVX512 = 2 };

/// Frames per call of the lane-parallel kernels on this CPU's best path: each vector lane
/// carries one frame, 16 with AVX-512 and 8 otherwise. Memory for the kernels is laid out for
/// a lane count, which every call names (`lanes`: 8 or 16); any lane count runs on any CPU, and
/// a frame's result is the same bits at either on one code path (the same operations in the
/// same order; AVX-512 and AVX2 also agree, both contracting to the same fused multiply-adds).
int mm_kernels_lanes(void);

/// A real FFT of n points (a power of two, 16 <= n <= 2^20) computed on `lanes` frames at
/// once: a complex FFT of n/2 points (radix-4 Stockham, one radix-2 stage when needed) in
/// which every vector lane is a different frame, so twiddles are scalars and no data moves
/// between lanes. Immutable after creation; share it between threads.
typedef struct mm_rfft_lanes mm_rfft_lanes;

/// NULL when n is not a power of two in range or memory is short.
mm_rfft_lanes *mm_rfft_lanes_create(int n);
void mm_rfft_lanes_destroy(mm_rfft_lanes *plan);

/// Floats of 64-byte aligned scratch `mm_rfft_lanes_power` needs (one thread's) at `lanes`.
size_t mm_rfft_lanes_scratch_floats(const mm_rfft_lanes *plan, int lanes);

/// power[k * lanes + l] = |sum_i frames[l][i] window[i] exp(-2 pi I k i / n)|^2 for
/// k < bins (bins <= n/2 + 1) and l < lanes. frames[l] points at n samples, or is NULL
/// for a frame of zeros. `scratch` holds mm_rfft_lanes_scratch_floats floats, 64-byte aligned.
void mm_rfft_lanes_power(const mm_rfft_lanes *plan, int lanes, const float *const *frames, const float *window,
                         int bins, float *power, float *scratch);

/// A sparse filterbank applied to `lanes` frames of power spectra laid out as
/// `mm_rfft_lanes_power` writes them. Band m covers bins first[m] ..< first[m] + count[m]; its
/// count[m] weights follow band m - 1's in `weights` (only the non-zero weights are stored).
/// For every band m < bands and frame l < frames (frames <= lanes):
/// out[m * out_stride + l] = sum_j weights[offset_m + j] * power[(first[m] + j) * lanes + l].
void mm_filterbank_lanes(const float *power, int lanes, const float *weights, const int *first, const int *count,
                         int bands, float *out, ptrdiff_t out_stride, int frames);

/// In place, for n finite powers x >= 0, librosa.power_to_db and then optionally min-max:
/// x = 10 log10(max(amin, x)) - 10 log10(max(amin, ref)), with ref < 0 meaning the largest x;
/// floored at the largest result minus top_db when top_db >= 0; with `scale` != 0, then
/// (x - min) / (max - min), or all zeros when max == min. log10 agrees with the C library's
/// to 2e-6 (2e-5 dB).
void mm_power_to_db(float *x, size_t n, float ref, float amin, float top_db, int scale);

/// Winograd F(2x2, 3x3) input transform (Native/NN/ConvWinograd.swift) of image x (C, H, width)
/// for tile rows row0 ..< row0 + rows (tiles_w tiles of 2 x 2 outputs per row): for every
/// position xi < 16 of the 4 x 4 transform, channel c and tile (bi, tj),
/// v[(xi C + c) ld + bi tiles_w + tj] = (B^T d B)[xi] of the tile's input patch d (zero outside
/// the image). `padded` holds 4 rows of padded_width = 2 * (tiles_w rounded up to 16) + 2 floats.
void mm_winograd_input(float *v, ptrdiff_t ld, const float *x, int C, int H, int width, int tiles_w, int row0,
                       int rows, float *padded, int padded_width);

/// Winograd F(2x2, 3x3) output transform: output rows 2 row0 ... of y (OC, H, width) from
/// m (16, OC, ld) laid out as `mm_winograd_input` lays out v, y = A^T m A + bias[oc] (bias may
/// be NULL), then max(0, y) when relu; outputs past the image are dropped.
void mm_winograd_output(float *y, const float *m, ptrdiff_t ld, const float *bias, int OC, int H, int width,
                        int tiles_w, int row0, int rows, int relu);

/// max |x[i]| over i < n (0 for none), or infinity when any value is NaN or infinite.
float mm_peak_magnitude(const float *x, size_t n);

/// The weight gradient's transform of the output gradient dy (OC, H, width) for tile rows
/// row0 ..< row0 + rows: dm = A dY A^T (4 x 4) of each tile's 2 x 2 block of dy (zero past the
/// image), laid out (16, OC, ld) as `mm_winograd_output` reads m. `padded` holds 2 rows of
/// padded_width floats (as for `mm_winograd_input`).
void mm_winograd_output_gradient(float *dm, ptrdiff_t ld, const float *dy, int OC, int H, int width, int tiles_w,
                                 int row0, int rows, float *padded, int padded_width);

/// Which code path the kernels take on this CPU: "avx512", "avx2+fma" or "generic" (the
/// baseline ISA). The environment caps it before the first call with MASHUP_KERNELS=generic
/// or MASHUP_KERNELS=avx2, for comparisons.
const char *mm_kernels_isa(void);

/// Tests and benchmarks: caps the code path at `isa` (an MM_ISA_ value; MM_ISA_AVX512 lifts
/// the cap). Not for use while other threads run kernels.
void mm_kernels_cap(int isa);

/// Flushes subnormal floats to zero on the calling thread until mm_denormals_flush_end(the
/// returned state): for loops whose recursion decays into the subnormal range (IIR filters).
unsigned long mm_denormals_flush_begin(void);
void mm_denormals_flush_end(unsigned long previous);

#ifdef __cplusplus
}
#endif

#endif
