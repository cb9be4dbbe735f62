#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: - Portable: plain C, vectorized by the compiler for whatever the target allows.

static void tile_portable(long k, const float *a, const float *b, float *c, long ldc) {
    float acc[CK_TILE_ROWS][CK_TILE_COLS];
    for (int i = 0; i < CK_TILE_ROWS; i++)
        for (int j = 0; j < CK_TILE_COLS; j++) acc[i][j] = c[i * ldc + j];
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * CK_TILE_COLS;
        for (int i = 0; i < CK_TILE_ROWS; i++) {
            float ai = a[p * CK_TILE_ROWS + i];
            for (int j = 0; j < CK_TILE_COLS; j++) acc[i][j] += ai * bp[j];
        }
    }
    for (int i = 0; i < CK_TILE_ROWS; i++)
        for (int j = 0; j < CK_TILE_COLS; j++) c[i * ldc + j] = acc[i][j];
}

#if defined(__x86_64__)

// MARK: - AVX2 + FMA: the 8 x 32 tile in four passes of 4 rows x 16 columns (8 accumulators).

__attribute__((target("avx2,fma")))
static void tile_avx2(long k, const float *a, const float *b, float *c, long ldc) {
    for (int i0 = 0; i0 < CK_TILE_ROWS; i0 += 4) {
        for (int j0 = 0; j0 < CK_TILE_COLS; j0 += 16) {
            __m256 acc[4][2];
            for (int i = 0; i < 4; i++) {
                acc[i][0] = _mm256_loadu_ps(c + (i0 + i) * ldc + j0);
                acc[i][1] = _mm256_loadu_ps(c + (i0 + i) * ldc + j0 + 8);
            }
            for (long p = 0; p < k; p++) {
                __m256 b0 = _mm256_load_ps(b + p * CK_TILE_COLS + j0);
                __m256 b1 = _mm256_load_ps(b + p * CK_TILE_COLS + j0 + 8);
                const float *ap = a + p * CK_TILE_ROWS + i0;
                for (int i = 0; i < 4; i++) {
                    __m256 ai = _mm256_broadcast_ss(ap + i);
                    acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
                    acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
                }
            }
            for (int i = 0; i < 4; i++) {
                _mm256_storeu_ps(c + (i0 + i) * ldc + j0, acc[i][0]);
                _mm256_storeu_ps(c + (i0 + i) * ldc + j0 + 8, acc[i][1]);
            }
        }
    }
}

// MARK: - AVX-512: the whole 8 x 32 tile in 16 accumulators.

__attribute__((target("avx512f")))
static void tile_avx512(long k, const float *a, const float *b, float *c, long ldc) {
    __m512 acc[CK_TILE_ROWS][2];
    for (int i = 0; i < CK_TILE_ROWS; i++) {
        acc[i][0] = _mm512_loadu_ps(c + i * ldc);
        acc[i][1] = _mm512_loadu_ps(c + i * ldc + 16);
    }
    for (long p = 0; p < k; p++) {
        __m512 b0 = _mm512_load_ps(b + p * CK_TILE_COLS);
        __m512 b1 = _mm512_load_ps(b + p * CK_TILE_COLS + 16);
        const float *ap = a + p * CK_TILE_ROWS;
        for (int i = 0; i < CK_TILE_ROWS; i++) {
            __m512 ai = _mm512_set1_ps(ap[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < CK_TILE_ROWS; i++) {
        _mm512_storeu_ps(c + i * ldc, acc[i][0]);
        _mm512_storeu_ps(c + i * ldc + 16, acc[i][1]);
    }
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

void ck_tile(CKISA isa, long k, const float *a, const float *b, float *c, long ldc) {
    if (isa > ck_best_isa()) isa = ck_best_isa();
    switch (isa) {
#if defined(__x86_64__)
    case CKISAAVX512: tile_avx512(k, a, b, c, ldc); return;
    case CKISAAVX2: tile_avx2(k, a, b, c, ldc); return;
#endif
    default: tile_portable(k, a, b, c, ldc); return;
    }
}
