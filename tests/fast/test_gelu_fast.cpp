// test_gelu_fast.cpp: the fast GELU kernel (fast/gelu_fast.h) and its tanh
// (fast/tanh_fast.h) against libm and against the reference GELU of
// core/layers.h.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/layers.h"
#include "core/rng.h"
#include "fast/gelu_fast.h"
#include "fast/tanh_fast.h"

namespace {

using rql::real;
using rql::tanh_float;

TEST(GeluFastTest, FastTanhMatchesLibm) {
  // tanh_float (tanh_fast.h) against double-precision std::tanh on a dense
  // grid over [-12, 12], at the clamp 9.1 and near 0: absolute error below
  // 2e-7 (float's spacing just below 1 is 6e-8: about 3 ulp there; measured
  // 1.2e-7 on a 1e-6 grid, at x = -0.0053, where the result's 1 - 2 / (e + 1)
  // cancels).
  // The same bound for tanh_float<true> (fused multiply-adds; measured
  // 1.2e-7 too, on the same grids).
  double worst = 0, worst_fused = 0;
  auto check = [&worst, &worst_fused](float x) {
    const double exact = std::tanh(static_cast<double>(x));
    worst = std::fmax(worst, std::fabs(static_cast<double>(tanh_float(x)) - exact));
    worst_fused = std::fmax(worst_fused, std::fabs(static_cast<double>(tanh_float<true>(x)) - exact));
  };
  for (int i = -120000; i <= 120000; ++i) check(static_cast<float>(i * 1e-4));
  // Near 0, where 1 - 2 / (e + 1) cancels and the error peaks: a 1e-6 grid.
  for (int i = -20000; i <= 20000; ++i) check(static_cast<float>(i * 1e-6));
  for (float x : {0.3f, 0.29999998f, 9.1f, 9.099999f, -0.3f, 1e-30f, -1e-30f}) check(x);
  EXPECT_LT(worst, 2e-7);
  EXPECT_LT(worst_fused, 2e-7);
  EXPECT_EQ(tanh_float<true>(0.0f), 0.0f);
  EXPECT_EQ(tanh_float<true>(-20.0f), -1.0f);
  EXPECT_EQ(tanh_float(0.0f), 0.0f);
  EXPECT_EQ(tanh_float(20.0f), 1.0f);
  EXPECT_EQ(tanh_float(-20.0f), -1.0f);
  EXPECT_EQ(tanh_float(-2.5f), -tanh_float(2.5f));  // odd
  // Far outside the grid: the clamp at 9.1 keeps exp's 2^k in range (k <= 27).
  for (float x : {100.0f, 3300.0f, 1e4f, 1e30f, 3.4e38f, INFINITY}) {
    EXPECT_EQ(tanh_float(x), 1.0f) << x;
    EXPECT_EQ(tanh_float(-x), -1.0f) << -x;
  }
}

TEST(GeluFastTest, MatchesReference) {
  // Same formula as the reference, only the tanh differs: |dtanh| < 2e-7
  // moves gelu by 0.5 |x| 2e-7 and gelu' by at most (0.5 + |x| c (1 + 3a x^2)) 2e-7
  // plus a few float roundings of the result; bounded here by 1e-6 (1 + |x|^3).
  // In double builds both use std::tanh and agree exactly.
  rql::Rng r = rql::rng_make(3, rql::kStreamData);
  const long n = 4099;  // not a multiple of any vector width
  std::vector<real> x(n), y_ref(n), y_fast(n), y_fma(n), dy(n), dx_ref(n, 0), dx_fast(n, 0);
  for (long i = 0; i < n; ++i) {
    x[i] = static_cast<real>(rql::rng_range(r, -8, 8));
    dy[i] = static_cast<real>(rql::rng_range(r, -1, 1));
  }
  rql::gelu_forward(y_ref.data(), x.data(), n);
  rql::gelu_forward_fast(y_fast.data(), x.data(), n);
  rql::gelu_forward_fma(y_fma.data(), x.data(), n);
  rql::gelu_backward(dx_ref.data(), dy.data(), x.data(), n);
  rql::gelu_backward_fast(dx_fast.data(), dy.data(), x.data(), n);
  for (long i = 0; i < n; ++i) {
    [[maybe_unused]] const double ax = std::fabs(static_cast<double>(x[i]));  // float tolerance only
#ifdef RQL_DOUBLE
    EXPECT_EQ(y_fast[i], y_ref[i]) << i;
    EXPECT_EQ(y_fma[i], y_ref[i]) << i;
    EXPECT_EQ(dx_fast[i], dx_ref[i]) << i;
#else
    EXPECT_NEAR(y_fast[i], y_ref[i], 1e-6 * (1 + ax)) << "x = " << x[i];
    EXPECT_NEAR(y_fma[i], y_ref[i], 1e-6 * (1 + ax)) << "x = " << x[i];
    EXPECT_NEAR(dx_fast[i], dx_ref[i], 1e-6 * (1 + ax * ax * ax)) << "x = " << x[i];
#endif
  }
}

}  // namespace
