// layernorm_fast.cpp: LayerNorm with vectorised row sums (layernorm_fast.h).
// Same formulas as core/layers.cpp; only the order of the two row sums of
// the forward and of the backward differs.
#include "layernorm_fast.h"

#include <cmath>

#include "core/layers.h"

namespace rql {
namespace {

using Index = long;
constexpr int kParts = 16;  // partial sums per row sum (16 floats: one AVX-512 vector)

// sum_j v[j] as kParts partial sums (partial l gets j = l mod kParts), then
// the partials in order 0..15, then the last N mod kParts elements in order.
template <class F>
real row_sum(int N, F value) {
  real part[kParts] = {};
  int j0 = 0;
  for (; j0 + kParts <= N; j0 += kParts)
#pragma GCC unroll 1
    for (int l = 0; l < kParts; ++l) part[l] += value(j0 + l);
  real s = 0;
  for (int l = 0; l < kParts; ++l) s += part[l];
  for (int j = j0; j < N; ++j) s += value(j);
  return s;
}

}  // namespace

void layernorm_forward_fast_rows(real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta,
                                 int M, int N, int r0, int r1) {
  (void)M;
  for (int r = r0; r < r1; ++r) {
    const real* xr = x + Index(r) * N;  // row r of x (M,N)
    real* yr = y + Index(r) * N;
    const real m = row_sum(N, [&](int j) { return xr[j]; }) / real(N);
    const real var = row_sum(N, [&](int j) { return (xr[j] - m) * (xr[j] - m); }) / real(N);
    const real s = real(1) / std::sqrt(var + real(kLayerNormEps));
    for (int j = 0; j < N; ++j) yr[j] = (xr[j] - m) * s * g[j] + beta[j];
    mean[r] = m;
    rstd[r] = s;
  }
}

void layernorm_backward_fast_rows(real* dx, const real* dy, const real* x, const real* mean, const real* rstd,
                                  const real* g, int M, int N, int r0, int r1) {
  (void)M;
  for (int r = r0; r < r1; ++r) {
    const real* xr = x + Index(r) * N;
    const real* dyr = dy + Index(r) * N;
    real* dxr = dx + Index(r) * N;
    const real m = mean[r], s = rstd[r];
    // mean_N(dxhat) and mean_N(dxhat * xhat), dxhat = dy g, xhat = (x - m) s
    const real mean_d = row_sum(N, [&](int j) { return dyr[j] * g[j]; }) / real(N);
    const real mean_dx = row_sum(N, [&](int j) { return dyr[j] * g[j] * ((xr[j] - m) * s); }) / real(N);
    for (int j = 0; j < N; ++j) {
      const real xhat = (xr[j] - m) * s;
      dxr[j] += s * (dyr[j] * g[j] - mean_d - xhat * mean_dx);
    }
  }
}

void layernorm_backward_fast_params(real* dg, real* dbeta, const real* dy, const real* x, const real* mean,
                                    const real* rstd, int M, int N, int j0, int j1) {
  for (int r = 0; r < M; ++r) {
    const real* xr = x + Index(r) * N;
    const real* dyr = dy + Index(r) * N;
    const real m = mean[r], s = rstd[r];
    if (dg)
      for (int j = j0; j < j1; ++j) dg[j] += dyr[j] * ((xr[j] - m) * s);  // dg <- sum_rows(dy xhat)
    if (dbeta)
      for (int j = j0; j < j1; ++j) dbeta[j] += dyr[j];  // dbeta <- sum_rows(dy)
  }
}

void layernorm_forward_fast(real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta, int M,
                            int N) {
  layernorm_forward_fast_rows(y, mean, rstd, x, g, beta, M, N, 0, M);
}

void layernorm_backward_fast(real* dx, real* dg, real* dbeta, const real* dy, const real* x, const real* mean,
                             const real* rstd, const real* g, int M, int N) {
  layernorm_backward_fast_rows(dx, dy, x, mean, rstd, g, M, N, 0, M);
  if (dg || dbeta) layernorm_backward_fast_params(dg, dbeta, dy, x, mean, rstd, M, N, 0, N);
}

}  // namespace rql
