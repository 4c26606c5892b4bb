// test_layers.cpp: the layers of docs/spec.md §1 (src/layers.h) and the Dense products
// they are built from (src/matmul.h): Glorot-uniform init, Dense, GELU (tanh
// form), LayerNorm (eps 1e-6). Analytic cases are worked by hand in the
// comments; backward passes are checked element by element against central
// differences (tests/gradient_check.h states the error measure and the
// per-build step and bound). Derivations: docs/backprop.md.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "support/gradient_check.h"
#include "core/layers.h"
#include "core/matmul.h"
#include "core/rng.h"

namespace rql {
namespace {

using gradcheck::central_difference;
using gradcheck::dot;
using gradcheck::expect_gradient_matches;
using gradcheck::random_vector;
using gradcheck::Worst;

constexpr double kEps = std::numeric_limits<real>::epsilon();  // 1.19e-7 float, 2.2e-16 double
const double kPi = std::acos(-1.0);

// ---- Glorot ----------------------------------------------------------------

TEST(GlorotTest, LimitIsSqrtSixOverFanSum) {
  // 3 x 5:     sqrt(6 / 8)    = sqrt(0.75)    = 0.8660254037844386
  // 512 x 512: sqrt(6 / 1024) = sqrt(6) / 32  = 2.449489742783178 / 32 = 0.07654655446197431
  // 1 x 1:     sqrt(6 / 2)    = sqrt(3)       = 1.7320508075688772
  EXPECT_NEAR(glorot_limit(3, 5), 0.8660254037844386, 1e-15);
  EXPECT_NEAR(glorot_limit(5, 3), 0.8660254037844386, 1e-15);
  EXPECT_NEAR(glorot_limit(512, 512), 0.07654655446197431, 1e-16);
  EXPECT_NEAR(glorot_limit(1, 1), 1.7320508075688772, 1e-15);
}

TEST(GlorotTest, InitSamplesAreUniformInsideLimit) {
  // 300 x 200 = 60000 samples of U(-l, l), l = sqrt(6 / 500) = 0.10954451.
  // Moments of U(-l, l): mean 0, E[w^2] = l^2 / 3, Var(w^2) = E[w^4] - (l^2/3)^2
  // = l^4 / 5 - l^4 / 9 = 4 l^4 / 45. Sample-mean bounds at 5 sigma:
  //   |mean| < 5 l / sqrt(3 n),  |mean(w^2) - l^2/3| < 5 l^2 sqrt(4/45) / sqrt(n).
  // Histogram: 10 equal cells over (-l, l), chi-square with 9 degrees of
  // freedom, 0.999 quantile 27.877.
  const int fan_in = 300, fan_out = 200;
  const long n = static_cast<long>(fan_in) * fan_out;
  const double l = glorot_limit(fan_in, fan_out);
  std::vector<real> W(n), b(fan_out);
  Rng rng = rng_make(42, kStreamInit);
  dense_init(W.data(), b.data(), fan_in, fan_out, rng);
  double sum = 0, sum2 = 0;
  int cells[10] = {};
  for (long i = 0; i < n; ++i) {
    const double w = W[i];
    // Inside (-l, l); in the float build a draw within half an ulp of l rounds
    // to float(l), hence the closed bound at the rounded limit.
    ASSERT_LE(std::fabs(w), static_cast<double>(static_cast<real>(l))) << "element " << i;
    sum += w;
    sum2 += w * w;
    int c = static_cast<int>((w + l) / (2 * l) * 10);
    c = c < 0 ? 0 : (c > 9 ? 9 : c);
    ++cells[c];
  }
  EXPECT_LT(std::fabs(sum / n), 5 * l / std::sqrt(3.0 * n));
  EXPECT_LT(std::fabs(sum2 / n - l * l / 3), 5 * l * l * std::sqrt(4.0 / 45.0) / std::sqrt(static_cast<double>(n)));
  double chi2 = 0;
  for (int c = 0; c < 10; ++c) chi2 += (cells[c] - n / 10.0) * (cells[c] - n / 10.0) / (n / 10.0);
  EXPECT_LT(chi2, 27.877);
}

TEST(GlorotTest, InitDrawsRowMajorFromTheGivenStream) {
  // dense_init's contract (layers.h): fan_in * fan_out uniforms from `rng`, in
  // row-major order of W, each mapped to U(-l, l); nothing else is drawn.
  const int fan_in = 3, fan_out = 5;
  const double l = glorot_limit(fan_in, fan_out);  // 0.8660254037844386
  std::vector<real> W(fan_in * fan_out), b(fan_out);
  Rng rng = rng_make(7, kStreamInit), ref = rng_make(7, kStreamInit);
  dense_init(W.data(), b.data(), fan_in, fan_out, rng);
  const real lr = static_cast<real>(l);  // dense_init computes the limit and the map in real
  for (int i = 0; i < fan_in * fan_out; ++i)
    EXPECT_EQ(W[i], -lr + (lr - -lr) * rng_uniform(ref))
        << "W[" << i / fan_out << "," << i % fan_out << "]";
  EXPECT_EQ(rng_next(rng), rng_next(ref));  // both streams at the same position
}

// ---- Dense -------------------------------------------------------------------

TEST(DenseTest, UnitWeightsSumInputsPlusBias) {
  // x = [1, 2, 3], W = ones(3, 2), b = [0.5, -1]:
  //   y_j = sum_k x_k * 1 + b_j = 6 + b_j  ->  [6.5, 5]
  const real x[3] = {1, 2, 3};
  const real W[6] = {1, 1, 1, 1, 1, 1};
  const real b[2] = {0.5, -1};
  real y[2] = {-7, -7};
  matmul_forward_ref(y, x, W, b, 1, 3, 2);
  EXPECT_EQ(y[0], real(6.5));  // small integers and halves: exact in float
  EXPECT_EQ(y[1], real(5));
}

TEST(DenseTest, TwoRowsWorkedByHand) {
  // X = [[1, 2, 3], [-1, 0, 2]], W = [[1, 0], [0, 1], [1, -1]] (3 x 2), b = [0, 10]
  //   row 0: [1*1 + 2*0 + 3*1, 1*0 + 2*1 + 3*(-1)] + b = [4, -1] + [0, 10] = [4, 9]
  //   row 1: [-1 + 0 + 2, 0 + 0 - 2] + b             = [1, -2] + [0, 10] = [1, 8]
  // Without bias (b = null): [[4, -1], [1, -2]].
  const real X[6] = {1, 2, 3, -1, 0, 2};
  const real W[6] = {1, 0, 0, 1, 1, -1};
  const real b[2] = {0, 10};
  real Y[4];
  matmul_forward_ref(Y, X, W, b, 2, 3, 2);
  EXPECT_EQ(Y[0], real(4));
  EXPECT_EQ(Y[1], real(9));
  EXPECT_EQ(Y[2], real(1));
  EXPECT_EQ(Y[3], real(8));
  matmul_forward_ref(Y, X, W, nullptr, 2, 3, 2);
  EXPECT_EQ(Y[1], real(-1));
  EXPECT_EQ(Y[3], real(-2));
  // Backward with dY = [[1, 0], [0, 1]] (picks y00 and y11):
  //   dX = dY W^T = [[W00, W10, W20], [W01, W11, W21]] = [[1, 0, 1], [0, 1, -1]]
  //   dW = X^T dY = [[x00, x10], [x01, x11], [x02, x12]] = [[1, -1], [2, 0], [3, 2]]
  //   db = column sums of dY = [1, 1]
  const real dY[4] = {1, 0, 0, 1};
  real dX[6] = {}, dW[6] = {}, db[2] = {};
  matmul_backward_input_ref(dX, dY, W, 2, 3, 2);
  matmul_backward_params_ref(dW, db, X, dY, 2, 3, 2);
  const real eX[6] = {1, 0, 1, 0, 1, -1}, eW[6] = {1, -1, 2, 0, 3, 2};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(dX[i], eX[i]) << "dX " << i;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(dW[i], eW[i]) << "dW " << i;
  EXPECT_EQ(db[0], real(1));
  EXPECT_EQ(db[1], real(1));
}

TEST(DenseTest, InitZeroesBias) {
  std::vector<real> W(4 * 6), b(6, real(123));
  Rng rng = rng_make(1, kStreamInit);
  dense_init(W.data(), b.data(), 4, 6, rng);
  for (int j = 0; j < 6; ++j) EXPECT_EQ(b[j], real(0)) << "b[" << j << "]";
}

TEST(DenseTest, BackwardMatchesFiniteDifference) {
  // Y = X W + b, X (3, 4), W (4, 5), b (5); L = sum(Y * R).
  const int M = 3, K = 4, N = 5;
  std::vector<real> X = random_vector(M * K, 1), W = random_vector(K * N, 2), b = random_vector(N, 3),
                    R = random_vector(M * N, 4), Y(M * N);
  auto loss = [&] {
    matmul_forward_ref(Y.data(), X.data(), W.data(), b.data(), M, K, N);
    return dot(Y.data(), R.data(), M * N);
  };
  std::vector<real> dX(M * K, 0), dW(K * N, 0), db(N, 0);
  matmul_backward_input_ref(dX.data(), R.data(), W.data(), M, K, N);
  matmul_backward_params_ref(dW.data(), db.data(), X.data(), R.data(), M, K, N);
  Worst wx, ww, wb;
  for (int i = 0; i < M * K; ++i) wx.add(i, dX[i], central_difference(&X[i], loss));
  for (int i = 0; i < K * N; ++i) ww.add(i, dW[i], central_difference(&W[i], loss));
  for (int i = 0; i < N; ++i) wb.add(i, db[i], central_difference(&b[i], loss));
  expect_gradient_matches(wx, "dX");
  expect_gradient_matches(ww, "dW");
  expect_gradient_matches(wb, "db");
}

// ---- GELU --------------------------------------------------------------------

// The closed form of docs/spec.md §1, evaluated in double in the test:
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
double gelu_closed_form(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (x + 0.044715 * x * x * x)));
}

real gelu_of(real x) {
  real y;
  gelu_forward(&y, &x, 1);
  return y;
}

TEST(GeluTest, MatchesClosedFormAtZeroOneThree) {
  // Error model for gelu_forward in `real`: y = 0.5 x (1 + T). The rounding of
  // T = tanh(u) (and of u) is an absolute error of a few eps in T, which the
  // factor 0.5 x carries into y; the final products add a few eps relative to
  // y. Hence |y - exact| <= 4 eps (|x| + |y|): for x = -3, where 1 + T =
  // 0.0024 cancels, the error is absolute in T, not relative in y.
  for (double x : {0.0, 1.0, -1.0, 3.0, -3.0}) {
    const double expected = gelu_closed_form(x);
    EXPECT_NEAR(gelu_of(static_cast<real>(x)), expected, 4 * kEps * (std::fabs(x) + std::fabs(expected)))
        << "x = " << x;
  }
  // By hand, x = 1: u = sqrt(2/pi) (1 + 0.044715) = 0.7978845608 * 1.044715
  //   = 0.8335619689; tanh(u) = 0.6823839812; 0.5 * 1 * 1.6823839812 = 0.8411919906.
  EXPECT_NEAR(gelu_of(1), 0.8411919906, 1e-10 + 8 * kEps);
  // x = 3: u = 0.7978845608 * (3 + 0.044715 * 27) = 0.7978845608 * 4.207305
  //   = 3.3569437021; tanh(u) = 0.9975750719; 0.5 * 3 * 1.9975750719 = 2.9963626079.
  EXPECT_NEAR(gelu_of(3), 2.9963626079, 1e-10 + 8 * 3 * kEps);
  // x = 0: exactly 0.
  EXPECT_EQ(gelu_of(0), real(0));
  // Far tails: tanh saturates to +-1 in both precisions, so gelu(10) = 10 and
  // gelu(-10) = 0 exactly.
  EXPECT_EQ(gelu_of(10), real(10));
  EXPECT_EQ(gelu_of(-10), real(0));
}

TEST(GeluTest, LargeInputsStayFinite) {
  // GELU of large pre-activations (unnormalised observations give them):
  // gelu(x) = x for x >> 0, 0 for x << 0, never NaN.
  std::vector<real> x = {50, -50, 1e3f, -1e3f, 1e6f, -1e6f}, y(x.size()), dx(x.size(), 0), dy(x.size(), 1);
  gelu_forward(y.data(), x.data(), static_cast<long>(x.size()));
  gelu_backward(dx.data(), dy.data(), x.data(), static_cast<long>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(y[i], x[i] > 0 ? x[i] : real(0)) << x[i];
    EXPECT_TRUE(std::isfinite(static_cast<double>(dx[i]))) << x[i];
  }
}

TEST(GeluTest, NegativeArgumentIsValueMinusArgument) {
  // tanh is odd, so gelu(-x) = -0.5 x (1 - T) = 0.5 x (1 + T) - x = gelu(x) - x.
  std::vector<real> x(41), yp(41), xn(41), yn(41);
  for (int i = 0; i < 41; ++i) {
    x[i] = static_cast<real>(-5 + 0.25 * i);
    xn[i] = -x[i];
  }
  gelu_forward(yp.data(), x.data(), 41);
  gelu_forward(yn.data(), xn.data(), 41);
  for (int i = 0; i < 41; ++i) {
    const double xi = static_cast<double>(x[i]), ypi = static_cast<double>(yp[i]);
    EXPECT_NEAR(static_cast<double>(yn[i]), ypi - xi, 8 * kEps * (std::fabs(xi) + std::fabs(ypi))) << "x = " << xi;
  }
}

TEST(GeluTest, DerivativeAtZeroIsOneHalf) {
  // gelu'(x) = 0.5 (1 + T) + 0.5 x (1 - T^2) c (1 + 3 a x^2); at x = 0, T = 0: 0.5.
  const real x = 0, dy = 1;
  real dx = 0;
  gelu_backward(&dx, &dy, &x, 1);
  EXPECT_EQ(dx, real(0.5));
}

TEST(GeluTest, BackwardMatchesFiniteDifference) {
  // x on a grid over [-4, 4] (step 0.25, where the curvature lives) plus 16
  // random points; L = sum(gelu(x) * R).
  std::vector<real> x;
  for (int i = 0; i <= 32; ++i) x.push_back(static_cast<real>(-4 + 0.25 * i));
  for (real v : random_vector(16, 5, -3.0, 3.0)) x.push_back(v);
  const long n = static_cast<long>(x.size());
  std::vector<real> R = random_vector(n, 6), y(n), dx(n, 0);
  auto loss = [&] {
    gelu_forward(y.data(), x.data(), n);
    return dot(y.data(), R.data(), n);
  };
  gelu_backward(dx.data(), R.data(), x.data(), n);
  Worst w;
  for (long i = 0; i < n; ++i) w.add(i, dx[i], central_difference(&x[i], loss));
  expect_gradient_matches(w, "gelu dx");
}

TEST(GeluTest, BackwardAccumulates) {
  // dx starts at 1: the result is 1 + dy gelu'(x), i.e. the gradient is added.
  const real x = 0, dy = 2;
  real dx = 1;
  gelu_backward(&dx, &dy, &x, 1);
  EXPECT_EQ(dx, real(2));  // 1 + 2 * 0.5
}

// ---- LayerNorm ---------------------------------------------------------------

TEST(LayerNormTest, RowOneToFourWorkedByHand) {
  // x = [1, 2, 3, 4]: mean = 10 / 4 = 2.5;
  //   var = ((-1.5)^2 + (-0.5)^2 + 0.5^2 + 1.5^2) / 4 = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
  //   rstd = 1 / sqrt(1.25 + 1e-6) = 0.8944268332 (vs 1 / sqrt(1.25) = 0.8944271910)
  //   xhat = (x - 2.5) rstd = [-1.3416402498, -0.4472134166, 0.4472134166, 1.3416402498]
  // with g = [1, 2, 0.5, -1], beta = [0, 1, -1, 0.5]:
  //   y = xhat g + beta = [-1.3416402498, 0.1055731668, -0.7763932917, -0.8416402498]
  const real x[4] = {1, 2, 3, 4}, g[4] = {1, 2, 0.5, -1}, beta[4] = {0, 1, -1, 0.5};
  real y[4], mean, rstd;
  layernorm_forward(y, &mean, &rstd, x, g, beta, 1, 4);
  EXPECT_EQ(mean, real(2.5));
  const double s = 1.0 / std::sqrt(1.25 + 1e-6);
  EXPECT_NEAR(s, 0.8944268332, 1e-10);  // the hand value above
  EXPECT_NEAR(rstd, s, 4 * kEps * s);
  const double hand[4] = {-1.3416402498, 0.1055731668, -0.7763932917, -0.8416402498};
  for (int j = 0; j < 4; ++j) {
    const double xj = static_cast<double>(x[j]), gj = static_cast<double>(g[j]), bj = static_cast<double>(beta[j]);
    const double expected = (xj - 2.5) * s * gj + bj;
    EXPECT_NEAR(expected, hand[j], 1e-10);
    // A few roundings (mean, variance, rsqrt, product): 8 eps of the terms' scale.
    EXPECT_NEAR(y[j], expected, 8 * kEps * 2) << "j = " << j;
  }
}

TEST(LayerNormTest, EpsilonIsFlaxOneMinusSix) {
  // Row [0, 0.002]: mean 0.001, var = (1e-6 + 1e-6) / 2 = 1e-6, so with
  // eps = 1e-6: rstd = 1 / sqrt(2e-6) = 707.1067812, xhat = -+0.001 * 707.1 =
  // -+0.7071067812 (PyTorch's eps 1e-5 would give 301.5 and -+0.3015).
  // Constant row [3, 3, 3]: var 0, rstd = 1 / sqrt(1e-6) = 1000, xhat = 0, y = beta.
  const real x1[2] = {0, real(0.002)}, g1[2] = {1, 1}, b1[2] = {0, 0};
  real y1[2], m1, r1;
  layernorm_forward(y1, &m1, &r1, x1, g1, b1, 1, 2);
  // Float: 0.002 is not representable; its rounding (relative 3e-8) enters
  // var twice, so allow 1e-6 relative.
  EXPECT_NEAR(r1, 707.1067811865476, 707.1 * std::max(1e-6, 8 * kEps));
  EXPECT_NEAR(y1[0], -0.7071067811865476, std::max(1e-6, 8 * kEps));
  EXPECT_NEAR(y1[1], 0.7071067811865476, std::max(1e-6, 8 * kEps));
  const real x2[3] = {3, 3, 3}, g2[3] = {2, 2, 2}, b2[3] = {0.25, -1, 4};
  real y2[3], m2, r2;
  layernorm_forward(y2, &m2, &r2, x2, g2, b2, 1, 3);
  EXPECT_NEAR(r2, 1000.0, 1000.0 * 4 * kEps);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(y2[j], b2[j]);
}

TEST(LayerNormTest, RowsAreNormalisedIndependently) {
  // Two rows, scale 1, bias 0: each output row has mean 0 and population
  // variance var / (var + eps), here with var >= 1 so within 1e-6 of 1.
  const real x[8] = {1, 2, 3, 4, -10, 0, 10, 40};
  const real g[4] = {1, 1, 1, 1}, beta[4] = {0, 0, 0, 0};
  real y[8], mean[2], rstd[2];
  layernorm_forward(y, mean, rstd, x, g, beta, 2, 4);
  EXPECT_EQ(mean[1], real(10));  // (-10 + 0 + 10 + 40) / 4
  for (int r = 0; r < 2; ++r) {
    double m = 0, v = 0;
    for (int j = 0; j < 4; ++j) m += static_cast<double>(y[r * 4 + j]);
    m /= 4;
    for (int j = 0; j < 4; ++j) v += (static_cast<double>(y[r * 4 + j]) - m) * (static_cast<double>(y[r * 4 + j]) - m);
    v /= 4;
    EXPECT_NEAR(m, 0.0, 16 * kEps) << "row " << r;
    EXPECT_NEAR(v, 1.0, 1e-6 + 16 * kEps) << "row " << r;
  }
}

TEST(LayerNormTest, BackwardMatchesFiniteDifference) {
  // x (3, 5), g around 1, beta random; L = sum(y * R). Rows of x spread over
  // different scales so rstd differs per row.
  const int M = 3, N = 5;
  std::vector<real> x = random_vector(M * N, 7, -2.0, 2.0), g = random_vector(N, 8, 0.5, 1.5),
                    beta = random_vector(N, 9), R = random_vector(M * N, 10), y(M * N), mean(M), rstd(M);
  for (int j = 0; j < N; ++j) x[2 * N + j] = static_cast<real>(static_cast<double>(x[2 * N + j]) * 0.3 + 1.0);
  auto loss = [&] {
    layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(), g.data(), beta.data(), M, N);
    return dot(y.data(), R.data(), M * N);
  };
  loss();  // fills mean and rstd for the backward
  std::vector<real> dx(M * N, 0), dg(N, 0), dbeta(N, 0);
  layernorm_backward(dx.data(), dg.data(), dbeta.data(), R.data(), x.data(), mean.data(), rstd.data(), g.data(), M,
                     N);
  Worst wx, wg, wb;
  for (int i = 0; i < M * N; ++i) wx.add(i, dx[i], central_difference(&x[i], loss));
  for (int i = 0; i < N; ++i) wg.add(i, dg[i], central_difference(&g[i], loss));
  for (int i = 0; i < N; ++i) wb.add(i, dbeta[i], central_difference(&beta[i], loss));
  expect_gradient_matches(wx, "layernorm dx");
  expect_gradient_matches(wg, "layernorm dscale");
  expect_gradient_matches(wb, "layernorm dbias");
}

TEST(LayerNormTest, InputOnlyBackwardGivesSameInputGradient) {
  // dg = dbeta = null is the input-only path; dx must be bit-identical.
  const int M = 2, N = 7;
  std::vector<real> x = random_vector(M * N, 11, -2.0, 2.0), g = random_vector(N, 12, 0.5, 1.5),
                    beta = random_vector(N, 13), dy = random_vector(M * N, 14), y(M * N), mean(M), rstd(M);
  layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(), g.data(), beta.data(), M, N);
  std::vector<real> dx_full(M * N, 0), dx_in(M * N, 0), dg(N, 0), dbeta(N, 0);
  layernorm_backward(dx_full.data(), dg.data(), dbeta.data(), dy.data(), x.data(), mean.data(), rstd.data(), g.data(),
                     M, N);
  layernorm_backward(dx_in.data(), nullptr, nullptr, dy.data(), x.data(), mean.data(), rstd.data(), g.data(), M, N);
  for (int i = 0; i < M * N; ++i) EXPECT_EQ(dx_in[i], dx_full[i]) << "element " << i;
}

TEST(LayerNormTest, BackwardAccumulates) {
  // Starting from dx = dx1 (the first call's result), a second call gives 2 dx1.
  // Each element is one final `+=` of a value computed identically both times,
  // so the doubling is exact.
  const int M = 2, N = 5;
  std::vector<real> x = random_vector(M * N, 15, -2.0, 2.0), g = random_vector(N, 16, 0.5, 1.5),
                    beta = random_vector(N, 17), dy = random_vector(M * N, 18), y(M * N), mean(M), rstd(M);
  layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(), g.data(), beta.data(), M, N);
  std::vector<real> dx(M * N, 0), dg(N, 0), dbeta(N, 0);
  layernorm_backward(dx.data(), dg.data(), dbeta.data(), dy.data(), x.data(), mean.data(), rstd.data(), g.data(), M,
                     N);
  const std::vector<real> dx1 = dx, dg1 = dg, db1 = dbeta;
  layernorm_backward(dx.data(), dg.data(), dbeta.data(), dy.data(), x.data(), mean.data(), rstd.data(), g.data(), M,
                     N);
  for (int i = 0; i < M * N; ++i) EXPECT_EQ(dx[i], 2 * dx1[i]) << "dx " << i;
  // dg and dbeta add one term per row straight into the running value, so the
  // second call computes (t1 + t2) + t1 + t2, not 2 (t1 + t2). With |dy| < 1
  // and |xhat| <= sqrt(N - 1) = 2, |t| <= 2 and every partial sum is <= 8:
  // four additions each err by <= u * 8 (u = eps / 2), i.e. < 8 eps (|dg1| + 4).
  for (int j = 0; j < N; ++j) {
    EXPECT_NEAR(dg[j], 2 * dg1[j], 8 * kEps * (std::fabs(static_cast<double>(dg1[j])) + 4)) << "dg " << j;
    EXPECT_NEAR(dbeta[j], 2 * db1[j], 8 * kEps * (std::fabs(static_cast<double>(db1[j])) + 4)) << "dbeta " << j;
  }
}

}  // namespace
}  // namespace rql
