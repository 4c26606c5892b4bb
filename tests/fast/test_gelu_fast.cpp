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
  double worst = 0;
  auto check = [&worst](float x) {
    worst = std::fmax(worst, std::fabs(static_cast<double>(tanh_float(x)) - std::tanh(static_cast<double>(x))));
  };
  for (int i = -120000; i <= 120000; ++i) check(static_cast<float>(i * 1e-4));
  // Near 0, where 1 - 2 / (e + 1) cancels and the error peaks: a 1e-6 grid.
  for (int i = -20000; i <= 20000; ++i) check(static_cast<float>(i * 1e-6));
  for (float x : {0.3f, 0.29999998f, 9.1f, 9.099999f, -0.3f, 1e-30f, -1e-30f}) check(x);
  EXPECT_LT(worst, 2e-7);
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
    // gelu_forward_fma computes v sigmoid(2u) instead (the same function):
    // exp_nonneg_plus's few ulps on 1 / (1 + e) move it by about 1e-7 |x|, inside
    // the same bound.
    EXPECT_NEAR(y_fast[i], y_ref[i], 1e-6 * (1 + ax)) << "x = " << x[i];
    EXPECT_NEAR(y_fma[i], y_ref[i], 1e-6 * (1 + ax)) << "x = " << x[i];
    EXPECT_NEAR(dx_fast[i], dx_ref[i], 1e-6 * (1 + ax * ax * ax)) << "x = " << x[i];
#endif
  }
}

#ifndef RQL_DOUBLE
TEST(GeluFastTest, SigmoidFormAtZeroAndInTheTails) {
  // gelu(0) = 0 (u = 0: q = 1 / (1 + 1) = 1/2, v - v q = 0).
  const std::vector<real> x = {0.0f, 7.5f, 9.5f, 60.0f, 1e30f, -5.5f, -9.5f, -60.0f, -1e30f};
  std::vector<real> y(x.size());
  rql::gelu_forward_fma(y.data(), x.data(), static_cast<long>(x.size()));
  EXPECT_EQ(y[0], 0.0f);
  // Right tail, as the reference: v - v q with q = 1 / (1 + e^(2u)) below
  // half an ulp of 1 rounds to v (2u = 42 at 7.5: u = 0.798 (7.5 + 18.9)).
  // 1e30 overflows v^3 (u = inf) and takes the clamp of 2|u| at 87.
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(y[i], x[i]) << "x = " << x[i];
  // Left tail: v sigmoid(-2|u|), the tiny exact value where the reference
  // has already rounded to 0: gelu(-5.5) = -5.5 sigmoid(-20.64) = -5.93e-9
  // (u = 0.798 (-5.5 - 7.44) = -10.32); gelu(-9.5) = -9.5 e^-76.3 = -6.6e-33
  // (u = -38.2); beyond 2|u| = 87 the clamp leaves v / (1 + e^87), within
  // 1.6e-38 |v| of the exact value: -9.9e-37 at -60, -1.6e-8 at -1e30.
  EXPECT_NEAR(y[5], -5.93e-9, 0.01e-9);
  EXPECT_LT(y[6], 0.0f);
  EXPECT_GT(y[6], -1e-32f);
  EXPECT_LT(y[7], 0.0f);
  EXPECT_GT(y[7], -1e-35f);
  EXPECT_NEAR(y[8], -1.65e-8, 0.01e-8);
}
#endif

}  // namespace
