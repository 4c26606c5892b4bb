// gradient_check.h: central finite differences for the element-by-element
// gradient tests of test_layers.cpp, test_mlp.cpp and test_value.cpp.
//
// Every check uses the scalar loss L = sum_i y_i R_i with a fixed random R,
// so dL/dy = R is what each backward receives, and compares, element by
// element, the analytic gradient a = dL/dp[i] with the fourth-order central
// difference (the two-point one, extrapolated to remove its h^2 term)
//   n = (8 (L(p + h) - L(p - h)) - (L(p + 2h) - L(p - 2h))) / (12 h)
// whose truncation error is h^4 |L^(5)| / 30 instead of h^2 |L'''| / 6.
// L is accumulated in double from the `real` outputs. (The stored p +- h
// differs from the intended one by at most half an ulp of p: a relative
// error in h below 1e-5 in float, 1e-12 in double.)
//
// Error measure (stated once, used everywhere):
//   rel(a, n) = |a - n| / max(kFdFloor, |a| + |n|)
// a relative error for gradients of ordinary size; for gradients near zero
// (where a relative error is meaningless) an absolute error scaled by
// 1/kFdFloor. Each check reports its worst element by name and index.
//
// Why fourth order, and the conditioning precondition. The error of n is
// truncation plus rounding, ~ h^4 |L^(5)| / 30 + 1.5 u S / h, with u the unit
// roundoff and S = sum_i |y_i R_i| (O(1-10) here). LayerNorm makes L's
// higher derivatives grow like powers of rstd = 1 / sqrt(var + 1e-6): a row
// whose LayerNorm input is nearly constant (e.g. all of its GELU inputs
// negative, so all outputs are in (-0.17, 0)) has rstd in the hundreds, and
// then no fixed step h works. Over 1000 random configurations of the K = 3
// value ensemble of test_value.cpp (random seeds, with and without LayerNorm),
// the two-point difference in float at h = 1e-2 had a worst-case rel of 1
// (p90 3e-2) and in double at h = 1e-5 of 8e-6 (over the 1e-6 bound). So:
//   * every check uses the fourth-order difference;
//   * the MLP and ensemble checks first assert max_layernorm_rstd <= 10
//     (LayerNorm input variance >= 0.01) at their check point, so a seed that
//     lands in the ill-conditioned region fails with that message, not as a
//     puzzling gradient mismatch.
//
// double (RQL_DOUBLE): h = 1e-4, floor 1e-3, bound 1e-6.
//   Truncation ~ 1e-16 * 30 |L^(5)| / 30, rounding ~ 1.5 * 1.1e-16 * 10 / 1e-4
//   ~ 2e-11: absolute errors ~ 1e-10 or below. Measured: worst rel 1.4e-8
//   over the 1000 random configurations above, with no conditioning at all;
//   over the checks in these files: 7.0e-9 (140x below the bound). The floor
//   1e-3 keeps a gradient that happens to be ~1e-9 from turning 1e-12 of
//   rounding into a false failure; above |a| + |n| = 1e-3 this is a plain
//   relative 1e-6.
//
// float: h = 1e-2, floor 1e-2, bound 2e-2.
//   eps = 1.19e-7, u = 6e-8, and the forward itself runs in float, so L is
//   only known to ~ u S ~ 1e-6; the rounding part 1.5 u S / h is ~ 1e-4
//   absolute at h = 1e-2 (1e-3 at h = 1e-3, as large as the smallest
//   gradients of these nets), while truncation at h = 1e-2 is ~ 3e-10
//   |L^(5)|. Measured worst rel over the random configurations that pass the
//   precondition (rstd <= 10; 688 of 1000): 8.2e-3, p99 5.3e-3; over the
//   checks in these files: 4.7e-3. So the bound 2e-2 has a 2.4x margin over
//   the worst case seen on random data, 4.3x on these seeds. It still catches real
//   mistakes: changing GELU's cubic coefficient by 10% in the backward only
//   gives rel > 0.14, a missing LayerNorm term or a wrong cache pointer rel ~ 1.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "core/layers.h"
#include "core/matmul.h"
#include "core/mlp.h"
#include "core/rng.h"
#include "core/scalar.h"

namespace rql {
namespace gradcheck {

#ifdef RQL_DOUBLE
constexpr double kFdStep = 1e-4;
constexpr double kFdFloor = 1e-3;
constexpr double kFdTolerance = 1e-6;
#else
constexpr double kFdStep = 1e-2;
constexpr double kFdFloor = 1e-2;
constexpr double kFdTolerance = 2e-2;
#endif
// The conditioning precondition of the MLP and ensemble checks (see above).
constexpr double kMaxLayerNormRstd = 10.0;

inline double relative_error(double analytic, double numeric) {
  return std::fabs(analytic - numeric) / std::max(kFdFloor, std::fabs(analytic) + std::fabs(numeric));
}

// dL/dp by the fourth-order central difference above; `loss` re-evaluates L
// with *p perturbed, and *p is restored exactly afterwards.
template <class Loss>
double central_difference(real* p, Loss&& loss) {
  const real original = *p;
  const double p0 = static_cast<double>(original), h = kFdStep;
  auto at = [&](double offset) {
    *p = static_cast<real>(p0 + offset);
    return loss();
  };
  const double d1 = at(h) - at(-h);
  const double d2 = at(2 * h) - at(-2 * h);
  *p = original;
  return (8 * d1 - d2) / (12 * h);
}

// L = sum_i y_i R_i, in double.
inline double dot(const real* y, const real* R, long n) {
  double s = 0;
  for (long i = 0; i < n; ++i) s += static_cast<double>(y[i]) * static_cast<double>(R[i]);
  return s;
}

// Uniform [lo, hi) values, reproducible per seed (the RNG is pinned by test_rng.cpp).
inline std::vector<real> random_vector(long n, uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Rng r = rng_make(seed, kStreamData);
  std::vector<real> v(static_cast<size_t>(n));
  for (real& x : v) x = static_cast<real>(rng_range(r, lo, hi));
  return v;
}

// The largest LayerNorm rstd = 1 / sqrt(var + 1e-6) over every hidden row of
// every member at input x (B, in_dim); 0 without LayerNorm. Recomputed here
// from the layer functions and the reference product, since the MLP's cache
// layout is private to mlp.cpp.
inline double max_layernorm_rstd(const MlpShape& s, const real* block, const real* x, int B) {
  if (!s.layer_norm) return 0;
  double worst = 0;
  for (int k = 0; k < s.members; ++k) {
    const MlpParams p = mlp_params(s, block, k);
    std::vector<real> in(x, x + static_cast<long>(B) * s.in_dim);
    int width = s.in_dim;
    for (int i = 0; i + 1 < s.n_layers; ++i) {  // hidden layers only
      const int d = s.dims[i];
      std::vector<real> z(static_cast<size_t>(B) * d), a(z.size()), n(z.size()), mean(B), rstd(B);
      matmul_forward_ref(z.data(), in.data(), p.W[i], p.b[i], B, width, d);
      gelu_forward(a.data(), z.data(), static_cast<long>(B) * d);
      layernorm_forward(n.data(), mean.data(), rstd.data(), a.data(), p.g[i], p.beta[i], B, d);
      for (real r : rstd) worst = std::max(worst, static_cast<double>(r));
      in = n;
      width = d;
    }
  }
  return worst;
}

// Worst element of one check: collects rel for every element, reports the
// worst with its index and both values, so a failure names the element.
struct Worst {
  double rel = 0;
  long index = -1;
  double analytic = 0, numeric = 0;
  long checked = 0;
  void add(long i, double a, double n) {
    const double e = relative_error(a, n);
    ++checked;
    if (e > rel || index < 0) {
      rel = e;
      index = i;
      analytic = a;
      numeric = n;
    }
  }
  std::string describe(const std::string& what) const {
    std::ostringstream o;
    o << what << ": worst rel " << rel << " at element " << index << " (analytic " << analytic << ", numeric "
      << numeric << ") over " << checked << " elements";
    return o.str();
  }
};

// The verdict of one check: worst rel below kFdTolerance. The worst rel is
// also recorded as a test property ("<what>.worst_rel" in the output of
// --gtest_output=xml:FILE), which is how the figures above were measured.
inline void expect_gradient_matches(const Worst& w, const std::string& what) {
  std::ostringstream v;
  v << w.rel;
  ::testing::Test::RecordProperty(what + ".worst_rel", v.str());
  EXPECT_LT(w.rel, kFdTolerance) << w.describe(what);
}

}  // namespace gradcheck
}  // namespace rql
