// adam.cpp: Adam (optax form) and Polyak averaging over flat blocks.
#include "adam.h"

#include <cmath>

namespace rql {

void adam_step(real* p, real* m, real* v, const real* g, long n, long t, const AdamConfig& c) {
  // Bias corrections in double, on purpose: one pow per call (twice per
  // update), not per element, so the software double of a single-precision
  // FPU costs nothing measurable. b2^t in float would lose the low digits
  // of 1 - b2^t = 1 - 0.999^t for small t, where the correction matters
  // most. optax computes them in float32; the difference is below float32
  // resolution of the update for t < 1e6.
  const real b1 = static_cast<real>(c.b1), b2 = static_cast<real>(c.b2);
  // 1 - b1 and 1 - b2 in double, then rounded (as optax does: 1 - decay is a
  // Python float). In float, 1 - float(0.999) = 0.00099998713 is 1.3e-5 away
  // from 0.001 and would bias every step by 6.4e-6 (tests/test_adam.cpp).
  const real one_minus_b1 = static_cast<real>(1.0 - c.b1), one_minus_b2 = static_cast<real>(1.0 - c.b2);
  const real bc1 = static_cast<real>(1.0 - std::pow(c.b1, static_cast<double>(t)));
  const real bc2 = static_cast<real>(1.0 - std::pow(c.b2, static_cast<double>(t)));
  const real lr = static_cast<real>(c.lr), eps = static_cast<real>(c.eps);
  for (long i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + one_minus_b1 * g[i];
    v[i] = b2 * v[i] + one_minus_b2 * g[i] * g[i];
    const real m_hat = m[i] / bc1;
    const real v_hat = v[i] / bc2;
    p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
  }
}

PolyakCoefficients polyak_coefficients(double rate) {
  // Setup-time conversion: 1 - rate in double, then each rounded once.
  return {static_cast<real>(rate), static_cast<real>(1.0 - rate)};
}

void polyak_update(real* target, const real* source, long n, PolyakCoefficients c) {
  for (long i = 0; i < n; ++i) target[i] = c.rate * source[i] + c.keep * target[i];
}

}  // namespace rql
