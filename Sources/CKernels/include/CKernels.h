// CKernels: the few hot loops of charrnn that need instructions a default Swift build cannot
// emit (a plain `swift build -c release` targets baseline x86-64). Each function exists in
// variants compiled for AVX-512, AVX2+FMA and portable C; one is chosen at run time from what
// the CPU supports (or by the caller, so tests can run every path). Everything else (loops,
// blocking, packing, threading) is Swift, in the Tensor module, which also holds the reference
// kernels.
#ifndef CKERNELS_H
#define CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction sets a kernel can be compiled for.
typedef enum CKISA {
    CKISAPortable = 0,
    CKISAAVX2 = 1,
    CKISAAVX512 = 2,
} CKISA;

/// The most rows and columns of the block of C that one call of ck_tile updates. 6 x 16 keeps
/// 12 AVX2 accumulators busy (two FMA pipes of latency 4-5 need at least 8-10 in flight) and
/// leaves registers for two rows of B and a broadcast of A.
#define CK_TILE_ROWS 6
#define CK_TILE_COLS 16

/// The best instruction set this CPU supports (portable on anything but x86-64).
CKISA ck_best_isa(void);

/// The instruction set the kernels should use on this CPU: the best it supports, except AVX2
/// instead of AVX-512 on AMD's Zen 4 (family 0x19), which runs each 512-bit operation as two
/// 256-bit halves: there the AVX-512 tile trained 8-15% slower (Benchmarks/README.md).
CKISA ck_preferred_isa(void);

/// c[rows x cols] (row stride ldc) = (accumulate ? c : 0) + A · B, for rows <= 6, cols <= 16,
/// computed with the variant for `isa` (or the best the CPU supports, if it does not support it):
/// - A is rows x k, element (i, p) at a[i * rsa + p * csa] (so a row-major A has rsa = lda,
///   csa = 1, and a transposed one rsa = 1, csa = lda); only rows < `rows` are read.
/// - B is k x cols, row p starting at b + p * ldb; only its first `cols` floats are read.
/// Only the rows x cols block of c is read or written. Each element of A · B is summed from zero
/// in the order p = 0, 1, ..., k - 1 (AVX-512: even and odd p apart, then added), then added to
/// c: so accumulating adds exactly what overwriting would store.
void ck_tile(CKISA isa, long k, const float *a, long rsa, long csa, const float *b, long ldb,
             float *c, long ldc, long rows, long cols, int accumulate);

/// ck_tile down a column of C: rows of any number, as 6-row tiles from the top (the last one
/// partial), tile t reading its rows of A from a + 6t * row_step with strides rsa and csa (so a
/// row-major A has row_step = rsa, and A packed in 6-row panels of k steps has row_step = k).
/// The same sums as one ck_tile call per tile, without a call from Swift for each.
void ck_tile_column(CKISA isa, long k, const float *a, long row_step, long rsa, long csa, const float *b,
                    long ldb, float *c, long ldc, long rows, long cols, int accumulate);

/// The same for a short, wide block, rows <= 2 and cols <= 32, where columns 0-15 of B's row p
/// start at b0 + p * ldb and columns 16-31 at b1 + p * ldb (two panels of a packed operand; b1
/// is not read if cols <= 16). For the last rows of A: a batch of 32 rows is five 6-row tiles and
/// two rows, which this computes 3.5 times as fast as two (partial) 6-row tiles, same sums.
void ck_tile_wide(CKISA isa, long k, const float *a, long rsa, long csa, const float *b0, const float *b1,
                  long ldb, float *c, long ldc, long rows, long cols, int accumulate);

/// The same for a tall, narrow block, rows <= 12 and cols <= 8, where rows 0-5 of A start at a0
/// and rows 6-11 at a1 (two 6-row tiles, each with strides rsa and csa), and each row of B has 8
/// readable floats (a packed panel, zero-padded). For a last panel of B with 8 columns or fewer
/// (V = 65 is four panels and one column): half the time of two (partial) 6 x 16 tiles, same sums.
void ck_tile_narrow(CKISA isa, long k, const float *a0, const float *a1, long rsa, long csa, const float *b,
                    long ldb, float *c, long ldc, long rows, long cols, int accumulate);

/// y[i * ldy + j] = (accumulate ? y[i * ldy + j] : 0) + sum over p < k of x[i * ldx + p] *
/// w[j * ldw + p], for i < m, j < n: the rows of x dotted with the rows of w (y = x · wT, with w
/// a row-major n x k matrix such as a PyTorch weight), reading w in place, once per 4 rows of x.
/// For inference with few rows, where the product is bound by reading w: each pass streams up
/// to 8 rows of w at once with independent accumulators, and prefetches the rows after them.
/// Each dot product is summed in 8 lanes (16 for AVX-512), then across them: the same every
/// call, but in another order than ck_tile's.
void ck_row_dots(CKISA isa, long m, long n, long k, const float *x, long ldx, const float *w, long ldw,
                 float *y, long ldy, int accumulate);

#ifdef __cplusplus
}
#endif

// The elementwise kernels (tanh, softmax rows), declared in their own header.
#include "CKPointwise.h"

#endif
