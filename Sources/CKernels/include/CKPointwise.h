// CKPointwise: the elementwise work of training that libm made slow: tanh over the hidden state
// of every step and the exponentials of the softmax over every row of logits.
// Like ck_tile, each function has variants for AVX-512, AVX2+FMA and portable C, chosen by the
// `isa` argument (the best the CPU supports if it does not support `isa`). The tests
// (PointwiseTests.swift) compare every variant against Float64; the benchmark pointwise-speed
// times them against the libm loops they replaced.
#ifndef CKPOINTWISE_H
#define CKPOINTWISE_H

#include "CKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = tanh(x[i]) for i < n, within 2 ulp; tanh(±inf) = ±1, NaN stays NaN, −0 stays −0.
/// y may be x.
void ck_tanh(CKISA isa, long n, const float *x, float *y);

/// The softmax of one row x[0 ..< n] (n ≥ 1), computed stably: with m = max x (NaNs ignored),
/// returns s = Σ exp(x[j] − m), summed in 16 float lanes and the lanes in double, and stores m
/// in *maximum. If g is not NULL it receives exp(x[j] − m) · scale / s, that is softmax · scale;
/// g may be x itself, but must not otherwise overlap it. A NaN in x makes s NaN.
double ck_softmax_row(CKISA isa, long n, const float *x, float *g, float scale, float *maximum);

#ifdef __cplusplus
}
#endif

#endif
