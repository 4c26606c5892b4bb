// layers.cpp: Glorot init, GELU (tanh form), LayerNorm (docs/spec.md §1).
// See layers.h for the equations and docs/backprop.md for the derivations.
#include "layers.h"

#include <cmath>

namespace rql {

double glorot_limit(int fan_in, int fan_out) { return std::sqrt(6.0 / (fan_in + fan_out)); }

void dense_init(real* W, real* b, int fan_in, int fan_out, Rng& rng) {
  // glorot_limit in real (no software double on a single-precision FPU).
  const real l = std::sqrt(real(6) / static_cast<real>(fan_in + fan_out));
  for (long i = 0; i < static_cast<long>(fan_in) * fan_out; ++i) W[i] = rng_range(rng, -l, l);
  for (int j = 0; j < fan_out; ++j) b[j] = 0;
}

namespace {
// sqrt(2 / pi) and the cubic coefficient of the tanh approximation.
constexpr real kGeluC = real(0.7978845608028654);
constexpr real kGeluA = real(0.044715);
}  // namespace

void gelu_forward(real* y, const real* x, long n) {
  for (long i = 0; i < n; ++i) {
    const real v = x[i];
    const real u = kGeluC * (v + kGeluA * v * v * v);
    y[i] = real(0.5) * v * (real(1) + std::tanh(u));
  }
}

void gelu_backward(real* dx, const real* dy, const real* x, long n) {
  // gelu(x) = 0.5 x (1 + T), T = tanh(u), u = c (x + a x^3)
  // gelu'(x) = 0.5 (1 + T) + 0.5 x (1 - T^2) c (1 + 3 a x^2)
  for (long i = 0; i < n; ++i) {
    const real v = x[i];
    const real T = std::tanh(kGeluC * (v + kGeluA * v * v * v));
    const real d = real(0.5) * (real(1) + T) + real(0.5) * v * (real(1) - T * T) * kGeluC * (real(1) + real(3) * kGeluA * v * v);
    dx[i] += dy[i] * d;
  }
}

void layernorm_forward(real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta,
                       int M, int N) {
  for (int r = 0; r < M; ++r) {
    const real* xr = x + static_cast<long>(r) * N;  // row r (N)
    real* yr = y + static_cast<long>(r) * N;
    real m = 0;
    for (int j = 0; j < N; ++j) m += xr[j];
    m /= N;
    real var = 0;  // two-pass population variance (Flax computes E[x^2] - E[x]^2 in
                   // float32; two passes is the more accurate of the two, see docs)
    for (int j = 0; j < N; ++j) var += (xr[j] - m) * (xr[j] - m);
    var /= N;
    const real s = real(1) / std::sqrt(var + real(kLayerNormEps));
    for (int j = 0; j < N; ++j) yr[j] = (xr[j] - m) * s * g[j] + beta[j];
    mean[r] = m;
    rstd[r] = s;
  }
}

void layernorm_backward(real* dx, real* dg, real* dbeta, const real* dy, const real* x, const real* mean,
                        const real* rstd, const real* g, int M, int N) {
  for (int r = 0; r < M; ++r) {
    const real* xr = x + static_cast<long>(r) * N;
    const real* dyr = dy + static_cast<long>(r) * N;
    real* dxr = dx + static_cast<long>(r) * N;
    const real m = mean[r], s = rstd[r];
    // mean_N(dxhat) and mean_N(dxhat * xhat)
    real sum_d = 0, sum_dx = 0;
    for (int j = 0; j < N; ++j) {
      const real xhat = (xr[j] - m) * s;
      const real dxhat = dyr[j] * g[j];
      sum_d += dxhat;
      sum_dx += dxhat * xhat;
      if (dg) dg[j] += dyr[j] * xhat;
      if (dbeta) dbeta[j] += dyr[j];
    }
    const real mean_d = sum_d / N, mean_dx = sum_dx / N;
    for (int j = 0; j < N; ++j) {
      const real xhat = (xr[j] - m) * s;
      dxr[j] += s * (dyr[j] * g[j] - mean_d - xhat * mean_dx);
    }
  }
}

}  // namespace rql
