// test_adam.cpp: Adam in optax's form and Polyak averaging (src/adam.h,
// docs/spec.md §5). Every expected value is worked by hand from the update rule
//   m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
//   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// with lr 3e-4, b1 0.9, b2 0.999, eps 1e-8 (the defaults of AdamConfig).
//
// Tolerances are relative to the size of the update and come from counting
// roundings: one step is about 10 operations in `real`, each with relative
// error <= eps/2, so 16 eps (1.9e-6 in float, 3.6e-15 in double) bounds the
// error of one step with margin. The update is read where it is exact: p
// starts at 0, so p after the step is minus the rounded update itself.
//
// One more term, which only matters in the double build: the bias
// corrections 1 - b^t are computed in double as 1 - pow(b, t), and for small
// t that subtraction cancels (1 - 0.999^2 = 0.001999): pow's rounding, up to
// one double ulp of a number near 1, becomes a relative error of up to
// DBL_EPSILON / (1 - b^t) in the correction (5.5e-14 at t = 2 for b2). It
// enters the step once through m_hat and half through sqrt(v_hat). At t = 1
// pow(b, 1) = b and 1 - b are exact, so the term vanishes there; in the
// float build it is 1e-13, far below float resolution.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "core/adam.h"

namespace rql {
namespace {

constexpr double kEps = std::numeric_limits<real>::epsilon();

// Relative error bound of one Adam step at step t (see the file header).
double step_tolerance(long t, const AdamConfig& c) {
  const double td = static_cast<double>(t);
  const double cancel1 = t == 1 ? 0 : DBL_EPSILON / (1 - std::pow(c.b1, td));
  const double cancel2 = t == 1 ? 0 : DBL_EPSILON / (1 - std::pow(c.b2, td));
  return 16 * kEps + cancel1 + 0.5 * cancel2;
}

TEST(AdamTest, FirstStepIsLrTimesGOverAbsGPlusEps) {
  // From zero moments, t = 1: m = (1 - b1) g, m_hat = m / (1 - b1) = g;
  // v = (1 - b2) g^2, v_hat = g^2; the step is lr g / (|g| + eps):
  //   g = 1     -> 3e-4 * 1 / (1 + 1e-8)          = 2.99999997e-4
  //   g = -2.5  -> -3e-4 * 2.5 / (2.5 + 1e-8)     = -2.999999988e-4
  //   g = 1e-3  -> 3e-4 * 1e-3 / (1e-3 + 1e-8)    = 2.99997e-4   (eps visible)
  //   g = 1e-8  -> 3e-4 * 1e-8 / (1e-8 + 1e-8)    = 1.5e-4       (lr * 0.5)
  //   g = -3e-9 -> -3e-4 * 3e-9 / (3e-9 + 1e-8)   = -6.923077e-5 (lr * 3/13)
  //   g = 100   -> 3e-4 * 100 / (100 + 1e-8)      = 2.9999999997e-4
  //   g = 0     -> 0
  // A gradient of any size larger than eps moves a parameter by about lr:
  // Adam's step is scale-free.
  const AdamConfig c;
  const std::vector<double> gs = {1, -2.5, 1e-3, 1e-8, -3e-9, 100, 0};
  const std::vector<double> hand = {2.99999997e-4, -2.999999988e-4, 2.99997e-4, 1.5e-4, -6.923077e-5,
                                    2.9999999997e-4, 0};
  const long n = static_cast<long>(gs.size());
  std::vector<real> p(n, 0), m(n, 0), v(n, 0), g(n);
  for (long i = 0; i < n; ++i) g[i] = static_cast<real>(gs[i]);
  adam_step(p.data(), m.data(), v.data(), g.data(), n, 1, c);
  for (long i = 0; i < n; ++i) {
    const double gi = static_cast<double>(g[i]);  // the gradient as stored
    const double step = c.lr * gi / (std::fabs(gi) + c.eps);
    EXPECT_NEAR(step, hand[i], 1e-6 * std::fabs(hand[i])) << "hand value, g = " << gs[i];
    EXPECT_NEAR(-static_cast<double>(p[i]), step, 16 * kEps * std::fabs(step)) << "g = " << gs[i];
    // The moments after the first step: m = 0.1 g, v = 0.001 g^2.
    EXPECT_NEAR(m[i], 0.1 * gi, 4 * kEps * std::fabs(0.1 * gi)) << "m, g = " << gs[i];
    EXPECT_NEAR(v[i], 0.001 * gi * gi, 8 * kEps * 0.001 * gi * gi) << "v, g = " << gs[i];
  }
}

TEST(AdamTest, EpsSitsOutsideTheSquareRoot) {
  // g = 1e-8, first step. optax: lr * g / (sqrt(v_hat) + eps) = lr * 1e-8 / 2e-8 = 1.5e-4.
  // With eps inside the root, lr * g / sqrt(v_hat + eps) = 3e-4 * 1e-8 / sqrt(1e-16 + 1e-8)
  // = 3e-4 * 1e-4 = 3e-8: four orders of magnitude apart.
  real p = 0, m = 0, v = 0;
  const real g = real(1e-8);
  adam_step(&p, &m, &v, &g, 1, 1, AdamConfig{});
  EXPECT_NEAR(p, -1.5e-4, 16 * kEps * 1.5e-4);
}

TEST(AdamTest, SecondStepWorkedByHand) {
  // One scalar, p0 = 0, g1 = 2, g2 = 1.
  // Step 1: m1 = 0.1 * 2 = 0.2, v1 = 0.001 * 4 = 0.004,
  //         m_hat = 0.2 / 0.1 = 2, v_hat = 0.004 / 0.001 = 4,
  //         p1 = -3e-4 * 2 / (2 + 1e-8) = -3e-4 (1 - 5e-9) = -2.999999985e-4.
  // Step 2: m2 = 0.9 * 0.2 + 0.1 * 1 = 0.28, v2 = 0.999 * 0.004 + 0.001 * 1 = 0.004996,
  //         1 - b1^2 = 1 - 0.81 = 0.19, 1 - b2^2 = 1 - 0.998001 = 0.001999,
  //         m_hat = 0.28 / 0.19 = 1.4736842105, v_hat = 0.004996 / 0.001999 = 2.4992496248,
  //         sqrt(v_hat) = 1.5809015228, step = 3e-4 * 1.4736842105 / 1.5809015328
  //         = 3e-4 * 0.9321796329 = 2.7965388987e-4,
  //         p2 = -2.999999985e-4 - 2.7965388987e-4 = -5.7965388837e-4.
  // The same arithmetic in double, to compare the code with at full precision:
  const double step1 = 3e-4 * (0.2 / 0.1) / (std::sqrt(0.004 / 0.001) + 1e-8);
  const double step2 = 3e-4 * (0.28 / 0.19) / (std::sqrt(0.004996 / 0.001999) + 1e-8);
  EXPECT_NEAR(step1, 2.999999985e-4, 1e-14);
  EXPECT_NEAR(step2, 2.7965388987e-4, 1e-14);
  EXPECT_NEAR(step1 + step2, 5.7965388837e-4, 1e-14);
  const AdamConfig c;
  real p = 0, m = 0, v = 0;
  real g = 2;
  adam_step(&p, &m, &v, &g, 1, 1, c);
  EXPECT_NEAR(p, -step1, step_tolerance(1, c) * step1);
  EXPECT_NEAR(m, 0.2, 4 * kEps * 0.2);
  EXPECT_NEAR(v, 0.004, 8 * kEps * 0.004);
  p = 0;  // read step 2 exactly (see the file header)
  g = 1;
  adam_step(&p, &m, &v, &g, 1, 2, c);
  EXPECT_NEAR(m, 0.28, 8 * kEps * 0.28);
  EXPECT_NEAR(v, 0.004996, 16 * kEps * 0.004996);
  EXPECT_NEAR(p, -step2, step_tolerance(2, c) * step2);
}

TEST(AdamTest, ConstantGradientGivesConstantStep) {
  // With g constant, m_t = (1 - b1^t) g and v_t = (1 - b2^t) g^2 exactly, so
  // the bias corrections make every step lr g / (|g| + eps), t = 1 .. 100
  // (without bias correction the first steps would be 10x too small).
  // Rounding: m's relative error stays below ~eps / (1 - b1) = 10 eps (old
  // errors decay by b1 each step); v's grows by up to eps per step (b2 = 0.999
  // barely decays it over 100 steps) and the sqrt halves it; plus the final
  // step's 16 eps. Bound: (10 + t / 2) eps plus step_tolerance(t) (which
  // holds the 16 eps and, in double, the bias correction's cancellation).
  const AdamConfig c;
  const double gs[3] = {0.5, -3.0, 2e-8};
  real p[3], m[3] = {0, 0, 0}, v[3] = {0, 0, 0}, g[3];
  for (int i = 0; i < 3; ++i) g[i] = static_cast<real>(gs[i]);
  for (long t = 1; t <= 100; ++t) {
    for (real& pi : p) pi = 0;
    adam_step(p, m, v, g, 3, t, c);
    for (int i = 0; i < 3; ++i) {
      const double gi = static_cast<double>(g[i]);
      const double step = c.lr * gi / (std::fabs(gi) + c.eps);
      ASSERT_NEAR(-static_cast<double>(p[i]), step, ((10 + t / 2.0) * kEps + step_tolerance(t, c)) * std::fabs(step))
          << "t = " << t << ", g = " << gs[i];
    }
  }
}

TEST(AdamTest, StepSubtractsFromParameters) {
  // p = 1, g = 1, t = 1: p <- 1 - 3e-4 / (1 + 1e-8) = 1 - 2.99999997e-4 = 0.999700000003.
  // The result rounds to `real` near 1: error <= eps/2 plus the step's own.
  real p = 1, m = 0, v = 0;
  const real g = 1;
  adam_step(&p, &m, &v, &g, 1, 1, AdamConfig{});
  EXPECT_NEAR(1 - 3e-4 / (1 + 1e-8), 0.999700000003, 1e-15);
  EXPECT_NEAR(p, 1 - 3e-4 / (1 + 1e-8), kEps);
  // A custom learning rate scales the step: lr = 0.1, g = -4 -> p = 0 + 0.1 * 4 / (4 + 1e-8).
  AdamConfig c;
  c.lr = 0.1;
  real q = 0, mq = 0, vq = 0;
  const real gq = -4;
  adam_step(&q, &mq, &vq, &gq, 1, 1, c);
  EXPECT_NEAR(q, 0.1 * 4 / (4 + 1e-8), 16 * kEps * 0.1);
}

TEST(AdamTest, PolyakUpdateMixesTowardSource) {
  // target <- rate * source + (1 - rate) * target, rate 0.25:
  //   [0.25*1 + 0.75*0, 0.25*1 + 0.75*1, 0.25*2 + 0.75*(-2), 0.25*0 + 0.75*4]
  //   = [0.25, 1, -1, 3]   (every product and sum exact in binary)
  real target[4] = {0, 1, -2, 4};
  const real source[4] = {1, 1, 2, 0};
  polyak_update(target, source, 4, polyak_coefficients(0.25));
  const real expected[4] = {0.25, 1, -1, 3};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(target[i], expected[i]) << i;
  // rate 0 keeps the target, rate 1 copies the source.
  real keep[2] = {5, -6}, copy[2] = {5, -6};
  const real src[2] = {7, 8};
  polyak_update(keep, src, 2, polyak_coefficients(0.0));
  polyak_update(copy, src, 2, polyak_coefficients(1.0));
  EXPECT_EQ(keep[0], real(5));
  EXPECT_EQ(keep[1], real(-6));
  EXPECT_EQ(copy[0], real(7));
  EXPECT_EQ(copy[1], real(8));
}

TEST(AdamTest, PolyakRatesOfSpec5) {
  // Target value net, tau = 0.005: target 1, online 3 -> 0.005 * 3 + 0.995 * 1 = 1.01.
  real tv = 1;
  const real online = 3;
  polyak_update(&tv, &online, 1, polyak_coefficients(0.005));
  EXPECT_NEAR(tv, 1.01, 4 * kEps * 1.01);
  // Target actor, ema = 0.999: theta_bar <- (1 - ema) theta + ema theta_bar,
  // i.e. rate = 1 - ema = 0.001: theta_bar 0, theta 1 -> 0.001.
  real ta = 0;
  const real theta = 1;
  polyak_update(&ta, &theta, 1, polyak_coefficients(1.0 - 0.999));
  EXPECT_NEAR(ta, 0.001, 4 * kEps * 0.001);
  // 1000 updates toward a constant source 1 from 0 with tau = 0.005:
  // target = 1 - 0.995^1000 = 1 - 0.0066540 = 0.9933460. Rounding: each step
  // adds <= 2 eps and shrinks old error by 0.995, so the error stays below
  // 2 eps / 0.005 = 400 eps.
  real t = 0;
  const real one = 1;
  for (int i = 0; i < 1000; ++i) polyak_update(&t, &one, 1, polyak_coefficients(0.005));
  EXPECT_NEAR(1 - std::pow(0.995, 1000), 0.9933460, 1e-7);
  EXPECT_NEAR(t, 1 - std::pow(0.995, 1000), 400 * kEps);
}

}  // namespace
}  // namespace rql
