// gelu_fast.cpp: GELU forward and backward with the vectorisable tanh of
// tanh_fast.h (compiled with -fno-trapping-math and -ffp-contract=off, see
// CMakeLists.txt). gelu_*_fast: the reference formulas of core/layers.cpp,
// in the same order; only the tanh differs (below 2e-7 from libm). In
// double builds tanh_real is std::tanh, so the two are then identical.
// gelu_forward_fma and gelu_backward_exp, the fast kernels' pair, go
// through sigmoid(2u) = 0.5 (1 + tanh u) and fuse their multiply-adds where
// the target has FMA (tanh_fast.h's madd and exp_nonneg_plus<true>).
#include "gelu_fast.h"

#include "tanh_fast.h"

namespace rql {

namespace {
// sqrt(2 / pi) and the cubic coefficient of the tanh approximation (as
// core/layers.cpp).
constexpr real kGeluC = real(0.7978845608028654);
constexpr real kGeluA = real(0.044715);
}  // namespace

void gelu_forward_fast(real* y, const real* x, long n) {
  for (long i = 0; i < n; ++i) {
    const real v = x[i];
    const real u = kGeluC * (v + kGeluA * v * v * v);
    y[i] = real(0.5) * v * (real(1) + tanh_real(u));
  }
}

#ifdef RQL_DOUBLE
void gelu_forward_fma(real* y, const real* x, long n) { gelu_forward_fast(y, x, n); }
#else
namespace {
// 1 + exp(2|u|) (= 1 / sigmoid(-2|u|)), with fused multiply-adds; 2|u|
// clamped to 87, exp_nonneg_plus's range (NaN also takes the clamp). At the
// clamp 1 / (1 + e^87) = 1.6e-38: v - v q rounds to v (as the reference,
// where tanh has rounded to 1), and v q is within 1.6e-38 |v| of the exact
// value, a normal float, where the reference gives 0 once tanh rounds to
// -1 (tests/fast/test_gelu_fast.cpp). Selecting 0 there instead cost 25%
// of the loop's time with GCC 12, or stopped it vectorising (stand-alone
// loops, 0.67 against 0.84 and 4.7 ns per element).
inline float one_plus_exp_2abs(float u) {
  const float a = 2.0f * std::fabs(u);
  return exp_nonneg_plus<true>(a < 87.0f ? a : 87.0f, 1.0f);
}
inline float gelu_u(float v) { return kGeluC * madd<true>(kGeluA * v * v, v, v); }  // C (v + A v^3)
}  // namespace

void gelu_forward_fma(real* y, const real* x, long n) {
  // gelu(v) = v sigmoid(2u) (0.5 (1 + tanh u) = sigmoid(2u)); with
  // q = sigmoid(-2|u|): v q if u < 0, v - v q otherwise (u has v's sign).
  // One exp of a non-negative argument and one division, no sign copy.
  for (long i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = gelu_u(v);
    const float vq = v / one_plus_exp_2abs(u);
    y[i] = u < 0.0f ? vq : v - vq;
  }
}
#endif

void gelu_backward_fast(real* dx, const real* dy, const real* x, long n) {
  for (long i = 0; i < n; ++i) {
    const real v = x[i];
    const real T = tanh_real(kGeluC * (v + kGeluA * v * v * v));
    const real d = real(0.5) * (real(1) + T) + real(0.5) * v * (real(1) - T * T) * kGeluC * (real(1) + real(3) * kGeluA * v * v);
    dx[i] += dy[i] * d;
  }
}

#ifdef RQL_DOUBLE
void gelu_backward_exp(real* dx, const real* dy, const real* x, long n) { gelu_backward_fast(dx, dy, x, n); }
#else
void gelu_backward_exp(real* dx, const real* dy, const real* x, long n) {
  // With s = 0.5 (1 + T) = sigmoid(2u):  1 - T^2 = 4 s (1 - s), so
  // gelu'(x) = 0.5 (1 + T) + 0.5 x (1 - T^2) c (1 + 3 a x^2) = s + 2 x s (1 - s) c (1 + 3 a x^2),
  // and with q = sigmoid(-2|u|): s = q if u < 0, else 1 - q; s (1 - s) = q (1 - q).
  for (long i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = gelu_u(v);
    const float q = 1.0f / one_plus_exp_2abs(u);
    const float s = u < 0.0f ? q : 1.0f - q;
    const float d = madd<true>(2.0f * v * q * (1.0f - q) * kGeluC, madd<true>(3.0f * kGeluA * v, v, 1.0f), s);
    dx[i] = madd<true>(dy[i], d, dx[i]);
  }
}
#endif

}  // namespace rql
