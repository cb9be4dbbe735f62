// Pointwise kernels: exp and tanh by range reduction and polynomials, on vectors of 16 floats.
//
// Each kernel is written once, on Clang vector types, as an always-inlined body; the variants
// are one-line functions compiled for an instruction set that inline that body. One vector of
// 16 floats is one AVX-512 register, two AVX2 registers or four SSE2 registers, so every variant
// adds the same lanes in the same order: they differ only where AVX2 and AVX-512 fuse a multiply
// and an add. The polynomial coefficients are weighted minimax (Remez) fits to the relative
// error, rounded to float.
#include "CKPointwise.h"

#include <string.h>

typedef float vfloat __attribute__((ext_vector_type(16)));
typedef int vint __attribute__((ext_vector_type(16)));
#define LANES 16

// The helpers are always inlined into a function compiled for one instruction set, so their
// vector arguments never cross a call: the warning that such arguments change the ABI is moot.
#pragma clang diagnostic ignored "-Wpsabi"
#define INLINE static inline __attribute__((always_inline))

INLINE vfloat load(const float *p) {
    vfloat v;
    memcpy(&v, p, sizeof v);
    return v;
}

INLINE void store(float *p, vfloat v) { memcpy(p, &v, sizeof v); }

/// The first `count` (< LANES) floats of p, the other lanes `fill`.
INLINE vfloat load_part(const float *p, long count, float fill) {
    float lanes[LANES];
    for (int j = 0; j < LANES; j++) lanes[j] = fill;
    memcpy(lanes, p, (size_t)count * sizeof(float));
    return load(lanes);
}

INLINE void store_part(float *p, long count, vfloat v) {
    float lanes[LANES];
    store(lanes, v);
    memcpy(p, lanes, (size_t)count * sizeof(float));
}

// MARK: - exp and tanh of every lane

/// e^x, within 1.02 ulp of the exact value for every float x (all checked, AVX2 and portable),
/// subnormal results included; e^−inf = 0, e^+inf = inf, NaN stays NaN (comparisons with NaN
/// are false, so the clamps keep it).
INLINE vfloat exp_lanes(vfloat x) {
    x = x < -104.0f ? -104.0f : x;  // e^−104 < 2^−150: rounds to 0
    x = x > 89.0f ? 89.0f : x;      // e^89 > 2^128: overflows to inf
    // x = k ln2 + r with k an integer and |r| ≤ ln2/2. Adding 1.5 · 2^23 rounds x·log2(e) to an
    // integer, which then sits in the low bits of t.
    vfloat t = x * 0x1.715476p+0f + 0x1.8p23f;
    vfloat k = t - 0x1.8p23f;
    vint ki = (vint)t - 0x4B400000;
    // ln2 in two parts: hi has 9 significant bits, so k · hi and x − k · hi are exact.
    vfloat r = x - k * 0x1.63p-1f;
    r = r - k * -0x1.bd0106p-13f;
    // e^r = 1 + r + r² q(r), relative error 2^−28.3 on |r| ≤ ln2/2.
    vfloat q = 0x1.6a244cp-10f;
    q = q * r + 0x1.1239d4p-7f;
    q = q * r + 0x1.5558f2p-5f;
    q = q * r + 0x1.555492p-3f;
    q = q * r + 0x1.fffffcp-2f;
    vfloat p = 1.0f + (r + (r * r) * q);
    // Times 2^k in two normal factors, so that k from −150 to 128 rounds only once, at the end.
    vint k1 = ki >> 1, k2 = ki - k1;
    return (p * (vfloat)((k1 + 127) << 23)) * (vfloat)((k2 + 127) << 23);
}

/// tanh x, within 1.52 ulp of the exact value for every float x (all checked, AVX2 and
/// portable): an odd polynomial below 0.55, (1 − e^−2|x|) / (1 + e^−2|x|) above.
INLINE vfloat tanh_lanes(vfloat x) {
    vint sign = (vint)x & (int)0x80000000;
    vfloat a = (vfloat)((vint)x ^ sign);
    // x + x³ P(x²), relative error 2^−29.8 on [0, 0.55]; tiny x gives x.
    vfloat a2 = a * a;
    vfloat s = -0x1.9b3046p-8f;
    s = s * a2 + 0x1.593d08p-6f;
    s = s * a2 + -0x1.b9287ap-5f;
    s = s * a2 + 0x1.110d26p-3f;
    s = s * a2 + -0x1.55554ap-2f;
    vfloat small = a + (a * a2) * s;
    // Above 0.55, e^−2|x| < 1/3, so 1 − e^−2|x| loses nothing to cancellation; it is 0 for
    // large |x| (and inf), which gives exactly 1. NaN takes this branch.
    vfloat e = exp_lanes(-2.0f * a);
    vfloat large = (1.0f - e) / (1.0f + e);
    vfloat y = a < 0.55f ? small : large;
    return (vfloat)((vint)y | sign);
}

// MARK: - Kernel bodies

INLINE void tanh_body(long n, const float *x, float *y) {
    long i = 0;
    for (; i + LANES <= n; i += LANES) store(y + i, tanh_lanes(load(x + i)));
    if (i < n) store_part(y + i, n - i, tanh_lanes(load_part(x + i, n - i, 0)));
}

INLINE double softmax_row_body(long n, const float *x, float *g, float scale, float *maximum) {
    // The maximum (a NaN compares false, so it never wins).
    vfloat m = -__builtin_inff();
    long i = 0;
    for (; i + LANES <= n; i += LANES) {
        vfloat v = load(x + i);
        m = v > m ? v : m;
    }
    if (i < n) {
        vfloat v = load_part(x + i, n - i, -__builtin_inff());
        m = v > m ? v : m;
    }
    float mx = m[0];
    for (int j = 1; j < LANES; j++) mx = m[j] > mx ? m[j] : mx;
    *maximum = mx;

    // e = exp(x − m), kept in g and summed in 16 lanes; padding lanes are −inf, so e = 0.
    vfloat sum = 0;
    for (i = 0; i + LANES <= n; i += LANES) {
        vfloat e = exp_lanes(load(x + i) - mx);
        sum += e;
        if (g) store(g + i, e);
    }
    if (i < n) {
        vfloat e = exp_lanes(load_part(x + i, n - i, -__builtin_inff()) - mx);
        sum += e;
        if (g) store_part(g + i, n - i, e);
    }
    double s = 0;
    for (int j = 0; j < LANES; j++) s += (double)sum[j];

    // Normalize: g = e · scale / s.
    if (g) {
        float factor = (float)((double)scale / s);
        for (i = 0; i + LANES <= n; i += LANES) store(g + i, load(g + i) * factor);
        for (; i < n; i++) g[i] *= factor;
    }
    return s;
}

// MARK: - Variants

static void tanh_portable(long n, const float *x, float *y) { tanh_body(n, x, y); }
static double softmax_row_portable(long n, const float *x, float *g, float scale, float *maximum) {
    return softmax_row_body(n, x, g, scale, maximum);
}

#if defined(__x86_64__)
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx2,fma")))

AVX2 static void tanh_avx2(long n, const float *x, float *y) { tanh_body(n, x, y); }
AVX2 static double softmax_row_avx2(long n, const float *x, float *g, float scale, float *maximum) {
    return softmax_row_body(n, x, g, scale, maximum);
}

AVX512 static void tanh_avx512(long n, const float *x, float *y) { tanh_body(n, x, y); }
AVX512 static double softmax_row_avx512(long n, const float *x, float *g, float scale, float *maximum) {
    return softmax_row_body(n, x, g, scale, maximum);
}
#endif

// MARK: - Dispatch

static CKISA supported(CKISA isa) { return isa > ck_best_isa() ? ck_best_isa() : isa; }

void ck_tanh(CKISA isa, long n, const float *x, float *y) {
    switch (supported(isa)) {
#if defined(__x86_64__)
    case CKISAAVX512: tanh_avx512(n, x, y); return;
    case CKISAAVX2: tanh_avx2(n, x, y); return;
#endif
    default: tanh_portable(n, x, y); return;
    }
}

double ck_softmax_row(CKISA isa, long n, const float *x, float *g, float scale, float *maximum) {
    switch (supported(isa)) {
#if defined(__x86_64__)
    case CKISAAVX512: return softmax_row_avx512(n, x, g, scale, maximum);
    case CKISAAVX2: return softmax_row_avx2(n, x, g, scale, maximum);
#endif
    default: return softmax_row_portable(n, x, g, scale, maximum);
    }
}
