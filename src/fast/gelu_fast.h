// gelu_fast.h: GELU (tanh form) with a vectorisable tanh; the contract of
// core/layers.h's gelu_forward / gelu_backward.
#pragma once

#include "core/scalar.h"

namespace rql {

// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))      x, y (n)
void gelu_forward_fast(real* y, const real* x, long n);
// dx <- dy * gelu'(x)                                       x, dy, dx (n)
void gelu_backward_fast(real* dx, const real* dy, const real* x, long n);

// gelu_forward_fast with fused multiply-adds (tanh_float<true>) where the
// target has FMA: the forward of the fast set (kernels_fast.h). 1.3x faster
// than gelu_forward_fast on a Zen 3 with AVX2 (docs/benchmarks.md); within
// 1e-6 (1 + |x|) of the reference (tests/fast/test_gelu_fast.cpp). Not the
// C export's arithmetic: that is gelu_forward_fast's, chained. Double
// builds: gelu_forward_fast.
void gelu_forward_fma(real* y, const real* x, long n);

// GELU's backward through the identity 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)):
//   dx <- dy (s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 0.044715 x^2)),
//   s = 1 / (1 + exp(-2u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
// (1 - T^2 = 4 s (1 - s)). One exp (tanh_fast.h's exp_float) and one
// division per element instead of tanh_float's two branches: measured 1.3x
// faster than gelu_backward_fast, and the backward of the fast set
// (kernels_fast.h). The same form for the forward, x s, measured 1.4x
// SLOWER than gelu_forward_fast with GCC 12, so the forward keeps tanh_float.
// Within 1e-6 (1 + |x|^3) of the reference (tests/fast/test_kernels_fast.cpp).
// In double builds: the reference formula with std::tanh.
// Its multiply-adds are fused where the target has FMA, like
// gelu_forward_fma's. (gelu_*_fast above stay chained: the C export,
// io/export_c.h, reproduces gelu_forward_fast's arithmetic bit for bit.)
void gelu_backward_exp(real* dx, const real* dy, const real* x, long n);

}  // namespace rql
