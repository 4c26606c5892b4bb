// layers.cpp: Glorot init, GELU (tanh form), LayerNorm (SPEC 1).
// See layers.h for the equations and docs/backprop.md for the derivations.
#include "layers.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace rql {

double glorot_limit(int fan_in, int fan_out) { return std::sqrt(6.0 / (fan_in + fan_out)); }

void dense_init(real* W, real* b, int fan_in, int fan_out, Rng& rng) {
  const double l = glorot_limit(fan_in, fan_out);
  for (long i = 0; i < static_cast<long>(fan_in) * fan_out; ++i) W[i] = static_cast<real>(rng_range(rng, -l, l));
  for (int j = 0; j < fan_out; ++j) b[j] = 0;
}

namespace {
// sqrt(2 / pi) and the cubic coefficient of the tanh approximation.
constexpr real kGeluC = real(0.7978845608028654);
constexpr real kGeluA = real(0.044715);
}  // namespace

// tanh for float, written so that GCC vectorises the GELU loops (a libm call
// per element does not vectorise and dominated the update's time: about 20
// ns each, 2e7 of them per update at the authors' default size).
//   1. |x| < 0.3: the odd Taylor series to x^11 (next term < 6e-10 |x|).
//   2. otherwise: 1 - 2 / (exp(2|x|) + 1), and exactly 1 beyond |x| = 9.1
//      (where tanh rounds to 1 in float, as libm's tanhf gives); exp(y) = 2^k exp(r), k = round(y / ln 2),
//      r = y - k ln2 (ln 2 split in two parts, Cody-Waite), exp(r) by its
//      Taylor polynomial to r^7 (|r| <= 0.35: error < 1e-8).
//   3. the sign is copied back: tanh is odd.
// Both branches are computed and one is selected, so the loop has no branch.
// Measured error against std::tanh over [-12, 12] (tests/test_layers.cpp,
// GeluTest.FastTanhMatchesLibm): below 3e-7 absolute. The double build uses
// std::tanh.
float tanh_float(float x) {
  const float a = std::fabs(x);
  const float a2 = a * a;
  // tanh(a) = a - a^3/3 + 2a^5/15 - 17a^7/315 + 62a^9/2835 - 1382a^11/155925
  const float small = a + a * a2 * (-0.333333333f + a2 * (0.133333333f + a2 * (-0.0539682540f +
                      a2 * (0.0218694885f + a2 * (-0.00886323552f)))));
  const float y = 2.0f * (a < 9.1f ? a : 9.1f);
  const int k = static_cast<int>(y * 1.44269504f + 0.5f);  // y >= 0: round half up
  const float kf = static_cast<float>(k);
  const float r = (y - kf * 0.693145752f) - kf * 1.42860677e-6f;  // ln2 = 0.693145752 + 1.42860677e-6
  const float er = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666667f + r * (0.0416666667f +
                   r * (0.00833333333f + r * (0.00138888889f + r * 0.000198412698f))))));
  const uint32_t bits = static_cast<uint32_t>(k + 127) << 23;  // 2^k, k in [0, 26]
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  // Beyond 9.1, tanh rounds to exactly 1 in float (1 - 2e^-18.2 < 1 - 2^-25).
  const float large = a < 9.1f ? 1.0f - 2.0f / (er * scale + 1.0f) : 1.0f;
  return std::copysign(a < 0.3f ? small : large, x);
}

void gelu_forward(real* y, const real* x, long n) {
  for (long i = 0; i < n; ++i) {
    const real v = x[i];
    const real u = kGeluC * (v + kGeluA * v * v * v);
    y[i] = real(0.5) * v * (real(1) + tanh_real(u));
  }
}

void gelu_backward(real* dx, const real* dy, const real* x, long n) {
  // gelu(x) = 0.5 x (1 + T), T = tanh(u), u = c (x + a x^3)
  // gelu'(x) = 0.5 (1 + T) + 0.5 x (1 - T^2) c (1 + 3 a x^2)
  for (long i = 0; i < n; ++i) {
    const real v = x[i];
    const real T = tanh_real(kGeluC * (v + kGeluA * v * v * v));
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
