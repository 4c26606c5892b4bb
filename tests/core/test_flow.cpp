// test_flow.cpp: the flow policy (src/flow.h): velocity, Euler sampler, the
// two reversals, the flow-matching (BC) loss and its gradient. docs/spec.md §2, 5, 7.
//
//   FlowVelocityTest  the actor's input is concat[s, x, t]; the backward
//                     accumulates
//   FlowSampleTest    constant field, clipping, the [h, adim] chunk layout,
//                     batch == row by row, no heap allocation for one
//                     observation
//   FlowReverseTest   zero / constant / linear fields against closed forms;
//                     the exact reversal inverts the sampler on a random net,
//                     on and off the grid; the euler round trip misses by
//                     O(1/F); f = 1 - d; d = 0 is the identity;
//                     non-convergence counted row by row; no allocation
//   FlowBcLossTest    zero at the target velocity; a hand value with the
//                     mask of shifted terminals; gradient w.r.t. the actor's
//                     parameters against finite differences (per element and
//                     along a random direction, with and without LayerNorm)
//
// Analytic fields come out of the real MLP code path: an actor with no
// hidden layer is one Dense layer,
//   v(s, x, t) = [s, x, t] W + b,   W (obs_dim + A + 1, A), b (A),
// so W = 0, b = c is the constant field v = c, and W[obs_dim + j][j] = lambda
// (all else 0) is the linear field v = lambda x.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "support/alloc_counter.h"
#include "core/flow.h"
#include "core/mlp.h"
#include "core/rng.h"

namespace rql {
namespace {

// Tolerances of the two builds. Closed forms: F = 10 rounded steps, each
// off by <= 1 ulp relative (float 6e-8). Round trips through the exact
// reversal: the fixed point is solved to tol (1 + |x|) per step.
#ifdef RQL_DOUBLE
constexpr double kClosedFormTol = 1e-12;
constexpr double kExactIterTol = 1e-12;  // ExactReversalConfig::tol
constexpr double kRoundTripTol = 1e-9;
#else
constexpr double kClosedFormTol = 2e-6;
constexpr double kExactIterTol = 1e-6;
constexpr double kRoundTripTol = 1e-5;
#endif

// ------------------------------------------------------------------ helpers --

struct Actor {
  FlowShape fs;
  std::vector<real> params;  // mlp_param_count(fs.net)
  std::vector<real> work;    // flow_work_size(fs, rows)
};

Actor make_actor(int obs_dim, int A, const std::vector<int>& hidden, bool layer_norm, int F, int rows) {
  Actor n;
  EXPECT_TRUE(flow_shape_make(&n.fs, obs_dim, A, hidden.data(), static_cast<int>(hidden.size()), layer_norm, F));
  n.params.assign(mlp_param_count(n.fs.net), 0);
  n.work.assign(flow_work_size(n.fs, rows), 0);
  return n;
}

// One Dense layer, all parameters zero: the zero field.
Actor affine_actor(int obs_dim, int A, int F, int rows) { return make_actor(obs_dim, A, {}, false, F, rows); }

// W[row][col] and b[col] of an affine actor (W is (obs_dim + A + 1, A)).
real& weight(Actor& n, int row, int col) { return mlp_grads(n.fs.net, n.params.data(), 0).W[0][row * n.fs.A + col]; }
real& bias(Actor& n, int col) { return mlp_grads(n.fs.net, n.params.data(), 0).b[0][col]; }

void set_constant_field(Actor& n, const std::vector<real>& c) {
  for (int j = 0; j < n.fs.A; ++j) bias(n, j) = c[j];
}
void set_linear_field(Actor& n, real lambda) {
  for (int j = 0; j < n.fs.A; ++j) weight(n, n.fs.obs_dim + j, j) = lambda;
}

// A Glorot-initialised actor, the docs/spec.md §1 initialisation.
Actor random_actor(int obs_dim, int A, const std::vector<int>& hidden, bool layer_norm, int F, int rows,
                   uint64_t seed) {
  Actor n = make_actor(obs_dim, A, hidden, layer_norm, F, rows);
  Rng rng = rng_make(seed, kStreamInit);
  mlp_init(n.fs.net, n.params.data(), rng);
  return n;
}

std::vector<real> uniform(int n, double lo, double hi, Rng& rng) {
  std::vector<real> v(n);
  for (real& x : v) x = static_cast<real>(rng_range(rng, lo, hi));
  return v;
}
std::vector<real> normal(int n, Rng& rng) {
  std::vector<real> v(n);
  for (real& x : v) x = static_cast<real>(rng_normal(rng));
  return v;
}

// x (B, A) <- the sampler's Euler steps j = j0 .. F-1, WITHOUT the final
// clip:  x <- x + v(s, x, j/F) / F   (flow_sample's arithmetic, step by step).
void sampler_steps(Actor& n, const real* s, real* x, int B, int j0) {
  const int A = n.fs.A, F = n.fs.flow_steps;
  std::vector<real> v(static_cast<size_t>(B) * A), t(B);
  for (int j = j0; j < F; ++j) {
    for (int b = 0; b < B; ++b) t[b] = static_cast<real>(j) / static_cast<real>(F);
    flow_velocity(n.fs, n.params.data(), s, x, t.data(), B, v.data(), n.work.data());
    for (long k = 0; k < static_cast<long>(B) * A; ++k) x[k] += v[k] / static_cast<real>(F);
  }
}

double max_abs_diff(const std::vector<real>& x, const std::vector<real>& y) {
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::fmax(m, std::fabs(static_cast<double>(x[i]) - static_cast<double>(y[i])));
  return m;
}

ExactReversalConfig exact_config() {
  ExactReversalConfig c;
  c.tol = kExactIterTol;
  return c;
}

// Reverses a (B, A) by d (B) with `method`; returns x, fills f, failures.
std::vector<real> reverse(Actor& n, Reversal method, const std::vector<real>& s, const std::vector<real>& a,
                          const std::vector<real>& d, std::vector<real>* f = nullptr, int* failures = nullptr,
                          const ExactReversalConfig& cfg = exact_config()) {
  const int B = static_cast<int>(d.size());
  std::vector<real> x(a.size()), ff(B);
  const int fails = flow_reverse(n.fs, method, cfg, n.params.data(), s.empty() ? nullptr : s.data(), a.data(),
                                 d.data(), B, x.data(), ff.data(), n.work.data());
  if (f) *f = ff;
  if (failures) *failures = fails;
  return x;
}

const Reversal kBoth[] = {Reversal::kEuler, Reversal::kExact};
const char* name(Reversal m) { return m == Reversal::kEuler ? "euler" : "exact"; }

// ---------------------------------------------------------------- velocity --

// obs_dim 2, A 2. Column 0 of W reads every input with its own power of ten:
// W[:, 0] = (1, 10, 100, 1000, 10000) over [s0, s1, x0, x1, t]; column 1 is
// zero with bias 7. s = (1, 2), x = (3, 4), t = 0.5:
//   v0 = 1*1 + 2*10 + 3*100 + 4*1000 + 0.5*10000 = 1 + 20 + 300 + 4000 + 5000 = 9321
//   v1 = 7
// (every term and partial sum is an integer < 2^24: exact in float).
TEST(FlowVelocityTest, InputIsConcatOfObservationActionTime) {
  Actor n = affine_actor(2, 2, 10, 1);
  const real powers[5] = {1, 10, 100, 1000, 10000};
  for (int r = 0; r < 5; ++r) weight(n, r, 0) = powers[r];
  bias(n, 1) = 7;
  const real s[2] = {1, 2}, x[2] = {3, 4}, t[1] = {real(0.5)};
  real v[2];
  flow_velocity(n.fs, n.params.data(), s, x, t, 1, v, n.work.data());
  EXPECT_EQ(v[0], real(9321));
  EXPECT_EQ(v[1], real(7));
}

// Two backward calls on one forward leave twice the gradient (the library's
// convention: backward ACCUMULATES).
TEST(FlowVelocityTest, BackwardAccumulates) {
  Actor n = random_actor(3, 4, {16, 16}, false, 10, 2, 11);
  Rng rng = rng_make(12, kStreamData);
  const std::vector<real> s = normal(6, rng), x = normal(8, rng), t = uniform(2, 0, 1, rng), dv = normal(8, rng);
  std::vector<real> v(8), once(n.params.size(), 0), twice(n.params.size(), 0);
  flow_velocity(n.fs, n.params.data(), s.data(), x.data(), t.data(), 2, v.data(), n.work.data());
  flow_velocity_backward(n.fs, n.params.data(), once.data(), 2, dv.data(), n.work.data());
  flow_velocity_backward(n.fs, n.params.data(), twice.data(), 2, dv.data(), n.work.data());
  flow_velocity_backward(n.fs, n.params.data(), twice.data(), 2, dv.data(), n.work.data());
  double scale = 0;
  for (real g : once) scale = std::fmax(scale, std::fabs(static_cast<double>(g)));
  ASSERT_GT(scale, 0);
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(twice[i], 2 * once[i], 1e-5 * scale) << "param " << i;
}

// ------------------------------------------------------------------ sample --

// v = c: each of F steps adds c/F, so x = x0 + c. With F = 8, c = -0.5 and
// x0 = 0.25 every number is dyadic: 0.25 + 8 * (-0.0625) = -0.25 exactly.
// With F = 10 (c/10 inexact) the same holds to rounding.
TEST(FlowSampleTest, ConstantFieldAddsItsValue) {
  for (int F : {8, 10}) {
    SCOPED_TRACE(F);
    Actor n = affine_actor(1, 2, F, 1);
    set_constant_field(n, {real(-0.5), real(0.75)});
    const real s[1] = {real(0.3)}, x0[2] = {real(0.25), real(-0.5)};
    real out[2];
    flow_sample(n.fs, n.params.data(), s, x0, 1, out, n.work.data());
    if (F == 8) {
      EXPECT_EQ(out[0], real(-0.25));  // 0.25 - 0.5
      EXPECT_EQ(out[1], real(0.25));   // -0.5 + 0.75
    } else {
      EXPECT_NEAR(out[0], -0.25, kClosedFormTol);
      EXPECT_NEAR(out[1], 0.25, kClosedFormTol);
    }
  }
}

// v = (5, -5, 0.5): x0 + c = (5.1, -4.9, 0.6) clips to (1, -1, 0.6).
TEST(FlowSampleTest, LargeConstantFieldClipsToPlusMinusOne) {
  Actor n = affine_actor(1, 3, 10, 1);
  set_constant_field(n, {5, -5, real(0.5)});
  const real s[1] = {0}, x0[3] = {real(0.1), real(0.1), real(0.1)};
  real out[3];
  flow_sample(n.fs, n.params.data(), s, x0, 1, out, n.work.data());
  EXPECT_EQ(out[0], real(1));
  EXPECT_EQ(out[1], real(-1));
  EXPECT_NEAR(out[2], 0.6, kClosedFormTol);
}

// h = 3, adim = 2, A = 6, B = 2, x0 = 0. The field is constant in x and t,
// v_j = c_j + 0.01 s with c_j = (j + 1) / 10, so row b (observation s = b)
// ends at a[b][i][k] = c_{i*2+k} + 0.01 b, stored at b*A + i*adim + k
// (the chunk [h, adim] row-major within each batch row). Guard cells before
// and after the B*A outputs stay untouched.
TEST(FlowSampleTest, OutputIsChunkRowMajorAndNothingElseIsWritten) {
  const int h = 3, adim = 2, A = h * adim, B = 2, guard = 4;
  Actor n = affine_actor(1, A, 10, B);
  for (int j = 0; j < A; ++j) {
    bias(n, j) = static_cast<real>(j + 1) / 10;
    weight(n, 0, j) = real(0.01);
  }
  const real s[B] = {0, 1};
  const std::vector<real> x0(B * A, 0);
  std::vector<real> buf(B * A + 2 * guard, real(-7));
  flow_sample(n.fs, n.params.data(), s, x0.data(), B, buf.data() + guard, n.work.data());
  for (int g = 0; g < guard; ++g) {
    EXPECT_EQ(buf[g], real(-7));
    EXPECT_EQ(buf[guard + B * A + g], real(-7));
  }
  for (int b = 0; b < B; ++b)
    for (int i = 0; i < h; ++i)
      for (int k = 0; k < adim; ++k)
        EXPECT_NEAR(buf[guard + b * A + i * adim + k], (i * adim + k + 1) / 10.0 + 0.01 * b, kClosedFormTol)
            << "b " << b << " i " << i << " k " << k;
}

// Sampling a batch gives, row for row, what sampling each row alone gives
// (bit for bit: the matmul kernels compute every row with the same sequence
// of operations, whatever the row's position in its tile).
TEST(FlowSampleTest, BatchEqualsRowByRow) {
  const int B = 7, A = 4;
  Actor n = random_actor(3, A, {16, 16}, false, 10, B, 21);
  Rng rng = rng_make(22, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), x0 = normal(B * A, rng);
  std::vector<real> batch(B * A), one(A);
  flow_sample(n.fs, n.params.data(), s.data(), x0.data(), B, batch.data(), n.work.data());
  for (int b = 0; b < B; ++b) {
    flow_sample(n.fs, n.params.data(), s.data() + b * 3, x0.data() + b * A, 1, one.data(), n.work.data());
    for (int j = 0; j < A; ++j) EXPECT_EQ(batch[b * A + j], one[j]) << "row " << b;
  }
}

// One observation, after setup (parameters and work sized up front): zero
// calls of operator new. Default-sized actor width (512 x 4) would be slow
// in a unit test; the code path does not depend on the width.
TEST(FlowSampleTest, SingleObservationAllocatesNothing) {
  Actor n = random_actor(3, 4, {32, 32, 32}, true, 10, 1, 31);
  Rng rng = rng_make(32, kStreamData);
  const std::vector<real> s = normal(3, rng), x0 = normal(4, rng);
  real out[4];
  const long before = rql_test_allocations();
  flow_sample(n.fs, n.params.data(), s.data(), x0.data(), 1, out, n.work.data());
  const long after = rql_test_allocations();
  EXPECT_EQ(after - before, 0);
  for (real v : out) EXPECT_TRUE(v >= -1 && v <= 1);
}

// ----------------------------------------------------------------- reverse --

// v = 0: both reversals return a, bit for bit, for every d.
TEST(FlowReverseTest, ZeroFieldReturnsActionForEveryD) {
  Actor n = affine_actor(1, 3, 10, 5);
  const std::vector<real> s(5, real(0.2)), d = {0, real(0.3), real(0.55), real(0.9), 1};
  Rng rng = rng_make(41, kStreamData);
  const std::vector<real> a = uniform(15, -1, 1, rng);
  for (Reversal m : kBoth) {
    SCOPED_TRACE(name(m));
    int fails = -1;
    EXPECT_EQ(reverse(n, m, s, a, d, nullptr, &fails), a);
    EXPECT_EQ(fails, 0);
  }
}

// v = c: x^{1-d} = a - d c for both methods. F = 8, c = 0.5, a = 0.25:
//   d = 0    -> 0.25;   d = 1/4 -> 0.25 - 0.125 = 0.125;
//   d = 3/8  -> 0.25 - 0.1875 = 0.0625;   d = 1 -> 0.25 - 0.5 = -0.25
// all dyadic, so exact in float (euler subtracts c d/8 eight times; exact
// subtracts c/8 k times). Off the grid (d = 0.3) and with F = 10 the same
// holds to rounding: 0.25 - 0.15 = 0.1.
TEST(FlowReverseTest, ConstantFieldBothMethodsGiveAMinusDC) {
  Actor n = affine_actor(1, 1, 8, 4);
  set_constant_field(n, {real(0.5)});
  const std::vector<real> s(4, 0), a(4, real(0.25));
  const std::vector<real> grid_d = {0, real(0.25), real(0.375), 1};
  const std::vector<real> want = {real(0.25), real(0.125), real(0.0625), real(-0.25)};
  for (Reversal m : kBoth) {
    SCOPED_TRACE(name(m));
    EXPECT_EQ(reverse(n, m, s, a, grid_d), want);
    for (int F : {8, 10}) {
      n.fs.flow_steps = F;
      const std::vector<real> x = reverse(n, m, {0}, {real(0.25)}, {real(0.3)});
      EXPECT_NEAR(x[0], 0.1, kClosedFormTol) << "F " << F;
    }
    n.fs.flow_steps = 8;
  }
}

// v = c, F = 8: reverse a = 0.25 by d = 1 to -0.25, then sample from there:
// -0.25 + 8 * 0.0625 = 0.25 = a exactly, for both methods (Euler is exact on
// a constant field, so here the authors' reversal IS the inverse).
TEST(FlowReverseTest, ConstantFieldRoundTripIsExact) {
  Actor n = affine_actor(1, 2, 8, 1);
  set_constant_field(n, {real(0.5), real(-0.25)});
  const std::vector<real> s = {0}, a = {real(0.25), real(0.5)};
  for (Reversal m : kBoth) {
    SCOPED_TRACE(name(m));
    const std::vector<real> x = reverse(n, m, s, a, {1});
    std::vector<real> back(2);
    flow_sample(n.fs, n.params.data(), s.data(), x.data(), 1, back.data(), n.work.data());
    EXPECT_EQ(back, a);
  }
}

// v = lambda x, lambda = 0.7, a = 1.3, F = 10. Each euler sub-step
// multiplies by (1 - lambda d/F), so x^{1-d} = a (1 - lambda d / F)^F:
//   d = 1:   1.3 * 0.93^10  = 0.6291769993330815
//   d = 0.3: 1.3 * 0.979^10 = 1.0514055624968959
// (Python: 1.3 * (1 - 0.7 * d / 10) ** 10).
TEST(FlowReverseTest, LinearFieldEulerMatchesClosedForm) {
  Actor n = affine_actor(1, 1, 10, 2);
  set_linear_field(n, real(0.7));
  const std::vector<real> x = reverse(n, Reversal::kEuler, {0, 0}, {real(1.3), real(1.3)}, {1, real(0.3)});
  EXPECT_NEAR(x[0], 0.6291769993330815, kClosedFormTol);
  EXPECT_NEAR(x[1], 1.0514055624968959, kClosedFormTol);
}

// The euler reversal is not the sampler's inverse. From x = a (1 - l/F)^F
// (d = 1), the sampler multiplies by (1 + l/F) per step:
//   forward(reverse(a)) = a (1 - l/F)^F (1 + l/F)^F = a (1 - l^2/F^2)^F
//                       = 1.3 * 0.9951^10 = 1.2376863882134463,
// not 1.3: the error is a (1 - (1 - l^2/F^2)^F) ~ a l^2 / F = 0.0637 (O(1/F)).
// The exact reversal divides by (1 + l/F) per step instead:
//   x = 1.3 / 1.07^10 = 0.6608540797751329, and the round trip returns a.
// (No clip: a = 1.3 lies outside [-1, 1], so the steps run by hand.)
TEST(FlowReverseTest, LinearFieldEulerRoundTripMissesExactDoesNot) {
  Actor n = affine_actor(1, 1, 10, 1);
  set_linear_field(n, real(0.7));
  const std::vector<real> s = {0}, a = {real(1.3)};
  std::vector<real> x = reverse(n, Reversal::kEuler, s, a, {1});
  sampler_steps(n, s.data(), x.data(), 1, 0);
  EXPECT_NEAR(x[0], 1.2376863882134463, kClosedFormTol);

  x = reverse(n, Reversal::kExact, s, a, {1});
  EXPECT_NEAR(x[0], 0.6608540797751329, kClosedFormTol);
  sampler_steps(n, s.data(), x.data(), 1, 0);
  EXPECT_NEAR(x[0], 1.3, kRoundTripTol);
}

// Off the grid, the exact reversal undoes k whole sampler steps and then one
// partial step of size r/F (d F = k + r). l = 0.7, a = 1.3, F = 10,
// d = 0.25: k = 2, r = 0.5, so
//   x = a / ((1 + l/F)^2 (1 + l r/F)) = 1.3 / (1.07^2 * 1.035) = 1.0970727987972708.
TEST(FlowReverseTest, LinearFieldExactOffGridIsPartialStep) {
  Actor n = affine_actor(1, 1, 10, 1);
  set_linear_field(n, real(0.7));
  const std::vector<real> x = reverse(n, Reversal::kExact, {0}, {real(1.3)}, {real(0.25)});
  EXPECT_NEAR(x[0], 1.0970727987972708, kClosedFormTol);
}

// The random small net of the issue: obs 3, A 4 (h = 2, adim 2), hidden
// (16, 16), Glorot init. For d = k/F the exact reversal followed by the
// sampler's last k steps returns a (within the fixed-point tolerance); for
// d = 1 through flow_sample itself (a inside (-1, 1): the clip is inert).
TEST(FlowReverseTest, ExactReversalThenSamplerReturnsAction) {
  const int B = 8, A = 4, F = 10;
  Actor n = random_actor(3, A, {16, 16}, false, F, B, 51);
  Rng rng = rng_make(52, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), a = uniform(B * A, -0.9, 0.9, rng);
  for (int k : {1, 3, 5, 9, 10}) {
    SCOPED_TRACE(k);
    const std::vector<real> d(B, static_cast<real>(k) / static_cast<real>(F));
    int fails = -1;
    std::vector<real> x = reverse(n, Reversal::kExact, s, a, d, nullptr, &fails);
    ASSERT_EQ(fails, 0);
    if (k == F) {
      std::vector<real> back(B * A);
      flow_sample(n.fs, n.params.data(), s.data(), x.data(), B, back.data(), n.work.data());
      EXPECT_LT(max_abs_diff(back, a), kRoundTripTol);
    }
    sampler_steps(n, s.data(), x.data(), B, F - k);
    EXPECT_LT(max_abs_diff(x, a), kRoundTripTol);
  }
}

// The off-grid definition on the random net: d = 0.25, F = 10 (k = 2,
// r = 0.5). From x^{1-d}: one Euler step of size r/F = 0.05 at time f, then
// the sampler's steps j = 8, 9, returns a.
TEST(FlowReverseTest, ExactOffGridIsPartialStepThenSamplerSteps) {
  const int B = 4, A = 4, F = 10;
  Actor n = random_actor(3, A, {16, 16}, false, F, B, 53);
  Rng rng = rng_make(54, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), a = uniform(B * A, -0.9, 0.9, rng);
  std::vector<real> f;
  std::vector<real> x = reverse(n, Reversal::kExact, s, a, std::vector<real>(B, real(0.25)), &f);
  std::vector<real> v(B * A);
  flow_velocity(n.fs, n.params.data(), s.data(), x.data(), f.data(), B, v.data(), n.work.data());
  for (int q = 0; q < B * A; ++q) x[q] += v[q] * real(0.05);
  sampler_steps(n, s.data(), x.data(), B, 8);
  EXPECT_LT(max_abs_diff(x, a), kRoundTripTol);
}

// The off-grid definition joins the grid cases continuously: d a hair
// above or below k/F gives nearly the grid result.
TEST(FlowReverseTest, ExactIsContinuousAcrossGridPoints) {
  const int B = 1, A = 4, F = 10;
  Actor n = random_actor(3, A, {16, 16}, false, F, B, 55);
  Rng rng = rng_make(56, kStreamData);
  const std::vector<real> s = normal(3, rng), a = uniform(A, -0.9, 0.9, rng);
  for (int k : {1, 4, 9}) {
    const real dk = static_cast<real>(k) / static_cast<real>(F);
    const std::vector<real> on = reverse(n, Reversal::kExact, s, a, {dk});
    for (real eps : {real(-1e-3), real(1e-3)}) {
      const std::vector<real> near = reverse(n, Reversal::kExact, s, a, {dk + eps});
      EXPECT_LT(max_abs_diff(on, near), 1e-2) << "k " << k << " eps " << eps;  // |dx| ~ |v| eps
      EXPECT_GT(max_abs_diff(on, near), 0) << "k " << k << " eps " << eps;
    }
  }
}

// forward(reverse_euler(a)) - a is O(1/F) (first-order error per step, see
// docs/flow.md): doubling F halves it. Measured on the random net with
// d = 1, max |error| over 8 rows x 4 coordinates:
//   F:      5        10       20       40
//   error:  see the printed line (float and double agree to 3 digits);
// ratios 1.8 .. 2.0, so [1.6, 2.4] is a real check, not a loose one.
TEST(FlowReverseTest, EulerRoundTripErrorHalvesWhenFDoubles) {
  const int B = 8, A = 4;
  Actor n = random_actor(3, A, {16, 16}, false, 10, B, 61);
  Rng rng = rng_make(62, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), a = uniform(B * A, -0.9, 0.9, rng);
  double err[4];
  const int Fs[4] = {5, 10, 20, 40};
  for (int i = 0; i < 4; ++i) {
    n.fs.flow_steps = Fs[i];
    std::vector<real> x = reverse(n, Reversal::kEuler, s, a, std::vector<real>(B, 1));
    sampler_steps(n, s.data(), x.data(), B, 0);
    err[i] = max_abs_diff(x, a);
  }
  std::printf("euler round-trip error, F = 5 10 20 40: %.4g %.4g %.4g %.4g\n", err[0], err[1], err[2], err[3]);
  for (int i = 0; i + 1 < 4; ++i) {
    const double ratio = err[i] / err[i + 1];
    EXPECT_GE(ratio, 1.6) << "F " << Fs[i];
    EXPECT_LE(ratio, 2.4) << "F " << Fs[i];
  }
}

// After either reversal f = 1 - d (the authors' F subtractions of d/F), and
// both methods return the same f bit for bit.
TEST(FlowReverseTest, ReversedTimeIsOneMinusD) {
  const int B = 6, A = 4;
  Actor n = random_actor(3, A, {16, 16}, false, 10, B, 71);
  Rng rng = rng_make(72, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), a = uniform(B * A, -0.9, 0.9, rng);
  const std::vector<real> d = {0, real(0.137), real(0.5), real(0.9), real(0.999), 1};
  std::vector<real> f_euler, f_exact;
  reverse(n, Reversal::kEuler, s, a, d, &f_euler);
  reverse(n, Reversal::kExact, s, a, d, &f_exact);
  EXPECT_EQ(f_euler, f_exact);
  for (int b = 0; b < B; ++b) EXPECT_NEAR(f_euler[b], 1 - static_cast<double>(d[b]), kClosedFormTol);
  EXPECT_EQ(f_euler[0], real(1));
}

// d = 0 returns a unchanged, bit for bit, on a non-trivial field.
TEST(FlowReverseTest, ZeroDReturnsActionUnchanged) {
  const int B = 3, A = 4;
  Actor n = random_actor(3, A, {16, 16}, true, 10, B, 81);
  Rng rng = rng_make(82, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), a = uniform(B * A, -1, 1, rng);
  for (Reversal m : kBoth) {
    SCOPED_TRACE(name(m));
    EXPECT_EQ(reverse(n, m, s, a, std::vector<real>(B, 0)), a);
  }
}

// v = -30 x, F = 10. The exact reversal solves x + step v(x) = x_cur by
// x <- x_cur + 30 step x, a contraction only when 30 step < 1:
//   d = 0     nothing to undo                         converges (a)
//   d = 0.02  k = 0, r = 0.2: one step of 0.02, 30 * 0.02 = 0.6 < 1:
//             x - 0.6 x = a  ->  x = 2.5 a             converges
//   d = 0.3   steps of 0.1: 30 * 0.1 = 3 > 1           diverges
//   d = 1     the same                                 diverges
// so exactly 2 rows fail, and the converged rows are right.
TEST(FlowReverseTest, ExactReportsNonConvergenceRowByRow) {
  Actor n = affine_actor(1, 2, 10, 4);
  set_linear_field(n, real(-30));
  const std::vector<real> s(4, 0), a = {real(0.4), real(-0.2), real(0.4), real(-0.2),
                                        real(0.4), real(-0.2), real(0.4), real(-0.2)};
  int fails = -1;
  const std::vector<real> x = reverse(n, Reversal::kExact, s, a, {0, real(0.02), real(0.3), 1}, nullptr, &fails);
  EXPECT_EQ(fails, 2);
  EXPECT_EQ(x[0], real(0.4));
  EXPECT_EQ(x[1], real(-0.2));
  EXPECT_NEAR(x[2], 1.0, 20 * kExactIterTol);   // 2.5 * 0.4
  EXPECT_NEAR(x[3], -0.5, 20 * kExactIterTol);  // 2.5 * -0.2

  // Every row failing is counted: B, not 1.
  EXPECT_EQ(reverse(n, Reversal::kExact, s, a, std::vector<real>(4, 1), nullptr, &fails).size(), 8u);
  EXPECT_EQ(fails, 4);
  // The authors' loop never fails (it is explicit), it just is not an inverse.
  reverse(n, Reversal::kEuler, s, a, std::vector<real>(4, 1), nullptr, &fails);
  EXPECT_EQ(fails, 0);
}

// Rows stop iterating on their own convergence test, so a row's result is
// the same in any batch: reversing 7 rows together equals reversing each
// alone, bit for bit (the matmul kernels compute every row alike).
TEST(FlowReverseTest, ExactRowsAreIndependentOfTheBatch) {
  const int B = 7, A = 4;
  Actor n = random_actor(3, A, {16, 16}, false, 10, B, 91);
  Rng rng = rng_make(92, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), a = uniform(B * A, -0.9, 0.9, rng);
  const std::vector<real> d = {0, real(0.05), real(0.3), real(0.37), real(0.8), real(0.95), 1};
  const std::vector<real> all = reverse(n, Reversal::kExact, s, a, d);
  for (int b = 0; b < B; ++b) {
    const std::vector<real> one =
        reverse(n, Reversal::kExact, std::vector<real>(s.begin() + b * 3, s.begin() + b * 3 + 3),
                std::vector<real>(a.begin() + b * A, a.begin() + b * A + A), {d[b]});
    for (int j = 0; j < A; ++j) EXPECT_EQ(all[b * A + j], one[j]) << "row " << b;
  }
}

// Both reversals allocate nothing once `work` is sized.
TEST(FlowReverseTest, AllocatesNothing) {
  const int B = 5, A = 4;
  Actor n = random_actor(3, A, {16, 16}, false, 10, B, 95);
  Rng rng = rng_make(96, kStreamData);
  const std::vector<real> s = normal(B * 3, rng), a = uniform(B * A, -0.9, 0.9, rng);
  const std::vector<real> d = {0, real(0.33), real(0.5), real(0.71), 1};
  std::vector<real> x(B * A), f(B);
  const ExactReversalConfig cfg = exact_config();
  for (Reversal m : kBoth) {
    const long before = rql_test_allocations();
    flow_reverse(n.fs, m, cfg, n.params.data(), s.data(), a.data(), d.data(), B, x.data(), f.data(),
                 n.work.data());
    const long after = rql_test_allocations();
    EXPECT_EQ(after - before, 0) << name(m);
  }
}

// ----------------------------------------------------------------- BC loss --

// The observation carries the answer: s = [a, x0] (obs_dim = 2A) and
// W = [I; -I; 0; 0] over [s_a, s_x0, x, t], b = 0, so the network outputs
// v = a - x0 exactly (1*a + (-1)*x0 + zeros). At x_t = (1-t) x0 + t a the
// target velocity is a - x0: the loss is 0 and its gradient is 0.
TEST(FlowBcLossTest, ZeroWhenNetworkOutputsTargetVelocity) {
  const int B = 3, A = 4, adim = 2, h = 2;
  Actor n = affine_actor(2 * A, A, 10, B);
  for (int j = 0; j < A; ++j) {
    weight(n, j, j) = 1;
    weight(n, A + j, j) = -1;
  }
  Rng rng = rng_make(101, kStreamData);
  const std::vector<real> a = uniform(B * A, -1, 1, rng), x0 = normal(B * A, rng), t = uniform(B, 0, 1, rng);
  std::vector<real> s(B * 2 * A), xt(B * A), p(B * A), dp(B * A, 0);
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < A; ++j) {
      s[b * 2 * A + j] = a[b * A + j];
      s[b * 2 * A + A + j] = x0[b * A + j];
      xt[b * A + j] = (1 - t[b]) * x0[b * A + j] + t[b] * a[b * A + j];
    }
  const std::vector<real> rt((h + 1) * B, 0);
  flow_velocity(n.fs, n.params.data(), s.data(), xt.data(), t.data(), B, p.data(), n.work.data());
  EXPECT_EQ(flow_bc_loss(p.data(), a.data(), x0.data(), rt.data(), B, A, adim), real(0));
  flow_bc_loss_backward(dp.data(), p.data(), a.data(), x0.data(), rt.data(), B, A, adim, 1);
  for (real g : dp) EXPECT_EQ(g, real(0));
}

// B = 2, h = 2, adim = 2, A = 4. Residuals e = p - (a - x0) are set by
// p = e, a = x0 = 0:
//   row 0: e = (1, 2, 3, 4),  row 1: e = (-1, 0.5, 2, -2)
// Shifted terminals rt (h+1, B): rt[0] = (0, 0) (always), rt[1] = (0, 1),
// rt[2] = (1, 1) (row h: not used by the mask). So row 1's second action
// (j = 2, 3) is masked:
//   sum m e^2 = (1 + 4 + 9 + 16) + (1 + 0.25) = 31.25,  L = 31.25 / 8 = 3.90625
// dL/dp = 2 e m / (B A) = e m / 4, scaled by the weight (here 0.5), and
// added to what dp held (here 1).
TEST(FlowBcLossTest, HandValueWithMaskFromShiftedTerminals) {
  const int B = 2, A = 4, adim = 2;
  const std::vector<real> p = {1, 2, 3, 4, -1, real(0.5), 2, -2}, zero(8, 0);
  const std::vector<real> rt = {0, 0, 0, 1, 1, 1};  // (h+1, B) row-major
  EXPECT_EQ(flow_bc_loss(p.data(), zero.data(), zero.data(), rt.data(), B, A, adim), real(3.90625));
  std::vector<real> dp(8, 1);
  flow_bc_loss_backward(dp.data(), p.data(), zero.data(), zero.data(), rt.data(), B, A, adim, real(0.5));
  const std::vector<real> want = {real(1.125), real(1.25), real(1.375), real(1.5),
                                  real(0.875), real(1.0625), 1, 1};  // 1 + 0.5 e m / 4
  EXPECT_EQ(dp, want);
}

// L(theta) = flow_bc_loss(v_theta(s, x_t, t), a, x0, rt) on a small actor;
// dL/dtheta = flow_velocity_backward(flow_bc_loss_backward(...)).
struct BcProblem {
  static constexpr int B = 3, obs = 3, h = 2, adim = 2, A = h * adim;
  Actor n;
  std::vector<real> s, a, x0, t, xt, rt;

  explicit BcProblem(bool layer_norm) : n(random_actor(obs, A, {8, 8}, layer_norm, 10, B, 111)) {
    Rng rng = rng_make(112, kStreamData);
    s = normal(B * obs, rng);
    a = uniform(B * A, -1, 1, rng);
    x0 = normal(B * A, rng);
    t = uniform(B, 0, 1, rng);
    xt.resize(B * A);
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < A; ++j) xt[b * A + j] = (1 - t[b]) * x0[b * A + j] + t[b] * a[b * A + j];
    rt.assign((h + 1) * B, 0);
    rt[1 * B + 2] = 1;  // row 2's second action is past an episode end
    if (layer_norm)     // LayerNorm's gain and bias away from (1, 0) so their gradients are generic
      for (real& p : n.params) p += static_cast<real>(rng_range(rng, -0.2, 0.2));
  }
  double loss() {
    std::vector<real> p(B * A);
    flow_velocity(n.fs, n.params.data(), s.data(), xt.data(), t.data(), B, p.data(), n.work.data());
    return flow_bc_loss(p.data(), a.data(), x0.data(), rt.data(), B, A, adim);
  }
  std::vector<real> grad() {
    std::vector<real> p(B * A), dp(B * A, 0), g(n.params.size(), 0);
    flow_velocity(n.fs, n.params.data(), s.data(), xt.data(), t.data(), B, p.data(), n.work.data());
    flow_bc_loss_backward(dp.data(), p.data(), a.data(), x0.data(), rt.data(), B, A, adim, 1);
    flow_velocity_backward(n.fs, n.params.data(), g.data(), B, dp.data(), n.work.data());
    return g;
  }
};

// Finite differences with the fourth-order central stencil
//   L'(0) ~ (8 (L(e) - L(-e)) - (L(2e) - L(-2e))) / (12 e),
// truncation error O(e^4), rounding O(eps_real |L| / e). Error measure
// |g - fd| / max(|g|, |fd|, floor); the floor keeps elements whose gradient
// is ~0 from dividing rounding noise by ~0.
//   double: e = 1e-3 (truncation ~e^4 = 1e-12, rounding ~1e-16 / e = 1e-13),
//           relative error < 1e-6 with floor 1e-6.
//   float:  e = 3e-2 (rounding ~6e-8 / e ~ 2e-6 absolute), relative error
//           < 1e-2 with floor 1e-2. A float check catches gross errors (a
//           wrong sign, a missing term); the double build is the real check.
// Measured worst errors: the printed lines.
#ifdef RQL_DOUBLE
constexpr double kFdStep = 1e-3, kFdTol = 1e-6, kFdFloor = 1e-6;
#else
constexpr double kFdStep = 3e-2, kFdTol = 1e-2, kFdFloor = 1e-2;
#endif

// dL/de at e = 0 for a loss L(e) along some perturbation.
template <class Loss>
double fd_derivative(Loss L, double e) {
  return (8 * (L(e) - L(-e)) - (L(2 * e) - L(-2 * e))) / (12 * e);
}

TEST(FlowBcLossTest, GradientMatchesFiniteDifferencePerElement) {
  for (bool layer_norm : {false, true}) {
    SCOPED_TRACE(layer_norm ? "layer_norm" : "no layer_norm");
    BcProblem pb(layer_norm);
    const std::vector<real> g = pb.grad();
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      const real saved = pb.n.params[i];
      const double fd = fd_derivative(
          [&](double e) {
            pb.n.params[i] = saved + static_cast<real>(e);
            return pb.loss();
          },
          kFdStep);
      pb.n.params[i] = saved;
      const double gi = static_cast<double>(g[i]);
      const double err = std::fabs(gi - fd) / std::fmax(std::fmax(std::fabs(gi), std::fabs(fd)), kFdFloor);
      if (err > worst) {
        worst = err;
        worst_i = i;
      }
    }
    std::printf("BC gradient vs finite differences (%s): worst relative error %.3g at parameter %zu of %zu "
                "(gradient %.3g)\n",
                layer_norm ? "layer_norm" : "plain", worst, worst_i, g.size(), static_cast<double>(g[worst_i]));
    EXPECT_LT(worst, kFdTol) << "parameter " << worst_i;
  }
}

// kann's kad_check_grad: one random unit direction u over all parameters,
// d/de L(th + e u) by the same stencil, against g . u.
TEST(FlowBcLossTest, GradientMatchesFiniteDifferenceAlongRandomDirection) {
  for (bool layer_norm : {false, true}) {
    SCOPED_TRACE(layer_norm ? "layer_norm" : "no layer_norm");
    BcProblem pb(layer_norm);
    const std::vector<real> g = pb.grad(), theta = pb.n.params;
    Rng rng = rng_make(113, kStreamData);
    std::vector<real> u = normal(static_cast<int>(g.size()), rng);
    double norm = 0;
    for (real ui : u) norm += static_cast<double>(ui) * static_cast<double>(ui);
    for (real& ui : u) ui = static_cast<real>(static_cast<double>(ui) / std::sqrt(norm));
    double gu = 0;
    for (size_t i = 0; i < g.size(); ++i) gu += static_cast<double>(g[i]) * static_cast<double>(u[i]);
    const double fd = fd_derivative(
        [&](double e) {
          for (size_t i = 0; i < g.size(); ++i) pb.n.params[i] = theta[i] + static_cast<real>(e) * u[i];
          return pb.loss();
        },
        kFdStep);
    pb.n.params = theta;
    const double err = std::fabs(fd - gu) / std::fmax(std::fabs(gu), kFdFloor);
    std::printf("BC gradient along a random direction (%s): g.u %.9g, finite difference %.9g, relative error %.3g\n",
                layer_norm ? "layer_norm" : "plain", gu, fd, err);
    EXPECT_LT(err, kFdTol);
  }
}

// The BC loss and its gradient allocate nothing.
TEST(FlowBcLossTest, GradientAllocatesNothing) {
  BcProblem pb(false);
  const int B = BcProblem::B, A = BcProblem::A;
  std::vector<real> p(B * A), dp(B * A, 0), g(pb.n.params.size(), 0);
  const long before = rql_test_allocations();
  flow_velocity(pb.n.fs, pb.n.params.data(), pb.s.data(), pb.xt.data(), pb.t.data(), B, p.data(), pb.n.work.data());
  const real L = flow_bc_loss(p.data(), pb.a.data(), pb.x0.data(), pb.rt.data(), B, A, BcProblem::adim);
  flow_bc_loss_backward(dp.data(), p.data(), pb.a.data(), pb.x0.data(), pb.rt.data(), B, A, BcProblem::adim, 1);
  flow_velocity_backward(pb.n.fs, pb.n.params.data(), g.data(), B, dp.data(), pb.n.work.data());
  const long after = rql_test_allocations();
  EXPECT_EQ(after - before, 0);
  EXPECT_TRUE(std::isfinite(L));
}

}  // namespace
}  // namespace rql
