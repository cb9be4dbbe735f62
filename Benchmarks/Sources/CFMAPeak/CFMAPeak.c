#include "CFMAPeak.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define FP_X86 1
#else
#define FP_X86 0
#endif

// Independent accumulator chains. With an FMA latency of 4–5 cycles and two FMA pipes, at
// least 8–10 chains in flight keep both pipes busy; 12 ymm accumulators plus the two operands
// fit in the 16 ymm registers, and 24 zmm accumulators plus two in the 32 zmm registers.
#define AVX2_CHAINS 12
#define AVX512_CHAINS 24

long fp_avx2_flops_per_iteration(void) { return AVX2_CHAINS * 8 * 2; }
long fp_avx512_flops_per_iteration(void) { return AVX512_CHAINS * 16 * 2; }

#if FP_X86

int fp_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int fp_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

// acc = acc * m + c with m just below 1 converges to c / (1 - m): no overflow, no denormals.
__attribute__((target("avx2,fma")))
float fp_avx2_fma(long iterations, float seed) {
    const __m256 m = _mm256_set1_ps(0.999999f);
    const __m256 c = _mm256_set1_ps(1e-6f);
    __m256 a0 = _mm256_set1_ps(seed), a1 = _mm256_set1_ps(seed + 1), a2 = _mm256_set1_ps(seed + 2);
    __m256 a3 = _mm256_set1_ps(seed + 3), a4 = _mm256_set1_ps(seed + 4), a5 = _mm256_set1_ps(seed + 5);
    __m256 a6 = _mm256_set1_ps(seed + 6), a7 = _mm256_set1_ps(seed + 7), a8 = _mm256_set1_ps(seed + 8);
    __m256 a9 = _mm256_set1_ps(seed + 9), a10 = _mm256_set1_ps(seed + 10), a11 = _mm256_set1_ps(seed + 11);
    for (long i = 0; i < iterations; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c);
        a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);
        a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);
        a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c);
        a11 = _mm256_fmadd_ps(a11, m, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    float total = 0;
    for (int i = 0; i < 8; i++) total += lanes[i];
    return total;
}

__attribute__((target("avx512f")))
float fp_avx512_fma(long iterations, float seed) {
    const __m512 m = _mm512_set1_ps(0.999999f);
    const __m512 c = _mm512_set1_ps(1e-6f);
    __m512 acc[AVX512_CHAINS];
    for (int j = 0; j < AVX512_CHAINS; j++) acc[j] = _mm512_set1_ps(seed + (float)j);
    for (long i = 0; i < iterations; i++) {
        // A constant trip count: clang unrolls this fully and keeps acc[] in registers.
#pragma clang loop unroll(full)
        for (int j = 0; j < AVX512_CHAINS; j++) acc[j] = _mm512_fmadd_ps(acc[j], m, c);
    }
    __m512 s = acc[0];
    for (int j = 1; j < AVX512_CHAINS; j++) s = _mm512_add_ps(s, acc[j]);
    return _mm512_reduce_add_ps(s);
}

long fp_add_chain(long iterations) {
    long x = 0;
    for (long i = 0; i < iterations; i++) {
        // 16 dependent additions the compiler may not merge: one cycle each on any x86 core.
        __asm__ volatile(
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
            : "+r"(x));
    }
    return x;
}

long fp_add_chain_length(void) { return 16; }

#else

int fp_has_avx2_fma(void) { return 0; }
int fp_has_avx512f(void) { return 0; }
float fp_avx2_fma(long iterations, float seed) { (void)iterations; (void)seed; return 0; }
float fp_avx512_fma(long iterations, float seed) { (void)iterations; (void)seed; return 0; }
long fp_add_chain(long iterations) { (void)iterations; return 0; }
long fp_add_chain_length(void) { return 0; }

#endif
