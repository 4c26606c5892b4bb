// gelu_fast.cpp: GELU forward and backward with the vectorisable tanh of
// tanh_fast.h (compiled with -fno-trapping-math and -ffp-contract=off, see
// CMakeLists.txt). gelu_*_fast: the reference formulas of core/layers.cpp,
// in the same order; only the tanh differs (below 2e-7 from libm). In
// double builds tanh_real is std::tanh, so the two are then identical.
// gelu_forward_fma and gelu_backward_exp, the fast kernels' pair, fuse
// their multiply-adds where the target has FMA (tanh_fast.h's madd).
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
void gelu_forward_fma(real* y, const real* x, long n) {
  for (long i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = kGeluC * madd<true>(kGeluA * v * v, v, v);  // C (v + A v^3)
    y[i] = 0.5f * v * (1.0f + tanh_float<true>(u));
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
namespace {
// exp(-2u) with -2u clamped to [-87, 87], exp_float's range. Clamping changes
// nothing visible: beyond it 1 / (1 + e) is 1 or below 2e-38 either way.
inline float exp_minus_2u(float v) {
  const float u = kGeluC * madd<true>(kGeluA * v * v, v, v);
  float y = -2.0f * u;
  y = y < -87.0f ? -87.0f : y;
  y = y > 87.0f ? 87.0f : y;
  return exp_float<true>(y);
}
}  // namespace

void gelu_backward_exp(real* dx, const real* dy, const real* x, long n) {
  // With s = 0.5 (1 + T):  1 - T^2 = 4 s (1 - s), so
  // gelu'(x) = 0.5 (1 + T) + 0.5 x (1 - T^2) c (1 + 3 a x^2) = s + 2 x s (1 - s) c (1 + 3 a x^2)
  for (long i = 0; i < n; ++i) {
    const float v = x[i];
    const float s = 1.0f / (1.0f + exp_minus_2u(v));
    const float d = madd<true>(2.0f * v * s * (1.0f - s) * kGeluC, madd<true>(3.0f * kGeluA * v, v, 1.0f), s);
    dx[i] = madd<true>(dy[i], d, dx[i]);
  }
}
#endif

}  // namespace rql
