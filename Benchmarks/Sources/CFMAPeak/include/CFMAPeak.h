// CFMAPeak: loops of independent fused multiply-adds that keep the CPU's FMA pipes busy, for
// measuring its peak float32 throughput. Each variant is compiled for its instruction set with
// a target attribute, so a plain release build (baseline x86-64) still emits AVX2 / AVX-512.
#ifndef CFMAPEAK_H
#define CFMAPEAK_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 if the CPU runs AVX2 and FMA (always 0 off x86-64).
int fp_has_avx2_fma(void);
/// 1 if the CPU reports AVX-512F (always 0 off x86-64).
int fp_has_avx512f(void);

/// Floating-point operations one iteration of each loop performs (2 per lane per FMA).
long fp_avx2_flops_per_iteration(void);
long fp_avx512_flops_per_iteration(void);

/// Run `iterations` rounds of independent FMA chains in ymm (AVX2) or zmm (AVX-512) registers;
/// returns a value derived from every accumulator so that no work can be dropped. The caller
/// must check support first (these return 0 when the variant is not compiled in).
float fp_avx2_fma(long iterations, float seed);
float fp_avx512_fma(long iterations, float seed);

/// Run `iterations` rounds of 16 dependent one-cycle integer additions (x86-64 only; returns
/// 0 elsewhere). Timing it gives the core's clock: about 16 · iterations cycles.
long fp_add_chain(long iterations);
/// Additions per iteration of fp_add_chain (0 where it does not exist).
long fp_add_chain_length(void);

#ifdef __cplusplus
}
#endif

#endif
