// gelu_fast.h: GELU (tanh form) with a vectorisable tanh; the contract of
// core/layers.h's gelu_forward / gelu_backward.
#pragma once

#include "core/scalar.h"

namespace rql {

// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))      x, y (n)
void gelu_forward_fast(real* y, const real* x, long n);
// dx <- dy * gelu'(x)                                       x, dy, dx (n)
void gelu_backward_fast(real* dx, const real* dy, const real* x, long n);

}  // namespace rql
