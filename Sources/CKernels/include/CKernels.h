// CKernels: the few hot loops of charrnn that need instructions a default Swift build cannot
// emit (a plain `swift build -c release` targets baseline x86-64). Each function exists in
// variants compiled for AVX-512, AVX2+FMA and portable C; one is chosen at run time from what
// the CPU supports (or by the caller, so tests can run every path). Everything else (loops,
// packing, threading) is Swift, in the Tensor module, which also holds the reference kernels.
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

/// The rows and columns of the block of C that one call of ck_tile updates.
#define CK_TILE_ROWS 8
#define CK_TILE_COLS 32

/// The best instruction set this CPU supports (portable on anything but x86-64).
CKISA ck_best_isa(void);

/// c[8 x 32] (row stride ldc) += a · b, where a is a packed k x 8 panel (a[p * 8 + i] is row i
/// of column p) and b a packed k x 32 panel (b[p * 32 + j]), both 64-byte aligned, computed with
/// the variant for `isa` (or the best the CPU supports, if it does not support `isa`).
void ck_tile(CKISA isa, long k, const float *a, const float *b, float *c, long ldc);

#ifdef __cplusplus
}
#endif

#endif
