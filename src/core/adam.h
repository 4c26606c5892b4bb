// adam.h: the optimizer and target-network updates, as flat loops over the
// contiguous parameter blocks (docs/spec.md §5).
//
// Adam in optax's form (optax.adam = scale_by_adam + scale(-lr)):
//   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//   m_hat = m / (1 - b1^t),   v_hat = v / (1 - b2^t)      (t = step, from 1)
//   p <- p - lr * m_hat / (sqrt(v_hat) + eps)
// eps sits OUTSIDE the square root (optax's eps; its eps_root = 0 is inside).
#pragma once

#include "scalar.h"

namespace rql {

struct AdamConfig {
  double lr = 3e-4;
  double b1 = 0.9;
  double b2 = 0.999;
  double eps = 1e-8;
};

// p, m, v, g (n). `t` is the step number of this update (1 for the first).
void adam_step(real* p, real* m, real* v, const real* g, long n, long t, const AdamConfig& c);

// target <- rate * source + keep * target      target, source (n)
// with keep = 1 - rate (Polyak averaging; the target actor's EMA is
// polyak_update with rate = 1 - ema). Both coefficients are given, each
// rounded once from the config's double value (polyak_coefficients), so
// that neither carries the other's rounding error.
struct PolyakCoefficients {
  real rate, keep;
};
PolyakCoefficients polyak_coefficients(double rate);
void polyak_update(real* target, const real* source, long n, PolyakCoefficients c);

}  // namespace rql
