// gelu_fast.h: GELU (tanh form) with a vectorisable tanh; the contract of
// core/layers.h's gelu_forward / gelu_backward.
#pragma once

#include "core/scalar.h"

namespace rql {

// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))      x, y (n)
void gelu_forward_fast(real* y, const real* x, long n);
// dx <- dy * gelu'(x)                                       x, dy, dx (n)
void gelu_backward_fast(real* dx, const real* dy, const real* x, long n);

// GELU's forward as v sigmoid(2u) (0.5 (1 + tanh u) = sigmoid(2u)), with
// q = 1 / (1 + exp(2|u|)): v q for u < 0, v - v q otherwise; one exp of a
// non-negative argument (tanh_fast.h's exp_nonneg_plus), one division, fused
// multiply-adds where the target has FMA. The forward of the fast set
// (kernels_fast.h): 1.7x faster than gelu_forward_fast on a Zen 3 with AVX2
// (docs/benchmarks.md); within 1e-6 (1 + |x|) of the reference
// (tests/fast/test_gelu_fast.cpp). Not the C export's arithmetic: that is
// gelu_forward_fast's, chained. Double builds: gelu_forward_fast.
// Infinite inputs: +inf gives NaN (inf - inf) and -inf gives -inf, where the
// reference gives inf and NaN; finite inputs stay finite.
void gelu_forward_fma(real* y, const real* x, long n);

// GELU's backward through the same q = sigmoid(-2|u|) as gelu_forward_fma:
//   dx <- dy (s + 2 x q (1 - q) sqrt(2/pi) (1 + 3 0.044715 x^2)),
//   s = sigmoid(2u) = q if u < 0, else 1 - q,  u = sqrt(2/pi) (x + 0.044715 x^3)
// (1 - T^2 = 4 s (1 - s) and s (1 - s) = q (1 - q)). One exp and one
// division per element; the backward of the fast set (kernels_fast.h).
// Fused multiply-adds where the target has FMA. Within 1e-6 (1 + |x|^3) of
// the reference (tests/fast/test_kernels_fast.cpp). In double builds: the
// reference formula with std::tanh. (gelu_*_fast above stay chained: the C
// export, io/export_c.h, reproduces gelu_forward_fast bit for bit.)
void gelu_backward_exp(real* dx, const real* dy, const real* x, long n);

}  // namespace rql
