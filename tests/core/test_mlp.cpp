// test_mlp.cpp: the MLP of docs/spec.md §1 (src/mlp.h): shape validation, the tensor
// table of docs/spec.md §8 (names, shapes, contiguous offsets), the parameter views,
// initialisation, a forward worked by hand, the full backward against
// central differences (every parameter and every input, with and without
// LayerNorm), and the input-only backward (the stop-gradient path).
// tests/gradient_check.h states the error measure and the per-build bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/gradient_check.h"
#include "core/layers.h"
#include "core/mlp.h"
#include "core/rng.h"

namespace rql {
namespace {

using gradcheck::central_difference;
using gradcheck::dot;
using gradcheck::expect_gradient_matches;
using gradcheck::random_vector;
using gradcheck::Worst;

constexpr double kEps = std::numeric_limits<real>::epsilon();
const double kPi = std::acos(-1.0);

MlpShape make_shape(int in_dim, std::vector<int> hidden, int out_dim, bool layer_norm, int members = 1,
                    bool ensemble_axis = false) {
  MlpShape s;
  const bool ok = mlp_shape_make(&s, in_dim, hidden.data(), static_cast<int>(hidden.size()), out_dim, layer_norm,
                                 members, ensemble_axis);
  EXPECT_TRUE(ok);
  return s;
}

struct Expected {
  const char* name;
  long offset, size;
  int rank;
  int shape[3];
};

void expect_table(const MlpShape& s, const std::vector<Expected>& e) {
  ASSERT_EQ(mlp_tensor_count(s), static_cast<int>(e.size()));
  for (int i = 0; i < static_cast<int>(e.size()); ++i) {
    const MlpTensor t = mlp_tensor(s, i);
    EXPECT_STREQ(t.name, e[i].name) << "tensor " << i;
    EXPECT_EQ(t.offset, e[i].offset) << e[i].name;
    EXPECT_EQ(t.size, e[i].size) << e[i].name;
    ASSERT_EQ(t.rank, e[i].rank) << e[i].name;
    for (int r = 0; r < t.rank; ++r) EXPECT_EQ(t.shape[r], e[i].shape[r]) << e[i].name << " axis " << r;
  }
}

// ---- shapes and layout -------------------------------------------------------

TEST(MlpTest, ShapeMakeAppendsOutputLayer) {
  // hidden {5, 7}, out 3 -> dims {5, 7, 3}: three Dense layers.
  const int hidden[2] = {5, 7};
  MlpShape s;
  ASSERT_TRUE(mlp_shape_make(&s, 4, hidden, 2, 3, true, 1, false));
  EXPECT_EQ(s.in_dim, 4);
  EXPECT_EQ(s.n_layers, 3);
  EXPECT_EQ(s.dims[0], 5);
  EXPECT_EQ(s.dims[1], 7);
  EXPECT_EQ(s.dims[2], 3);
  EXPECT_TRUE(s.layer_norm);
  EXPECT_EQ(mlp_out_dim(s), 3);
  EXPECT_EQ(mlp_max_width(s), 7);
  // No hidden layer: a single Dense (a linear model); hidden may be null.
  ASSERT_TRUE(mlp_shape_make(&s, 4, nullptr, 0, 2, false, 1, false));
  EXPECT_EQ(s.n_layers, 1);
  EXPECT_EQ(s.dims[0], 2);
  // kMaxLayers Dense layers in all (kMaxLayers - 1 hidden) is the largest allowed.
  std::vector<int> many(kMaxLayers - 1, 3);
  ASSERT_TRUE(mlp_shape_make(&s, 2, many.data(), kMaxLayers - 1, 1, false, 1, false));
  EXPECT_EQ(s.n_layers, kMaxLayers);
}

TEST(MlpTest, ShapeMakeRejectsBadShapesAndLeavesShapeUntouched) {
  MlpShape s;
  s.in_dim = 99;  // a marker: rejected calls must not write
  s.n_layers = 2;
  s.dims[0] = 42;
  const int good[2] = {5, 7}, zero[2] = {5, 0}, negative[2] = {-1, 7};
  std::vector<int> too_many(kMaxLayers, 3);
  EXPECT_FALSE(mlp_shape_make(&s, 0, good, 2, 3, false, 1, false));    // in_dim < 1
  EXPECT_FALSE(mlp_shape_make(&s, 4, good, 2, 0, false, 1, false));    // out_dim < 1
  EXPECT_FALSE(mlp_shape_make(&s, 4, zero, 2, 3, false, 1, false));    // hidden width 0
  EXPECT_FALSE(mlp_shape_make(&s, 4, negative, 2, 3, false, 1, false));
  EXPECT_FALSE(mlp_shape_make(&s, 4, good, 2, 3, false, 0, true));     // K = 0 members
  EXPECT_FALSE(mlp_shape_make(&s, 4, good, -1, 3, false, 1, false));   // negative layer count
  EXPECT_FALSE(mlp_shape_make(&s, 4, too_many.data(), kMaxLayers, 3, false, 1, false));  // 17 layers > 16
  EXPECT_EQ(s.in_dim, 99);
  EXPECT_EQ(s.n_layers, 2);
  EXPECT_EQ(s.dims[0], 42);
}

TEST(MlpTest, ActorTensorTableMatchesSpec8) {
  // Actor-like net (no ensemble axis): in 4, hidden {5, 7}, out 3.
  // Without LayerNorm, per layer kernel [in, out] then bias [out]:
  //   dense0.kernel [4,5] at 0  (20), dense0.bias [5] at 20,
  //   dense1.kernel [5,7] at 25 (35), dense1.bias [7] at 60,
  //   dense2.kernel [7,3] at 67 (21), dense2.bias [3] at 88;   total 91.
  const MlpShape plain = make_shape(4, {5, 7}, 3, false);
  expect_table(plain, {{"dense0.kernel", 0, 20, 2, {4, 5}},
                       {"dense0.bias", 20, 5, 1, {5}},
                       {"dense1.kernel", 25, 35, 2, {5, 7}},
                       {"dense1.bias", 60, 7, 1, {7}},
                       {"dense2.kernel", 67, 21, 2, {7, 3}},
                       {"dense2.bias", 88, 3, 1, {3}}});
  EXPECT_EQ(mlp_param_count(plain), 91);
  // With LayerNorm after each hidden GELU (none after the output layer):
  //   dense0.kernel [4,5] at 0, dense0.bias [5] at 20, ln0.scale [5] at 25,
  //   ln0.bias [5] at 30, dense1.kernel [5,7] at 35, dense1.bias [7] at 70,
  //   ln1.scale [7] at 77, ln1.bias [7] at 84, dense2.kernel [7,3] at 91,
  //   dense2.bias [3] at 112;  total 115.
  const MlpShape ln = make_shape(4, {5, 7}, 3, true);
  expect_table(ln, {{"dense0.kernel", 0, 20, 2, {4, 5}},
                    {"dense0.bias", 20, 5, 1, {5}},
                    {"ln0.scale", 25, 5, 1, {5}},
                    {"ln0.bias", 30, 5, 1, {5}},
                    {"dense1.kernel", 35, 35, 2, {5, 7}},
                    {"dense1.bias", 70, 7, 1, {7}},
                    {"ln1.scale", 77, 7, 1, {7}},
                    {"ln1.bias", 84, 7, 1, {7}},
                    {"dense2.kernel", 91, 21, 2, {7, 3}},
                    {"dense2.bias", 112, 3, 1, {3}}});
  EXPECT_EQ(mlp_param_count(ln), 115);
}

TEST(MlpTest, ValueTensorTableHasLeadingEnsembleAxis) {
  // Value net: in 6, hidden {5, 7}, out 1, LayerNorm, K = 3 with the K axis.
  // Every tensor holds all members: size = 3 * member size.
  //   dense0.kernel [3,6,5] at 0 (90), dense0.bias [3,5] at 90 (15),
  //   ln0.scale [3,5] at 105, ln0.bias [3,5] at 120,
  //   dense1.kernel [3,5,7] at 135 (105), dense1.bias [3,7] at 240 (21),
  //   ln1.scale [3,7] at 261, ln1.bias [3,7] at 282,
  //   dense2.kernel [3,7,1] at 303 (21), dense2.bias [3,1] at 324 (3); total 327.
  const MlpShape v3 = make_shape(6, {5, 7}, 1, true, 3, true);
  expect_table(v3, {{"dense0.kernel", 0, 90, 3, {3, 6, 5}},
                    {"dense0.bias", 90, 15, 2, {3, 5}},
                    {"ln0.scale", 105, 15, 2, {3, 5}},
                    {"ln0.bias", 120, 15, 2, {3, 5}},
                    {"dense1.kernel", 135, 105, 3, {3, 5, 7}},
                    {"dense1.bias", 240, 21, 2, {3, 7}},
                    {"ln1.scale", 261, 21, 2, {3, 7}},
                    {"ln1.bias", 282, 21, 2, {3, 7}},
                    {"dense2.kernel", 303, 21, 3, {3, 7, 1}},
                    {"dense2.bias", 324, 3, 2, {3, 1}}});
  EXPECT_EQ(mlp_param_count(v3), 327);
  // K = 1 keeps the axis (docs/spec.md §7: one member, not the official no-axis quirk).
  const MlpShape v1 = make_shape(6, {5}, 1, false, 1, true);
  expect_table(v1, {{"dense0.kernel", 0, 30, 3, {1, 6, 5}},
                    {"dense0.bias", 30, 5, 2, {1, 5}},
                    {"dense1.kernel", 35, 5, 3, {1, 5, 1}},
                    {"dense1.bias", 40, 1, 2, {1, 1}}});
  EXPECT_EQ(mlp_param_count(v1), 41);
}

TEST(MlpTest, TensorsAreContiguousAndSumToParamCount) {
  const MlpShape shapes[] = {make_shape(4, {5, 7}, 3, false), make_shape(4, {5, 7}, 3, true),
                             make_shape(38, {512, 512, 512, 512}, 15, false),
                             make_shape(53, {512, 512, 512, 512}, 1, true, 10, true),
                             make_shape(3, {}, 2, true, 2, true)};
  for (const MlpShape& s : shapes) {
    long next = 0;
    for (int i = 0; i < mlp_tensor_count(s); ++i) {
      const MlpTensor t = mlp_tensor(s, i);
      EXPECT_EQ(t.offset, next) << t.name;
      long product = 1;
      for (int r = 0; r < t.rank; ++r) product *= t.shape[r];
      EXPECT_EQ(product, t.size) << t.name;
      next = t.offset + t.size;
    }
    EXPECT_EQ(next, mlp_param_count(s));
  }
  // The default value net by hand: in 53, 4 x 512 hidden, K = 10, LayerNorm.
  //   kernels 53*512 + 3 * 512*512 + 512*1 = 27136 + 786432 + 512 = 814080
  //   biases 4 * 512 + 1 = 2049; LN 4 * 2 * 512 = 4096
  //   per member 820225, times 10 = 8202250.
  EXPECT_EQ(mlp_param_count(shapes[3]), 8202250);
}

TEST(MlpTest, ViewsPointAtTheirTensorsMemberSlice) {
  // Member k's view of a tensor starts at offset + k * (size / K).
  const MlpShape s = make_shape(6, {5, 7}, 1, true, 3, true);
  std::vector<real> block(mlp_param_count(s));
  for (int k = 0; k < 3; ++k) {
    const MlpParams p = mlp_params(s, block.data(), k);
    const MlpGrads g = mlp_grads(s, block.data(), k);
    for (int i = 0; i < mlp_tensor_count(s); ++i) {
      const MlpTensor t = mlp_tensor(s, i);
      const real* expected = block.data() + t.offset + k * (t.size / 3);
      const std::string name = t.name;
      const int layer = name[0] == 'd' ? name[5] - '0' : name[2] - '0';  // single-digit layers here
      const real* got = nullptr;
      real* got_grad = nullptr;
      if (name.find("kernel") != std::string::npos) got = p.W[layer], got_grad = g.W[layer];
      else if (name.rfind("dense", 0) == 0) got = p.b[layer], got_grad = g.b[layer];
      else if (name.find("scale") != std::string::npos) got = p.g[layer], got_grad = g.g[layer];
      else got = p.beta[layer], got_grad = g.beta[layer];
      EXPECT_EQ(got, expected) << name << " member " << k;
      EXPECT_EQ(got_grad, expected) << name << " member " << k;
    }
    // No LayerNorm after the output layer.
    EXPECT_EQ(p.g[2], nullptr);
    EXPECT_EQ(p.beta[2], nullptr);
  }
}

// ---- initialisation ----------------------------------------------------------

TEST(MlpTest, InitGivesGlorotKernelsZeroBiasesUnitLayerNorm) {
  // Biases 0, LayerNorm scale 1 and bias 0 (docs/spec.md §1), kernels inside their own
  // layer's Glorot limit and not all zero.
  const MlpShape s = make_shape(6, {5, 7}, 1, true, 3, true);
  std::vector<real> block(mlp_param_count(s), real(-77));
  Rng rng = rng_make(3, kStreamInit);
  mlp_init(s, block.data(), rng);
  for (int i = 0; i < mlp_tensor_count(s); ++i) {
    const MlpTensor t = mlp_tensor(s, i);
    const std::string name = t.name;
    if (name.find("kernel") != std::string::npos) {
      const double l = glorot_limit(t.shape[1], t.shape[2]);  // (K, in, out)
      double max_abs = 0;
      for (long j = 0; j < t.size; ++j) {
        const double w = block[t.offset + j];
        EXPECT_LE(std::fabs(w), static_cast<double>(static_cast<real>(l))) << name << " " << j;
        max_abs = std::fmax(max_abs, std::fabs(w));
      }
      EXPECT_GT(max_abs, 0.25 * l) << name;  // 15+ draws of U(-l, l) all below l/4: P < 0.25^15
    } else {
      const real expected = name.find("scale") != std::string::npos ? real(1) : real(0);
      for (long j = 0; j < t.size; ++j) EXPECT_EQ(block[t.offset + j], expected) << name << " " << j;
    }
  }
}

TEST(MlpTest, InitFillsMembersOneAfterAnother) {
  // mlp_init's contract: member 0 is initialised entirely (layer by layer),
  // then member 1 from the same stream, and so on. So a K = 3 block equals
  // three K = 1 nets initialised in turn from one stream, slice by slice.
  const MlpShape s3 = make_shape(6, {5, 7}, 1, true, 3, true);
  const MlpShape s1 = make_shape(6, {5, 7}, 1, true, 1, true);
  std::vector<real> block(mlp_param_count(s3));
  Rng rng = rng_make(3, kStreamInit), ref = rng_make(3, kStreamInit);
  mlp_init(s3, block.data(), rng);
  for (int k = 0; k < 3; ++k) {
    std::vector<real> single(mlp_param_count(s1));
    mlp_init(s1, single.data(), ref);
    for (int i = 0; i < mlp_tensor_count(s3); ++i) {
      const MlpTensor t3 = mlp_tensor(s3, i), t1 = mlp_tensor(s1, i);
      for (long j = 0; j < t1.size; ++j)
        ASSERT_EQ(block[t3.offset + k * t1.size + j], single[t1.offset + j]) << t3.name << " member " << k;
    }
  }
  // ... and the first kernel equals dense_init's draws from a fresh stream.
  Rng fresh = rng_make(3, kStreamInit);
  std::vector<real> W(6 * 5), b(5);
  dense_init(W.data(), b.data(), 6, 5, fresh);
  for (int j = 0; j < 30; ++j) EXPECT_EQ(block[j], W[j]) << "dense0.kernel[0] element " << j;
}

// ---- forward -----------------------------------------------------------------

struct Net {
  MlpShape s;
  std::vector<real> block, cache, scratch;
  Net(const MlpShape& shape, int B) : s(shape), block(mlp_param_count(shape)) {
    cache.resize(mlp_cache_size(shape, B));
    scratch.resize(mlp_scratch_size(shape, B));
  }
};

TEST(MlpTest, ForwardWorkedByHand) {
  // in 2, hidden {2}, out 1.  x = [1, -1], W0 = [[1, 2], [0, 1]], b0 = [0, -1]:
  //   z0 = [1*1 + (-1)*0 + 0, 1*2 + (-1)*1 - 1] = [1, 0]
  //   a0 = gelu(z0) = [0.8411919906, 0]     (gelu(1) as in GeluTest)
  // Without LayerNorm, W1 = [[2], [3]], b1 = [0.5]:
  //   y = 2 * 0.8411919906 + 3 * 0 + 0.5 = 2.1823839812
  // With LayerNorm (scale [1, 1], bias [0, 0]) on a0 = [G, 0], G = gelu(1):
  //   mean G/2, var (G/2)^2, n = [+1, -1] * (G/2) / sqrt((G/2)^2 + 1e-6)
  //   = +-0.4205959953 / 0.4205971841 = +-0.9999971736
  //   y = 2 * 0.9999971736 - 3 * 0.9999971736 + 0.5 = -0.4999971736
  const real x[2] = {1, -1};
  const double G = 0.5 * (1 + std::tanh(std::sqrt(2 / kPi) * 1.044715));  // gelu(1)
  for (bool ln : {false, true}) {
    Net net(make_shape(2, {2}, 1, ln), 1);
    const MlpGrads v = mlp_grads(net.s, net.block.data(), 0);
    const real W0[4] = {1, 2, 0, 1}, b0[2] = {0, -1}, W1[2] = {2, 3}, b1[1] = {0.5};
    std::memcpy(v.W[0], W0, sizeof W0);
    std::memcpy(v.b[0], b0, sizeof b0);
    std::memcpy(v.W[1], W1, sizeof W1);
    std::memcpy(v.b[1], b1, sizeof b1);
    if (ln) {
      v.g[0][0] = v.g[0][1] = 1;
      v.beta[0][0] = v.beta[0][1] = 0;
    }
    const real* y = mlp_forward(net.s, mlp_params(net.s, net.block.data(), 0), x, 1, net.cache.data());
    if (!ln) {
      EXPECT_NEAR(2 * G + 0.5, 2.1823839812, 1e-10);
      EXPECT_NEAR(y[0], 2 * G + 0.5, 16 * kEps * 2.2) << "without LayerNorm";
    } else {
      const double n = (G / 2) / std::sqrt((G / 2) * (G / 2) + 1e-6);
      EXPECT_NEAR(n, 0.9999971736, 1e-10);
      EXPECT_NEAR(-n + 0.5, -0.4999971736, 1e-10);
      EXPECT_NEAR(y[0], -n + 0.5, 16 * kEps * 3) << "with LayerNorm";
    }
  }
}

TEST(MlpTest, ZeroKernelsGiveOutputBias) {
  // With every kernel 0, each layer outputs its bias: hidden GELU(b) feeds a
  // zero kernel, so y = b_out exactly, for every row and any input.
  Net net(make_shape(3, {5, 7}, 2, true), 4);
  std::fill(net.block.begin(), net.block.end(), real(0));
  const MlpGrads v = mlp_grads(net.s, net.block.data(), 0);
  v.b[0][0] = 3;  // hidden biases do not reach the output
  v.b[2][0] = real(0.25);
  v.b[2][1] = real(-1.5);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < net.s.dims[i]; ++j) v.g[i][j] = 1;
  const std::vector<real> x = random_vector(4 * 3, 21);
  const real* y = mlp_forward(net.s, mlp_params(net.s, net.block.data(), 0), x.data(), 4, net.cache.data());
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(y[r * 2 + 0], real(0.25));
    EXPECT_EQ(y[r * 2 + 1], real(-1.5));
  }
}

TEST(MlpTest, ForwardAndBackwardStayInsideSizedBuffers) {
  // The cache and scratch sizes are exact contracts: fill guard cells past
  // each buffer and check that forward and backward never write them.
  const MlpShape s = make_shape(4, {5, 7, 3}, 2, true);
  const int B = 5, guard = 64;
  const real kGuard = real(-12345.5);
  std::vector<real> block(mlp_param_count(s)), grads(mlp_param_count(s), 0);
  Rng rng = rng_make(4, kStreamInit);
  mlp_init(s, block.data(), rng);
  std::vector<real> cache(mlp_cache_size(s, B) + guard, kGuard), scratch(mlp_scratch_size(s, B) + guard, kGuard);
  const std::vector<real> x = random_vector(B * 4, 22), dy = random_vector(B * 2, 23);
  std::vector<real> dx(B * 4, 0);
  const MlpParams p = mlp_params(s, block.data(), 0);
  mlp_forward(s, p, x.data(), B, cache.data());
  mlp_backward(s, p, mlp_grads(s, grads.data(), 0), x.data(), B, cache.data(), dy.data(), dx.data(), scratch.data());
  mlp_backward_input(s, p, x.data(), B, cache.data(), dy.data(), dx.data(), scratch.data());
  for (int i = 0; i < guard; ++i) {
    EXPECT_EQ(cache[mlp_cache_size(s, B) + i], kGuard) << "cache guard " << i;
    EXPECT_EQ(scratch[mlp_scratch_size(s, B) + i], kGuard) << "scratch guard " << i;
  }
}

// ---- backward ----------------------------------------------------------------

// Full-backward check on one configuration: every parameter and every input
// element against central differences of L = sum(y * R).
void check_mlp_gradients(const std::string& label, const MlpShape& s, int B, uint64_t seed) {
  std::vector<real> block(mlp_param_count(s));
  Rng rng = rng_make(seed, kStreamInit);
  mlp_init(s, block.data(), rng);
  // Move biases and LayerNorm parameters off their init values (0 and 1) so
  // every term of the backward is exercised.
  for (int i = 0; i < mlp_tensor_count(s); ++i) {
    const MlpTensor t = mlp_tensor(s, i);
    if (std::strstr(t.name, "kernel")) continue;
    const std::vector<real> r = random_vector(t.size, seed * 100 + i, -0.5, 0.5);
    for (long j = 0; j < t.size; ++j) block[t.offset + j] += r[j];
  }
  std::vector<real> x = random_vector(static_cast<long>(B) * s.in_dim, seed + 1, -2.0, 2.0);
  const std::vector<real> R = random_vector(static_cast<long>(B) * mlp_out_dim(s), seed + 2);
  std::vector<real> cache(mlp_cache_size(s, B)), scratch(mlp_scratch_size(s, B));
  auto loss = [&] {
    const real* y = mlp_forward(s, mlp_params(s, block.data(), 0), x.data(), B, cache.data());
    return dot(y, R.data(), static_cast<long>(B) * mlp_out_dim(s));
  };
  // The check point must be well conditioned (tests/gradient_check.h).
  ASSERT_LE(gradcheck::max_layernorm_rstd(s, block.data(), x.data(), B), gradcheck::kMaxLayerNormRstd)
      << label << ": a LayerNorm row is nearly constant at this seed; finite differences are ill-conditioned there";
  loss();
  std::vector<real> dblock(block.size(), 0), dx(x.size(), 0);
  mlp_backward(s, mlp_params(s, block.data(), 0), mlp_grads(s, dblock.data(), 0), x.data(), B, cache.data(),
               R.data(), dx.data(), scratch.data());
  for (int i = 0; i < mlp_tensor_count(s); ++i) {
    const MlpTensor t = mlp_tensor(s, i);
    Worst w;
    for (long j = 0; j < t.size; ++j) w.add(j, dblock[t.offset + j], central_difference(&block[t.offset + j], loss));
    expect_gradient_matches(w, label + "/" + t.name);
  }
  Worst wx;
  for (size_t j = 0; j < x.size(); ++j) wx.add(static_cast<long>(j), dx[j], central_difference(&x[j], loss));
  expect_gradient_matches(wx, label + "/dx");
}

TEST(MlpTest, BackwardMatchesFiniteDifferenceWithoutLayerNorm) {
  check_mlp_gradients("4-5-7-3", make_shape(4, {5, 7}, 3, false), 3, 31);
  check_mlp_gradients("3-7-5-3-2", make_shape(3, {7, 5, 3}, 2, false), 4, 32);
}

TEST(MlpTest, BackwardMatchesFiniteDifferenceWithLayerNorm) {
  check_mlp_gradients("4-5-7-3-ln", make_shape(4, {5, 7}, 3, true), 3, 33);
  check_mlp_gradients("3-7-5-3-2-ln", make_shape(3, {7, 5, 3}, 2, true), 4, 34);
}

TEST(MlpTest, InputOnlyBackwardEqualsFullInputGradientAndTouchesNoParameterGradient) {
  for (bool ln : {false, true}) {
    const MlpShape s = make_shape(4, {5, 7}, 3, ln);
    const int B = 3;
    std::vector<real> block(mlp_param_count(s));
    Rng rng = rng_make(40, kStreamInit);
    mlp_init(s, block.data(), rng);
    const std::vector<real> block_before = block;
    const std::vector<real> x = random_vector(B * 4, 41, -2.0, 2.0), dy = random_vector(B * 3, 42);
    std::vector<real> cache(mlp_cache_size(s, B)), scratch(mlp_scratch_size(s, B));
    const MlpParams p = mlp_params(s, block.data(), 0);
    mlp_forward(s, p, x.data(), B, cache.data());
    const std::vector<real> cache_before = cache;
    // Full backward into zeroed buffers.
    std::vector<real> dblock(block.size(), 0), dx_full(x.size(), 0);
    mlp_backward(s, p, mlp_grads(s, dblock.data(), 0), x.data(), B, cache.data(), dy.data(), dx_full.data(),
                 scratch.data());
    // Input-only backward, with a sentinel-filled gradient block beside it.
    const real kSentinel = real(-777.25);
    std::vector<real> sentinel(block.size(), kSentinel), dx_in(x.size(), 0);
    mlp_backward_input(s, p, x.data(), B, cache.data(), dy.data(), dx_in.data(), scratch.data());
    // Same arithmetic path (one shared routine, parameter products skipped):
    // the input gradient is bit-identical, not merely close. (This relies on
    // the library being built without FMA contraction outside matmul_fast.cpp,
    // see CMakeLists.txt and docs/backprop.md section 7.)
    for (size_t j = 0; j < x.size(); ++j) EXPECT_EQ(dx_in[j], dx_full[j]) << "dx " << j << (ln ? " (ln)" : "");
    for (size_t j = 0; j < block.size(); ++j) {
      ASSERT_EQ(sentinel[j], kSentinel) << "gradient buffer " << j;
      ASSERT_EQ(block[j], block_before[j]) << "parameter " << j;
    }
    for (size_t j = 0; j < cache.size(); ++j) ASSERT_EQ(cache[j], cache_before[j]) << "cache " << j;
    // And the full backward did produce parameter gradients (the comparison
    // above is not vacuous).
    double norm = 0;
    for (real g : dblock) norm += std::fabs(static_cast<double>(g));
    EXPECT_GT(norm, 0.0);
  }
}

TEST(MlpTest, BackwardAccumulates) {
  // Backward adds into dparams and dx (mlp.h). A second identical call must
  // double everything. Not bit-exact: the Dense products add their terms one
  // by one into the running gradient, so the second call rounds differently;
  // the difference is bounded by a few ulps of the sums of |terms|, here
  // < 32 eps (|g| + 1) for gradients of order 1.
  const MlpShape s = make_shape(4, {5, 7}, 3, true);
  const int B = 3;
  std::vector<real> block(mlp_param_count(s));
  Rng rng = rng_make(50, kStreamInit);
  mlp_init(s, block.data(), rng);
  const std::vector<real> x = random_vector(B * 4, 51, -2.0, 2.0), dy = random_vector(B * 3, 52);
  std::vector<real> cache(mlp_cache_size(s, B)), scratch(mlp_scratch_size(s, B));
  const MlpParams p = mlp_params(s, block.data(), 0);
  mlp_forward(s, p, x.data(), B, cache.data());
  std::vector<real> dblock(block.size(), 0), dx(x.size(), 0);
  const MlpGrads dp = mlp_grads(s, dblock.data(), 0);
  mlp_backward(s, p, dp, x.data(), B, cache.data(), dy.data(), dx.data(), scratch.data());
  const std::vector<real> once = dblock, dx_once = dx;
  mlp_backward(s, p, dp, x.data(), B, cache.data(), dy.data(), dx.data(), scratch.data());
  for (size_t j = 0; j < dblock.size(); ++j)
    EXPECT_NEAR(dblock[j], 2 * once[j], 32 * kEps * (std::fabs(static_cast<double>(once[j])) + 1)) << "param " << j;
  for (size_t j = 0; j < dx.size(); ++j)
    EXPECT_NEAR(dx[j], 2 * dx_once[j], 32 * kEps * (std::fabs(static_cast<double>(dx_once[j])) + 1)) << "dx " << j;
  // The input-only backward accumulates too.
  std::vector<real> dx_in(x.size(), real(1));
  mlp_backward_input(s, p, x.data(), B, cache.data(), dy.data(), dx_in.data(), scratch.data());
  for (size_t j = 0; j < dx.size(); ++j)
    EXPECT_NEAR(dx_in[j], 1 + dx_once[j], 32 * kEps * (std::fabs(static_cast<double>(dx_once[j])) + 1)) << j;
}

}  // namespace
}  // namespace rql
