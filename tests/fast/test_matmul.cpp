// test_matmul.cpp: the matrix products of matmul.h.
//
//   MatmulAnalyticTest     hand-worked 2x2 cases and identity matrices, exact,
//                          for both implementations (reference and fast).
//   MatmulEquivalenceTest  fast == reference over awkward shapes (every
//                          remainder path of matmul_fast.cpp), within a bound
//                          derived from the summation length; outputs are
//                          surrounded by guard cells that must stay untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "core/matmul.h"
#include "fast/matmul_fast.h"
#include "core/rng.h"
#include "fast/threads.h"

namespace rql {
namespace {

// ---------------------------------------------------------------- analytic --

// One implementation of the matmul.h contract.
struct Impl {
  const char* name;
  void (*forward)(real*, const real*, const real*, const real*, int, int, int);
  void (*backward_input)(real*, const real*, const real*, int, int, int);
  void (*backward_params)(real*, real*, const real*, const real*, int, int, int);
};

const Impl kImpls[] = {
    {"Reference", matmul_forward_ref, matmul_backward_input_ref, matmul_backward_params_ref},
    {"Fast", matmul_forward_fast, matmul_backward_input_fast, matmul_backward_params_fast},
};

class MatmulAnalyticTest : public ::testing::TestWithParam<Impl> {};

// X = [1 2; 3 4], W = [5 6; 7 8], b = [1 -1]
// X W = [1*5+2*7  1*6+2*8; 3*5+4*7  3*6+4*8] = [19 22; 43 50]
// Y = X W + b = [20 21; 44 49]   (small integers: exact in float and double)
TEST_P(MatmulAnalyticTest, ForwardTwoByTwoByHand) {
  const real X[4] = {1, 2, 3, 4}, W[4] = {5, 6, 7, 8}, b[2] = {1, -1};
  real Y[4] = {-7, -7, -7, -7};  // overwritten, not accumulated
  GetParam().forward(Y, X, W, b, 2, 2, 2);
  EXPECT_EQ(Y[0], 20);
  EXPECT_EQ(Y[1], 21);
  EXPECT_EQ(Y[2], 44);
  EXPECT_EQ(Y[3], 49);
  GetParam().forward(Y, X, W, nullptr, 2, 2, 2);  // no bias: X W
  EXPECT_EQ(Y[0], 19);
  EXPECT_EQ(Y[3], 50);
}

// dY = [1 2; 3 4], W = [5 6; 7 8]
// dY W^T = [1*5+2*6  1*7+2*8; 3*5+4*6  3*7+4*8] = [17 23; 39 53]
// dX starts at [1 1; 1 1] and accumulates: dX = [18 24; 40 54]
TEST_P(MatmulAnalyticTest, BackwardInputTwoByTwoByHand) {
  const real dY[4] = {1, 2, 3, 4}, W[4] = {5, 6, 7, 8};
  real dX[4] = {1, 1, 1, 1};
  GetParam().backward_input(dX, dY, W, 2, 2, 2);
  EXPECT_EQ(dX[0], 18);
  EXPECT_EQ(dX[1], 24);
  EXPECT_EQ(dX[2], 40);
  EXPECT_EQ(dX[3], 54);
}

// X = [1 2; 3 4], dY = [5 6; 7 8], X^T = [1 3; 2 4]
// X^T dY = [1*5+3*7  1*6+3*8; 2*5+4*7  2*6+4*8] = [26 30; 38 44]
// sum_rows(dY) = [5+7  6+8] = [12 14]
// dW starts at 1 and db at [0.5 -0.5]: dW = [27 31; 39 45], db = [12.5 13.5]
TEST_P(MatmulAnalyticTest, BackwardParamsTwoByTwoByHand) {
  const real X[4] = {1, 2, 3, 4}, dY[4] = {5, 6, 7, 8};
  real dW[4] = {1, 1, 1, 1}, db[2] = {real(0.5), real(-0.5)};
  GetParam().backward_params(dW, db, X, dY, 2, 2, 2);
  EXPECT_EQ(dW[0], 27);
  EXPECT_EQ(dW[1], 31);
  EXPECT_EQ(dW[2], 39);
  EXPECT_EQ(dW[3], 45);
  EXPECT_EQ(db[0], real(12.5));
  EXPECT_EQ(db[1], real(13.5));
  GetParam().backward_params(dW, nullptr, X, dY, 2, 2, 2);  // db null: dW alone
  EXPECT_EQ(dW[0], 53);
}

// With W = I (n x n): X W = X, dY W^T = dY, and (M = n) X = I gives X^T dY =
// dY, all exactly: every sum is one product by 1 plus products by 0. n = 37
// crosses a full vector, a half tile and a zero-padded tail column panel.
TEST_P(MatmulAnalyticTest, IdentityIsExact) {
  const int n = 37, m = 9;
  std::vector<real> I(n * n, real(0));
  for (int k = 0; k < n; ++k) I[k * n + k] = 1;
  std::vector<real> X(m * n);
  for (int i = 0; i < m * n; ++i) X[i] = real(0.25) * real(i % 17) - real(1.5);
  std::vector<real> Y(m * n), dX(m * n, real(0));
  GetParam().forward(Y.data(), X.data(), I.data(), nullptr, m, n, n);
  GetParam().backward_input(dX.data(), X.data(), I.data(), m, n, n);
  for (int i = 0; i < m * n; ++i) {
    ASSERT_EQ(Y[i], X[i]) << "forward, element " << i;
    ASSERT_EQ(dX[i], X[i]) << "backward_input, element " << i;
  }
  std::vector<real> dY(n * m), dW(n * m, real(0));
  for (int i = 0; i < n * m; ++i) dY[i] = real(i % 13) - real(6);
  GetParam().backward_params(dW.data(), nullptr, I.data(), dY.data(), n, n, m);
  for (int i = 0; i < n * m; ++i) ASSERT_EQ(dW[i], dY[i]) << "backward_params, element " << i;
}

void PrintTo(const Impl& impl, std::ostream* os) { *os << impl.name; }

INSTANTIATE_TEST_SUITE_P(MatmulBothImplementations, MatmulAnalyticTest, ::testing::ValuesIn(kImpls),
                         [](const ::testing::TestParamInfo<Impl>& impl) { return std::string(impl.param.name); });

// ------------------------------------------------------------- equivalence --

struct Shape {
  int M, K, N;
};

// Awkward shapes: ones, primes, one past a power of two, and RQL's own
// (batch 256 or 64 or 1; widths 38, 512, 64, 11, 8, 1). With AVX-512 floats
// a tile is 6 rows x 64 columns and a depth block is 128, so these cover
// row remainders 1..5, column panels of 64/32/16 and a padded tail, depth
// remainders, depth spanning several blocks (517, 257, 300), and the
// dot-product paths of matmul_fast.cpp (N = 1; K = 1; M < 8 in backward_input).
const Shape kShapes[] = {
    {1, 1, 1},     {3, 517, 5},   {257, 1, 3},  {1, 512, 512}, {256, 38, 512}, {17, 33, 65},
    {64, 64, 64},  {5, 7, 1},     {2, 3, 4},    {7, 129, 113}, {256, 512, 1},  {256, 11, 8},
    {1, 38, 512},  {13, 1, 257},  {6, 256, 96}, {31, 300, 47}, {64, 8, 11},    {1, 1, 100},
    {100, 1, 1},   {11, 250, 17}, {4, 2, 80},    {9, 70, 300},
};

void PrintTo(const Shape& s, std::ostream* os) { *os << s.M << "x" << s.K << "x" << s.N; }

// A vector with `kGuard` cells on each side, filled with a sentinel that a
// correct kernel never writes (out-of-bounds writes would change them).
constexpr int kGuard = 64;
constexpr real kSentinel = real(-12345.5);

struct Guarded {
  std::vector<real> cells;
  explicit Guarded(std::size_t n) : cells(n + 2 * kGuard, kSentinel) {}
  real* data() { return cells.data() + kGuard; }
  bool guards_intact() const {
    for (int i = 0; i < kGuard; ++i)
      if (cells[i] != kSentinel || cells[cells.size() - 1 - i] != kSentinel) return false;
    return true;
  }
};

std::vector<real> uniform(std::size_t n, Rng& rng) {
  std::vector<real> v(n);
  for (real& x : v) x = static_cast<real>(rng_range(rng, -1.0, 1.0));
  return v;
}

// Bound on |fast - ref| for one output element that is a sum of L terms
// t_1..t_L (L - 1 products and one initial value: bias, old gradient, or 0).
// Any order of recursive summation in precision u = eps/2, with or without
// FMA, satisfies |computed - exact| <= gamma_L * S, where
//   gamma_L = L u / (1 - L u)    and    S = sum_l |t_l|
// (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., eq. 3.5
// and the summation bound of section 4.2). Both kernels meet it, so
//   |fast - ref| <= 2 gamma_L S  ~=  L eps S.
// S is computed per element, in double, by the caller.
double tolerance(int L, double S) {
  const double u = double(std::numeric_limits<real>::epsilon()) / 2.0;
  const double gamma = L * u / (1.0 - L * u);
  return 2.0 * gamma * S;
}

class MatmulEquivalenceTest : public ::testing::TestWithParam<Shape> {
 protected:
  void SetUp() override { rng_ = rng_make(7, kStreamInit); }
  Rng rng_{};
};

// Compares fast against ref element by element; `S(i)` is the absolute sum of
// element i's terms and L its number of terms. Reports the worst element.
template <class AbsSum>
void expect_close(const real* fast, const real* ref, int n, int L, AbsSum S, const char* what) {
  int worst = -1;
  double worst_ratio = 0;
  for (int i = 0; i < n; ++i) {
    const double err = std::fabs(double(fast[i]) - double(ref[i]));
    const double tol = tolerance(L, S(i));
    const double ratio = tol > 0 ? err / tol : (err > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    if (worst < 0 || std::isnan(ratio) || ratio > worst_ratio) {
      worst = i;
      worst_ratio = ratio;
    }
  }
  if (n == 0) return;
  EXPECT_LE(worst_ratio, 1.0) << what << ": worst element " << worst << " fast " << fast[worst] << " ref "
                              << ref[worst] << " (|diff| / bound = " << worst_ratio << ")";
}

TEST_P(MatmulEquivalenceTest, ForwardMatchesReference) {
  const int M = GetParam().M, K = GetParam().K, N = GetParam().N;
  const std::vector<real> X = uniform(std::size_t(M) * K, rng_), W = uniform(std::size_t(K) * N, rng_),
                          b = uniform(N, rng_);
  for (const real* bias : {b.data(), static_cast<const real*>(nullptr)}) {
    Guarded ref(std::size_t(M) * N), fast(std::size_t(M) * N);
    matmul_forward_ref(ref.data(), X.data(), W.data(), bias, M, K, N);
    matmul_forward_fast(fast.data(), X.data(), W.data(), bias, M, K, N);
    // Y[i,j] = b[j] + sum_k X[i,k] W[k,j]: K + 1 terms.
    auto S = [&](int e) {
      const int i = e / N, j = e % N;
      double s = bias ? std::fabs(double(bias[j])) : 0.0;
      for (int k = 0; k < K; ++k) s += std::fabs(double(X[i * K + k]) * double(W[k * N + j]));
      return s;
    };
    expect_close(fast.data(), ref.data(), M * N, K + 1, S, bias ? "Y with bias" : "Y without bias");
    EXPECT_TRUE(fast.guards_intact()) << "wrote outside Y";
  }
}

TEST_P(MatmulEquivalenceTest, BackwardInputAccumulatesLikeReference) {
  const int M = GetParam().M, K = GetParam().K, N = GetParam().N;
  const std::vector<real> dY = uniform(std::size_t(M) * N, rng_), W = uniform(std::size_t(K) * N, rng_),
                          dX0 = uniform(std::size_t(M) * K, rng_);  // non-zero: must be added to
  Guarded ref(dX0.size()), fast(dX0.size());
  std::copy(dX0.begin(), dX0.end(), ref.data());
  std::copy(dX0.begin(), dX0.end(), fast.data());
  matmul_backward_input_ref(ref.data(), dY.data(), W.data(), M, K, N);
  matmul_backward_input_fast(fast.data(), dY.data(), W.data(), M, K, N);
  // dX[i,k] = dX0[i,k] + sum_j dY[i,j] W[k,j]: N + 1 terms.
  auto S = [&](int e) {
    const int i = e / K, k = e % K;
    double s = std::fabs(double(dX0[e]));
    for (int j = 0; j < N; ++j) s += std::fabs(double(dY[i * N + j]) * double(W[k * N + j]));
    return s;
  };
  expect_close(fast.data(), ref.data(), M * K, N + 1, S, "dX");
  EXPECT_TRUE(fast.guards_intact()) << "wrote outside dX";
}

TEST_P(MatmulEquivalenceTest, BackwardParamsAccumulatesLikeReference) {
  const int M = GetParam().M, K = GetParam().K, N = GetParam().N;
  const std::vector<real> X = uniform(std::size_t(M) * K, rng_), dY = uniform(std::size_t(M) * N, rng_),
                          dW0 = uniform(std::size_t(K) * N, rng_), db0 = uniform(N, rng_);
  for (const bool with_db : {true, false}) {
    Guarded ref(dW0.size()), fast(dW0.size()), ref_db(db0.size()), fast_db(db0.size());
    std::copy(dW0.begin(), dW0.end(), ref.data());
    std::copy(dW0.begin(), dW0.end(), fast.data());
    std::copy(db0.begin(), db0.end(), ref_db.data());
    std::copy(db0.begin(), db0.end(), fast_db.data());
    matmul_backward_params_ref(ref.data(), with_db ? ref_db.data() : nullptr, X.data(), dY.data(), M, K, N);
    matmul_backward_params_fast(fast.data(), with_db ? fast_db.data() : nullptr, X.data(), dY.data(), M, K, N);
    // dW[k,j] = dW0[k,j] + sum_i X[i,k] dY[i,j]: M + 1 terms.
    auto S = [&](int e) {
      const int k = e / N, j = e % N;
      double s = std::fabs(double(dW0[e]));
      for (int i = 0; i < M; ++i) s += std::fabs(double(X[i * K + k]) * double(dY[i * N + j]));
      return s;
    };
    expect_close(fast.data(), ref.data(), K * N, M + 1, S, "dW");
    EXPECT_TRUE(fast.guards_intact()) << "wrote outside dW";
    if (with_db) {
      // db[j] = db0[j] + sum_i dY[i,j]: M + 1 terms.
      auto Sb = [&](int j) {
        double s = std::fabs(double(db0[j]));
        for (int i = 0; i < M; ++i) s += std::fabs(double(dY[i * N + j]));
        return s;
      };
      expect_close(fast_db.data(), ref_db.data(), N, M + 1, Sb, "db");
    } else {
      for (int j = 0; j < N; ++j) ASSERT_EQ(fast_db.data()[j], db0[j]) << "db was null, yet db changed";
    }
    EXPECT_TRUE(fast_db.guards_intact()) << "wrote outside db";
  }
}

INSTANTIATE_TEST_SUITE_P(MatmulAwkwardShapes, MatmulEquivalenceTest, ::testing::ValuesIn(kShapes),
                         [](const ::testing::TestParamInfo<Shape>& shape) {
                           return "M" + std::to_string(shape.param.M) + "_K" + std::to_string(shape.param.K) + "_N" +
                                  std::to_string(shape.param.N);
                         });

// --------------------------------------------------------------- threaded --

class MatmulThreadedTest : public ::testing::TestWithParam<std::tuple<Shape, int>> {
 protected:
  void SetUp() override {
    rng_ = rng_make(11, kStreamInit);
    pool_start(pool_, std::get<1>(GetParam()));
  }
  Rng rng_{};
  ThreadPool pool_;
};

// All three products over the pool; backward_params sums per-thread partials
// (a different summation order: the same bound applies, it holds for any order).
TEST_P(MatmulThreadedTest, AllProductsMatchReference) {
  const Shape s = std::get<0>(GetParam());
  const int M = s.M, K = s.K, N = s.N;
  const std::vector<real> X = uniform(std::size_t(M) * K, rng_), W = uniform(std::size_t(K) * N, rng_),
                          dY = uniform(std::size_t(M) * N, rng_), b = uniform(N, rng_),
                          dX0 = uniform(std::size_t(M) * K, rng_), dW0 = uniform(std::size_t(K) * N, rng_),
                          db0 = uniform(N, rng_);
  std::vector<real> scratch(matmul_threaded_scratch_size(pool_.threads, K, N));

  Guarded y_ref(std::size_t(M) * N), y(std::size_t(M) * N);
  matmul_forward_ref(y_ref.data(), X.data(), W.data(), b.data(), M, K, N);
  matmul_forward_threaded(pool_, y.data(), X.data(), W.data(), b.data(), M, K, N);
  expect_close(y.data(), y_ref.data(), M * N, K + 1, [&](int e) {
    double t = std::fabs(double(b[e % N]));
    for (int k = 0; k < K; ++k) t += std::fabs(double(X[(e / N) * K + k]) * double(W[k * N + e % N]));
    return t;
  }, "Y");
  EXPECT_TRUE(y.guards_intact()) << "wrote outside Y";

  Guarded dx_ref(dX0.size()), dx(dX0.size());
  std::copy(dX0.begin(), dX0.end(), dx_ref.data());
  std::copy(dX0.begin(), dX0.end(), dx.data());
  matmul_backward_input_ref(dx_ref.data(), dY.data(), W.data(), M, K, N);
  matmul_backward_input_threaded(pool_, dx.data(), dY.data(), W.data(), M, K, N);
  expect_close(dx.data(), dx_ref.data(), M * K, N + 1, [&](int e) {
    double t = std::fabs(double(dX0[e]));
    for (int j = 0; j < N; ++j) t += std::fabs(double(dY[(e / K) * N + j]) * double(W[(e % K) * N + j]));
    return t;
  }, "dX");
  EXPECT_TRUE(dx.guards_intact()) << "wrote outside dX";

  Guarded dw_ref(dW0.size()), dw(dW0.size()), db_ref(db0.size()), db(db0.size());
  std::copy(dW0.begin(), dW0.end(), dw_ref.data());
  std::copy(dW0.begin(), dW0.end(), dw.data());
  std::copy(db0.begin(), db0.end(), db_ref.data());
  std::copy(db0.begin(), db0.end(), db.data());
  matmul_backward_params_ref(dw_ref.data(), db_ref.data(), X.data(), dY.data(), M, K, N);
  matmul_backward_params_threaded(pool_, dw.data(), db.data(), X.data(), dY.data(), M, K, N, scratch.data());
  expect_close(dw.data(), dw_ref.data(), K * N, M + 1, [&](int e) {
    double t = std::fabs(double(dW0[e]));
    for (int i = 0; i < M; ++i) t += std::fabs(double(X[i * K + e / N]) * double(dY[i * N + e % N]));
    return t;
  }, "dW");
  expect_close(db.data(), db_ref.data(), N, M + 1, [&](int j) {
    double t = std::fabs(double(db0[j]));
    for (int i = 0; i < M; ++i) t += std::fabs(double(dY[i * N + j]));
    return t;
  }, "db");
  EXPECT_TRUE(dw.guards_intact() && db.guards_intact()) << "wrote outside dW or db";
}

// split_rows covers [0, rows) with disjoint ranges, in order, tile-aligned.
TEST(MatmulThreadedSplitTest, RangesTileTheRows) {
  for (int rows : {0, 1, 5, 6, 7, 64, 256, 257})
    for (int parts : {1, 2, 3, 4}) {
      int next = 0;
      for (int part = 0; part < parts; ++part) {
        int begin = -1, end = -1;
        split_rows(rows, part, parts, begin, end);
        EXPECT_EQ(begin, next) << rows << " rows, part " << part << " of " << parts;
        EXPECT_LE(begin, end);
        if (end < rows) {
          EXPECT_EQ((end - begin) % 6, 0) << "a part other than the last ends mid-tile";
        }
        next = end;
      }
      EXPECT_EQ(next, rows) << rows << " rows in " << parts << " parts";
    }
}

INSTANTIATE_TEST_SUITE_P(MatmulAwkwardShapesAndThreads, MatmulThreadedTest,
                         ::testing::Combine(::testing::ValuesIn(kShapes), ::testing::Values(1, 2, 3)),
                         [](const ::testing::TestParamInfo<std::tuple<Shape, int>>& param) {
                           const Shape s = std::get<0>(param.param);
                           return "M" + std::to_string(s.M) + "_K" + std::to_string(s.K) + "_N" +
                                  std::to_string(s.N) + "_T" + std::to_string(std::get<1>(param.param));
                         });

}  // namespace
}  // namespace rql
