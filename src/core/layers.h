// layers.h: the layers of docs/spec.md §1 as forward/backward pairs over caller-owned
// memory: Glorot-uniform initialisation of a Dense layer, GELU (tanh
// approximation) and LayerNorm (eps 1e-6). The Dense products themselves are
// in matmul.h.
//
// Convention (whole library): forward overwrites its output; backward
// ACCUMULATES (`<-` means +=) into every gradient array it is given.
// Derivations of every backward: docs/backprop.md.
#pragma once

#include <cmath>
#include <cstdint>

#include "rng.h"
#include "scalar.h"

namespace rql {

// Flax's LayerNorm epsilon (PyTorch's default is 1e-5: a porting pitfall).
constexpr double kLayerNormEps = 1e-6;

// Glorot (Xavier) uniform: W (fan_in, fan_out) ~ U(-l, l),
// l = sqrt(6 / (fan_in + fan_out)); b (fan_out) = 0. Draws fan_in * fan_out
// uniforms from `rng` in row-major order of W.
// glorot_limit is the value in double (for tests and tools); dense_init
// computes the same limit in real.
double glorot_limit(int fan_in, int fan_out);
void dense_init(real* W, real* b, int fan_in, int fan_out, Rng& rng);

// y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))      x, y (n)
// (std::tanh; the fast set of kernels uses a vectorisable tanh instead:
// fast/tanh_fast.h)
void gelu_forward(real* y, const real* x, long n);
// dx <- dy * gelu'(x)                                       x, dy, dx (n)
void gelu_backward(real* dx, const real* dy, const real* x, long n);

// Per row r of x (M, N):  mean_r, var_r = population mean and variance,
// rstd_r = 1 / sqrt(var_r + 1e-6), y = (x - mean_r) rstd_r g + beta.
// g, beta (N); mean, rstd (M) are written for the backward.
void layernorm_forward(real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta,
                       int M, int N);
// xhat = (x - mean) rstd,  dxhat = dy g:
//   dx <- rstd (dxhat - mean_N(dxhat) - xhat mean_N(dxhat xhat))
//   dg <- sum_rows(dy xhat),  dbeta <- sum_rows(dy)
// dg and dbeta may be null (input-only backward).
void layernorm_backward(real* dx, real* dg, real* dbeta, const real* dy, const real* x, const real* mean,
                        const real* rstd, const real* g, int M, int N);

}  // namespace rql
