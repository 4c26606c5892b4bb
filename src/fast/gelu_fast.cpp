// gelu_fast.cpp: GELU forward and backward with the vectorisable tanh of
// tanh_fast.h (compiled with -fno-trapping-math, see CMakeLists.txt). Same
// formulas, in the same order, as the reference in core/layers.cpp; only the
// tanh differs (below 3e-7 from libm). In double builds tanh_real is
// std::tanh, so the two are then identical.
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

void gelu_backward_fast(real* dx, const real* dy, const real* x, long n) {
  for (long i = 0; i < n; ++i) {
    const real v = x[i];
    const real T = tanh_real(kGeluC * (v + kGeluA * v * v * v));
    const real d = real(0.5) * (real(1) + T) + real(0.5) * v * (real(1) - T * T) * kGeluC * (real(1) + real(3) * kGeluA * v * v);
    dx[i] += dy[i] * d;
  }
}

}  // namespace rql
