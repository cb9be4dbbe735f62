#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <cpuid.h>
#endif

// Each kernel has one plain-C version and, on x86-64, versions compiled for AVX2+FMA and
// AVX-512F through target attributes (no build flags). Bodies marked always_inline take their
// shape as constant arguments, so each call site becomes a kernel specialised for that shape.

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// MARK: - Matrix tiles: C[rows x cols] = (accumulate ? C : 0) + A · B, rows <= 6 and cols <= 16,
// or rows <= 2 and cols <= 32 (wide), or rows <= 12 and cols <= 8 (narrow)

// Portable: plain C, vectorized by the compiler for whatever the target allows, two rows at a
// time: 2 x 16 accumulators fill 8 of the 16 SSE registers of baseline x86-64, where all six
// rows at once would spill (measured: 28 against 19 GFLOP/s).
ALWAYS_INLINE void two_rows_portable(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                                     float *c, long ldc, long rows, long cols, int accumulate, const int full) {
    float acc[2][CK_TILE_COLS] = {{0}};
    const long offset1 = rows > 1 ? rsa : 0;  // row 1 of A, or row 0 again
    for (long p = 0; p < k; p++, a += csa, b += ldb) {
        float row[CK_TILE_COLS];  // row p of B, zero past `cols` (full: all 16 columns)
        for (int j = 0; j < CK_TILE_COLS; j++) row[j] = (full || j < cols) ? b[j] : 0;
        for (int i = 0; i < 2; i++) {
            float ai = a[i * offset1];
            for (int j = 0; j < CK_TILE_COLS; j++) acc[i][j] += ai * row[j];
        }
    }
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < cols; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

static void tile_portable(long k, const float *a, long rsa, long csa, const float *b, long ldb, float *c,
                          long ldc, long rows, long cols, int accumulate) {
    for (long i = 0; i < rows; i += 2) {
        long pair = rows - i < 2 ? rows - i : 2;
        if (cols == CK_TILE_COLS)
            two_rows_portable(k, a + i * rsa, rsa, csa, b, ldb, c + i * ldc, ldc, pair, cols, accumulate, 1);
        else
            two_rows_portable(k, a + i * rsa, rsa, csa, b, ldb, c + i * ldc, ldc, pair, cols, accumulate, 0);
    }
}

// A short, wide block (rows <= 2, cols <= 32) as two tiles side by side.
static void tile_wide_portable(long k, const float *a, long rsa, long csa, const float *b0, const float *b1,
                               long ldb, float *c, long ldc, long rows, long cols, int accumulate) {
    tile_portable(k, a, rsa, csa, b0, ldb, c, ldc, rows, cols < 16 ? cols : 16, accumulate);
    if (cols > 16) tile_portable(k, a, rsa, csa, b1, ldb, c + 16, ldc, rows, cols - 16, accumulate);
}

// A tall, narrow block (rows <= 12, cols <= 8) as two tiles one above the other.
static void tile_narrow_portable(long k, const float *a0, const float *a1, long rsa, long csa, const float *b,
                                 long ldb, float *c, long ldc, long rows, long cols, int accumulate) {
    tile_portable(k, a0, rsa, csa, b, ldb, c, ldc, rows < 6 ? rows : 6, cols, accumulate);
    if (rows > 6) tile_portable(k, a1, rsa, csa, b, ldb, c + 6 * ldc, ldc, rows - 6, cols, accumulate);
}

#if defined(__x86_64__)

// AVX2 + FMA: 6 rows x 2 vectors of 8 = 12 accumulators. Per step p: two loads of B's row, six
// broadcasts of A's column, twelve FMAs. A partial tile reads its missing rows of A from the last
// real row (its results are dropped), and B and C through lane masks. With `height` 4, a tile of
// at most 4 rows keeps 8 accumulators and does no work for rows 5 and 6 (16 rows, a batch of 32
// on two threads, are tiles of 6, 6 and 4): the same sums, in 2/3 of the time of a 6-row tile.
__attribute__((target("avx2,fma")))
ALWAYS_INLINE void tile_avx2_body(long k, const float *a, long rsa, long csa, const float *b, long ldb,
                                  float *c, long ldc, long rows, long cols, int accumulate, const int full,
                                  const int height) {
    long offset[CK_TILE_ROWS];  // where row i of A starts
    for (int i = 0; i < height; i++) offset[i] = (full || i < rows ? i : rows - 1) * rsa;
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), lane);
    const __m256i mask1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols - 8), lane);

    __m256 acc[CK_TILE_ROWS][2];
    for (int i = 0; i < height; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (long p = 0; p < k; p++, a += csa, b += ldb) {
        __m256 b0 = full ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, mask0);
        __m256 b1 = full ? _mm256_loadu_ps(b + 8) : _mm256_maskload_ps(b + 8, mask1);
        for (int i = 0; i < height; i++) {
            __m256 ai = _mm256_broadcast_ss(a + offset[i]);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < height; i++) {
        if (accumulate && (full || i < rows)) {
            acc[i][0] = _mm256_add_ps(full ? _mm256_loadu_ps(c + i * ldc) : _mm256_maskload_ps(c + i * ldc, mask0), acc[i][0]);
            acc[i][1] = _mm256_add_ps(full ? _mm256_loadu_ps(c + i * ldc + 8) : _mm256_maskload_ps(c + i * ldc + 8, mask1), acc[i][1]);
        }
        if (full) {
            _mm256_storeu_ps(c + i * ldc, acc[i][0]);
            _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);
        } else if (i < rows) {
            _mm256_maskstore_ps(c + i * ldc, mask0, acc[i][0]);
            _mm256_maskstore_ps(c + i * ldc + 8, mask1, acc[i][1]);
        }
    }
}

__attribute__((target("avx2,fma")))
static void tile_avx2(long k, const float *a, long rsa, long csa, const float *b, long ldb, float *c,
                      long ldc, long rows, long cols, int accumulate) {
    if (rows == CK_TILE_ROWS && cols == CK_TILE_COLS)
        tile_avx2_body(k, a, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate, 1, CK_TILE_ROWS);
    else if (rows == 4 && cols == CK_TILE_COLS)  // 16 rows (a batch of 32 on two threads) = 6 + 6 + 4
        tile_avx2_body(k, a, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate, 1, 4);
    else if (rows <= 4)
        tile_avx2_body(k, a, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate, 0, 4);
    else
        tile_avx2_body(k, a, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate, 0, CK_TILE_ROWS);
}

// AVX2 + FMA, a short, wide block: 2 rows x 4 vectors = 8 accumulators, for the last one or two
// rows of A, where a 6-row tile would spend most of its work on rows that do not exist (a batch
// of 32 rows is 5 tiles and 2 rows). Latency-bound, but 3.5x as fast as two partial 6 x 16 tiles.
__attribute__((target("avx2,fma")))
ALWAYS_INLINE void tile_wide_avx2_body(long k, const float *a, long rsa, long csa, const float *b0,
                                       const float *b1, long ldb, float *c, long ldc, long rows, long cols,
                                       int accumulate, const int full) {
    const long offset1 = full || rows > 1 ? rsa : 0;  // row 1 of A, or row 0 again
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i mask[4];
    for (int q = 0; q < 4; q++) mask[q] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols - 8 * q), lane);
    __m256 acc[2][4];
    for (int i = 0; i < 2; i++)
        for (int q = 0; q < 4; q++) acc[i][q] = _mm256_setzero_ps();
    for (long p = 0; p < k; p++, a += csa, b0 += ldb, b1 += ldb) {
        __m256 bv[4];
        for (int q = 0; q < 4; q++) {
            const float *bq = (q < 2 ? b0 : b1) + 8 * (q & 1);
            bv[q] = full ? _mm256_loadu_ps(bq) : _mm256_maskload_ps(bq, mask[q]);
        }
        __m256 a0 = _mm256_broadcast_ss(a), a1 = _mm256_broadcast_ss(a + offset1);
        for (int q = 0; q < 4; q++) {
            acc[0][q] = _mm256_fmadd_ps(a0, bv[q], acc[0][q]);
            acc[1][q] = _mm256_fmadd_ps(a1, bv[q], acc[1][q]);
        }
    }
    for (int i = 0; i < (full ? 2 : rows); i++) {
        for (int q = 0; q < 4; q++) {
            float *cq = c + i * ldc + 8 * q;
            if (full) {
                _mm256_storeu_ps(cq, accumulate ? _mm256_add_ps(_mm256_loadu_ps(cq), acc[i][q]) : acc[i][q]);
            } else {
                __m256 sum = accumulate ? _mm256_add_ps(_mm256_maskload_ps(cq, mask[q]), acc[i][q]) : acc[i][q];
                _mm256_maskstore_ps(cq, mask[q], sum);
            }
        }
    }
}

__attribute__((target("avx2,fma")))
static void tile_wide_avx2(long k, const float *a, long rsa, long csa, const float *b0, const float *b1, long ldb,
                           float *c, long ldc, long rows, long cols, int accumulate) {
    if (rows == 2 && cols == 32)
        tile_wide_avx2_body(k, a, rsa, csa, b0, b1, ldb, c, ldc, rows, cols, accumulate, 1);
    else
        tile_wide_avx2_body(k, a, rsa, csa, b0, b1, ldb, c, ldc, rows, cols, accumulate, 0);
}

// AVX2 + FMA, a tall, narrow block: 12 rows x 1 vector = 12 accumulators, for a last panel of
// B with 8 columns or fewer (V = 65 is four panels and one column), where a 6 x 16 tile would
// spend most of its work on columns that do not exist. Per step: one load of B, twelve
// broadcasts, twelve FMAs; half the time of two partial 6 x 16 tiles. B is read 8 floats wide, as
// a packed panel (zero-padded to 16) allows.
__attribute__((target("avx2,fma")))
ALWAYS_INLINE void tile_narrow_avx2_body(long k, const float *a0, const float *a1, long rsa, long csa,
                                         const float *b, long ldb, float *c, long ldc, long rows, long cols,
                                         int accumulate, const int full) {
    __m256 acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm256_setzero_ps();
    if (full) {
        for (long p = 0; p < k; p++, a0 += csa, a1 += csa, b += ldb) {
            __m256 bv = _mm256_loadu_ps(b);  // 8 readable floats: a zero-padded panel
            for (int i = 0; i < 12; i++)
                acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss((i < 6 ? a0 : a1) + (i % 6) * rsa), bv, acc[i]);
        }
    } else {
        const float *row[12];  // row i of A, or the last real row
        for (int i = 0; i < 12; i++) {
            int r = i < rows ? i : (int)rows - 1;
            row[i] = (r < 6 ? a0 : a1) + (r % 6) * rsa;
        }
        for (long p = 0; p < k; p++, b += ldb) {
            __m256 bv = _mm256_loadu_ps(b);
            for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(row[i] + p * csa), bv, acc[i]);
        }
    }
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (int i = 0; i < (full ? 12 : rows); i++) {
        float *ci = c + i * ldc;
        _mm256_maskstore_ps(ci, mask, accumulate ? _mm256_add_ps(_mm256_maskload_ps(ci, mask), acc[i]) : acc[i]);
    }
}

__attribute__((target("avx2,fma")))
static void tile_narrow_avx2(long k, const float *a0, const float *a1, long rsa, long csa, const float *b, long ldb,
                             float *c, long ldc, long rows, long cols, int accumulate) {
    if (rows == 12)
        tile_narrow_avx2_body(k, a0, a1, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate, 1);
    else
        tile_narrow_avx2_body(k, a0, a1, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate, 0);
}

// AVX-512: one 16-lane vector per row; even and odd steps p go to separate accumulators (12 in
// all, enough to cover the FMA latency) and are added at the end. Masks handle partial tiles.
__attribute__((target("avx512f")))
static void tile_avx512(long k, const float *a, long rsa, long csa, const float *b, long ldb, float *c,
                        long ldc, long rows, long cols, int accumulate) {
    const __mmask16 mask = (__mmask16)(cols >= 16 ? 0xFFFF : (1u << cols) - 1);
    long offset[CK_TILE_ROWS];
    for (int i = 0; i < CK_TILE_ROWS; i++) offset[i] = (i < rows ? i : rows - 1) * rsa;
    __m512 even[CK_TILE_ROWS], odd[CK_TILE_ROWS];
    for (int i = 0; i < CK_TILE_ROWS; i++) {
        even[i] = odd[i] = _mm512_setzero_ps();
    }
    long p = 0;
    for (; p + 2 <= k; p += 2, a += 2 * csa, b += 2 * ldb) {
        __m512 b0 = _mm512_maskz_loadu_ps(mask, b);
        __m512 b1 = _mm512_maskz_loadu_ps(mask, b + ldb);
        for (int i = 0; i < CK_TILE_ROWS; i++) {
            even[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[offset[i]]), b0, even[i]);
            odd[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[offset[i] + csa]), b1, odd[i]);
        }
    }
    if (p < k) {
        __m512 b0 = _mm512_maskz_loadu_ps(mask, b);
        for (int i = 0; i < CK_TILE_ROWS; i++) even[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[offset[i]]), b0, even[i]);
    }
    for (int i = 0; i < rows; i++) {
        __m512 sum = _mm512_add_ps(even[i], odd[i]);
        if (accumulate) sum = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, c + i * ldc), sum);
        _mm512_mask_storeu_ps(c + i * ldc, mask, sum);
    }
}

__attribute__((target("avx512f")))
static void tile_wide_avx512(long k, const float *a, long rsa, long csa, const float *b0, const float *b1,
                             long ldb, float *c, long ldc, long rows, long cols, int accumulate) {
    tile_avx512(k, a, rsa, csa, b0, ldb, c, ldc, rows, cols < 16 ? cols : 16, accumulate);
    if (cols > 16) tile_avx512(k, a, rsa, csa, b1, ldb, c + 16, ldc, rows, cols - 16, accumulate);
}

__attribute__((target("avx512f")))
static void tile_narrow_avx512(long k, const float *a0, const float *a1, long rsa, long csa, const float *b,
                               long ldb, float *c, long ldc, long rows, long cols, int accumulate) {
    tile_avx512(k, a0, rsa, csa, b, ldb, c, ldc, rows < 6 ? rows : 6, cols, accumulate);
    if (rows > 6) tile_avx512(k, a1, rsa, csa, b, ldb, c + 6 * ldc, ldc, rows - 6, cols, accumulate);
}

#endif

// MARK: - Row dots: y[i][j] = (accumulate ? y[i][j] : 0) + x_i · w_j

// Portable: 4 rows of x at a time against one row of w, 8 partial sums each (lane l takes the
// steps p = l mod 8), added pairwise at the end.
static void row_dots_portable(long m, long n, long k, const float *x, long ldx, const float *w, long ldw,
                              float *y, long ldy, int accumulate) {
    for (long i0 = 0; i0 < m; i0 += 4) {
        long rows = m - i0 < 4 ? m - i0 : 4;
        for (long j = 0; j < n; j++) {
            const float *wj = w + j * ldw;
            float s[4][8] = {{0}};
            long p = 0;
            for (; p + 8 <= k; p += 8)
                for (long i = 0; i < rows; i++)
                    for (int l = 0; l < 8; l++) s[i][l] += x[(i0 + i) * ldx + p + l] * wj[p + l];
            for (long l = 0; p + l < k; l++)
                for (long i = 0; i < rows; i++) s[i][l] += x[(i0 + i) * ldx + p + l] * wj[p + l];
            for (long i = 0; i < rows; i++) {
                float dot = ((s[i][0] + s[i][1]) + (s[i][2] + s[i][3])) + ((s[i][4] + s[i][5]) + (s[i][6] + s[i][7]));
                float *out = y + (i0 + i) * ldy + j;
                *out = accumulate ? *out + dot : dot;
            }
        }
    }
}

// Runs BLOCK over the rows of w, R at a time, then one at a time for the rest.
#define ROW_DOTS_OVER_W(BLOCK, M, R)                                                                   \
    do {                                                                                               \
        long j = 0;                                                                                    \
        for (; j + (R) <= n; j += (R)) BLOCK(M, R, k, xi, ldx, w + j * ldw, ldw, yi + j, ldy, accumulate); \
        for (; j < n; j++) BLOCK(M, 1, k, xi, ldx, w + j * ldw, ldw, yi + j, ldy, accumulate);         \
    } while (0)

// Splits x into groups of up to 4 rows; a group of M rows streams w, R rows at a time, with
// M x R accumulators (R = 8, 4, 4, 2 for M = 1, 2, 3, 4: 8 to 12 accumulators, enough to hide
// the FMA latency, and few enough to stay in registers). Reading a few rows at once is not
// enough to keep memory busy: the x86 kernels also prefetch the rows ROW_DOTS_AHEAD further on
// (W of 8800 x 256, in a C harness: 33 -> 50 GB/s for one row of x, 11 -> 24 GB/s for four;
// through rowProducts on the shared machine: 23 -> 27-30 GB/s for four, one row within noise).
#define ROW_DOTS_AHEAD 8
#define ROW_DOTS_OVER_X(BLOCK)                                                                         \
    for (long i0 = 0; i0 < m; i0 += 4) {                                                               \
        const float *xi = x + i0 * ldx;                                                                \
        float *yi = y + i0 * ldy;                                                                      \
        switch (m - i0 < 4 ? m - i0 : 4) {                                                             \
        case 1: ROW_DOTS_OVER_W(BLOCK, 1, 8); break;                                                   \
        case 2: ROW_DOTS_OVER_W(BLOCK, 2, 4); break;                                                   \
        case 3: ROW_DOTS_OVER_W(BLOCK, 3, 4); break;                                                   \
        default: ROW_DOTS_OVER_W(BLOCK, 4, 2); break;                                                  \
        }                                                                                              \
    }

#if defined(__x86_64__)

// The 8 horizontal sums of v[0..7], in order, as one vector.
__attribute__((target("avx2,fma")))
ALWAYS_INLINE __m256 sums8(const __m256 v[8]) {
    __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
    __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1);  // sums of lanes 0-3 of v0..v3 | lanes 4-7 of v0..v3
    __m256 u1 = _mm256_hadd_ps(t2, t3);  // the same for v4..v7
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// M rows of x against R rows of w; 8 lanes per accumulator, the last k % 8 steps masked.
__attribute__((target("avx2,fma")))
ALWAYS_INLINE void row_dots_block_avx2(const int M, const int R, long k, const float *x, long ldx,
                                       const float *w, long ldw, float *y, long ldy, int accumulate) {
    __m256 acc[4][8];
    for (int i = 0; i < M; i++)
        for (int r = 0; r < 8; r++) acc[i][r] = _mm256_setzero_ps();
    long p = 0;
    for (; p + 8 <= k; p += 8) {
        if ((p & 15) == 0)  // once per cache line of each row: the same line 8 rows ahead
            for (int r = 0; r < R; r++) _mm_prefetch((const char *)(w + (r + ROW_DOTS_AHEAD) * ldw + p), _MM_HINT_T0);
        __m256 xv[4];
        for (int i = 0; i < M; i++) xv[i] = _mm256_loadu_ps(x + i * ldx + p);
        for (int r = 0; r < R; r++) {
            __m256 wv = _mm256_loadu_ps(w + r * ldw + p);
            for (int i = 0; i < M; i++) acc[i][r] = _mm256_fmadd_ps(xv[i], wv, acc[i][r]);
        }
    }
    if (p < k) {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(k - p)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 xv[4];
        for (int i = 0; i < M; i++) xv[i] = _mm256_maskload_ps(x + i * ldx + p, mask);
        for (int r = 0; r < R; r++) {
            __m256 wv = _mm256_maskload_ps(w + r * ldw + p, mask);
            for (int i = 0; i < M; i++) acc[i][r] = _mm256_fmadd_ps(xv[i], wv, acc[i][r]);
        }
    }
    for (int i = 0; i < M; i++) {
        float dots[8];
        _mm256_storeu_ps(dots, sums8(acc[i]));
        for (int r = 0; r < R; r++) y[i * ldy + r] = accumulate ? y[i * ldy + r] + dots[r] : dots[r];
    }
}

__attribute__((target("avx2,fma")))
static void row_dots_avx2(long m, long n, long k, const float *x, long ldx, const float *w, long ldw,
                          float *y, long ldy, int accumulate) {
    ROW_DOTS_OVER_X(row_dots_block_avx2)
}

// AVX-512: the same blocking with 16 lanes per accumulator.
__attribute__((target("avx512f")))
ALWAYS_INLINE void row_dots_block_avx512(const int M, const int R, long k, const float *x, long ldx,
                                         const float *w, long ldw, float *y, long ldy, int accumulate) {
    __m512 acc[4][8];
    for (int i = 0; i < M; i++)
        for (int r = 0; r < R; r++) acc[i][r] = _mm512_setzero_ps();
    for (long p = 0; p < k; p += 16) {
        const __mmask16 mask = (__mmask16)(k - p >= 16 ? 0xFFFF : (1u << (k - p)) - 1);
        for (int r = 0; r < R; r++) _mm_prefetch((const char *)(w + (r + ROW_DOTS_AHEAD) * ldw + p), _MM_HINT_T0);
        __m512 xv[4];
        for (int i = 0; i < M; i++) xv[i] = _mm512_maskz_loadu_ps(mask, x + i * ldx + p);
        for (int r = 0; r < R; r++) {
            __m512 wv = _mm512_maskz_loadu_ps(mask, w + r * ldw + p);
            for (int i = 0; i < M; i++) acc[i][r] = _mm512_fmadd_ps(xv[i], wv, acc[i][r]);
        }
    }
    for (int i = 0; i < M; i++)
        for (int r = 0; r < R; r++) {
            float dot = _mm512_reduce_add_ps(acc[i][r]);
            y[i * ldy + r] = accumulate ? y[i * ldy + r] + dot : dot;
        }
}

__attribute__((target("avx512f")))
static void row_dots_avx512(long m, long n, long k, const float *x, long ldx, const float *w, long ldw,
                            float *y, long ldy, int accumulate) {
    ROW_DOTS_OVER_X(row_dots_block_avx512)
}

#endif

// MARK: - Dispatch

CKISA ck_best_isa(void) {
    static int best = -1;  // computed once; a race only computes the same value twice
    if (best < 0) {
        int found = CKISAPortable;
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) found = CKISAAVX512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) found = CKISAAVX2;
#endif
        best = found;
    }
    return (CKISA)best;
}

CKISA ck_preferred_isa(void) {
    CKISA best = ck_best_isa();
#if defined(__x86_64__)
    if (best == CKISAAVX512) {
        unsigned eax, ebx, ecx, edx;
        // Vendor "AuthenticAMD" (in EBX, EDX, ECX) and the family: base 0xF plus the extended.
        if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) && ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163
            && __get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
            unsigned family = (eax >> 8) & 0xF;
            if (family == 0xF) family += (eax >> 20) & 0xFF;
            if (family == 0x19) return CKISAAVX2;
        }
    }
#endif
    return best;
}

void ck_tile(CKISA isa, long k, const float *a, long rsa, long csa, const float *b, long ldb,
             float *c, long ldc, long rows, long cols, int accumulate) {
    if (rows <= 0 || cols <= 0) return;
    if (isa > ck_best_isa()) isa = ck_best_isa();
    switch (isa) {
#if defined(__x86_64__)
    case CKISAAVX512: tile_avx512(k, a, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate); return;
    case CKISAAVX2: tile_avx2(k, a, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate); return;
#endif
    default: tile_portable(k, a, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate); return;
    }
}

// One tile call per 6 rows; `TILE` is a variant of ck_tile.
#define TILES_DOWN(TILE)                                                                               \
    for (long i = 0; i < rows; i += CK_TILE_ROWS)                                                      \
        TILE(k, a + i * row_step, rsa, csa, b, ldb, c + i * ldc, ldc,                                  \
             rows - i < CK_TILE_ROWS ? rows - i : CK_TILE_ROWS, cols, accumulate)

void ck_tile_column(CKISA isa, long k, const float *a, long row_step, long rsa, long csa, const float *b,
                    long ldb, float *c, long ldc, long rows, long cols, int accumulate) {
    if (rows <= 0 || cols <= 0) return;
    if (isa > ck_best_isa()) isa = ck_best_isa();
    switch (isa) {
#if defined(__x86_64__)
    case CKISAAVX512: TILES_DOWN(tile_avx512); return;
    case CKISAAVX2: TILES_DOWN(tile_avx2); return;
#endif
    default: TILES_DOWN(tile_portable); return;
    }
}

void ck_tile_wide(CKISA isa, long k, const float *a, long rsa, long csa, const float *b0, const float *b1,
                  long ldb, float *c, long ldc, long rows, long cols, int accumulate) {
    if (rows <= 0 || cols <= 0) return;
    if (isa > ck_best_isa()) isa = ck_best_isa();
    switch (isa) {
#if defined(__x86_64__)
    case CKISAAVX512: tile_wide_avx512(k, a, rsa, csa, b0, b1, ldb, c, ldc, rows, cols, accumulate); return;
    case CKISAAVX2: tile_wide_avx2(k, a, rsa, csa, b0, b1, ldb, c, ldc, rows, cols, accumulate); return;
#endif
    default: tile_wide_portable(k, a, rsa, csa, b0, b1, ldb, c, ldc, rows, cols, accumulate); return;
    }
}

void ck_tile_narrow(CKISA isa, long k, const float *a0, const float *a1, long rsa, long csa, const float *b,
                    long ldb, float *c, long ldc, long rows, long cols, int accumulate) {
    if (rows <= 0 || cols <= 0) return;
    if (isa > ck_best_isa()) isa = ck_best_isa();
    switch (isa) {
#if defined(__x86_64__)
    case CKISAAVX512: tile_narrow_avx512(k, a0, a1, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate); return;
    case CKISAAVX2: tile_narrow_avx2(k, a0, a1, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate); return;
#endif
    default: tile_narrow_portable(k, a0, a1, rsa, csa, b, ldb, c, ldc, rows, cols, accumulate); return;
    }
}

void ck_row_dots(CKISA isa, long m, long n, long k, const float *x, long ldx, const float *w, long ldw,
                 float *y, long ldy, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (isa > ck_best_isa()) isa = ck_best_isa();
    switch (isa) {
#if defined(__x86_64__)
    case CKISAAVX512: row_dots_avx512(m, n, k, x, ldx, w, ldw, y, ldy, accumulate); return;
    case CKISAAVX2: row_dots_avx2(m, n, k, x, ldx, w, ldw, y, ldy, accumulate); return;
#endif
    default: row_dots_portable(m, n, k, x, ldx, w, ldw, y, ldy, accumulate); return;
    }
}
