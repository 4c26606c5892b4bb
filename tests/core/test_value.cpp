// test_value.cpp: the value ensemble Q_phi (src/value.h): K independent MLP
// members over one input batch, output q (K, B). Checks that row k of q is
// member k, the full backward against central differences over every
// parameter and input (K = 3), that member k's gradient lands only in member
// k's slices of the block, and the input-only backward (the stop-gradient
// path of the actor's Q term, docs/spec.md §5). tests/gradient_check.h states the
// error measure and the per-build bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/gradient_check.h"
#include "core/mlp.h"
#include "core/rng.h"
#include "core/value.h"

namespace rql {
namespace {

using gradcheck::central_difference;
using gradcheck::dot;
using gradcheck::expect_gradient_matches;
using gradcheck::random_vector;
using gradcheck::Worst;

constexpr double kEps = std::numeric_limits<real>::epsilon();

// A small value ensemble: in 6 (e.g. obs 2 + action 3 + flow time 1),
// hidden {5, 7}, out 1, LayerNorm, K members with the leading K axis.
struct Ensemble {
  MlpShape s;
  int B;
  std::vector<real> block, caches, scratch, x;
  Ensemble(int K, int batch, bool layer_norm, uint64_t seed) : B(batch) {
    const int hidden[2] = {5, 7};
    EXPECT_TRUE(mlp_shape_make(&s, 6, hidden, 2, 1, layer_norm, K, true));
    block.resize(mlp_param_count(s));
    Rng rng = rng_make(seed, kStreamInit);
    mlp_init(s, block.data(), rng);
    // Biases and LayerNorm parameters off their init values (0 and 1).
    for (int i = 0; i < mlp_tensor_count(s); ++i) {
      const MlpTensor t = mlp_tensor(s, i);
      if (std::strstr(t.name, "kernel")) continue;
      const std::vector<real> r = random_vector(t.size, seed * 100 + i, -0.5, 0.5);
      for (long j = 0; j < t.size; ++j) block[t.offset + j] += r[j];
    }
    caches.resize(value_cache_size(s, B));
    scratch.resize(mlp_scratch_size(s, B));
    x = random_vector(static_cast<long>(B) * 6, seed + 1, -2.0, 2.0);
  }
  int K() const { return s.members; }
};

TEST(ValueEnsembleTest, RowKOfQIsMemberK) {
  // q[k, b] = member_k(x[b]): compare with a plain mlp_forward on member k's
  // view, bit for bit (the same computation), and check the members differ.
  Ensemble e(3, 4, true, 60);
  std::vector<real> q(3 * 4, real(-1));
  value_forward(e.s, e.block.data(), e.x.data(), e.B, e.caches.data(), q.data());
  std::vector<real> cache(mlp_cache_size(e.s, e.B));
  for (int k = 0; k < 3; ++k) {
    const real* y = mlp_forward(e.s, mlp_params(e.s, e.block.data(), k), e.x.data(), e.B, cache.data());
    for (int b = 0; b < e.B; ++b) EXPECT_EQ(q[k * e.B + b], y[b]) << "member " << k << " row " << b;
  }
  EXPECT_NE(q[0 * 4 + 0], q[1 * 4 + 0]);  // independently initialised members
  EXPECT_NE(q[1 * 4 + 0], q[2 * 4 + 0]);
}

TEST(ValueEnsembleTest, SingleMemberIsTheMlp) {
  // K = 1 (with the K axis) is exactly one MLP: q (1, B) = mlp_forward.
  Ensemble e(1, 5, false, 61);
  std::vector<real> q(5);
  value_forward(e.s, e.block.data(), e.x.data(), e.B, e.caches.data(), q.data());
  std::vector<real> cache(mlp_cache_size(e.s, e.B));
  const real* y = mlp_forward(e.s, mlp_params(e.s, e.block.data(), 0), e.x.data(), e.B, cache.data());
  for (int b = 0; b < 5; ++b) EXPECT_EQ(q[b], y[b]);
}

void check_value_gradients(bool layer_norm, uint64_t seed) {
  Ensemble e(3, 4, layer_norm, seed);
  const int K = e.K(), B = e.B;
  const std::vector<real> R = random_vector(static_cast<long>(K) * B, seed + 2);
  std::vector<real> q(K * B);
  auto loss = [&] {
    value_forward(e.s, e.block.data(), e.x.data(), B, e.caches.data(), q.data());
    return dot(q.data(), R.data(), static_cast<long>(K) * B);
  };
  // The check point must be well conditioned (tests/gradient_check.h).
  ASSERT_LE(gradcheck::max_layernorm_rstd(e.s, e.block.data(), e.x.data(), B), gradcheck::kMaxLayerNormRstd)
      << "a LayerNorm row is nearly constant at this seed; finite differences are ill-conditioned there";
  loss();
  std::vector<real> dblock(e.block.size(), 0), dx(e.x.size(), 0);
  value_backward(e.s, e.block.data(), dblock.data(), e.x.data(), B, e.caches.data(), R.data(), dx.data(),
                 e.scratch.data());
  for (int i = 0; i < mlp_tensor_count(e.s); ++i) {
    const MlpTensor t = mlp_tensor(e.s, i);
    Worst w;
    for (long j = 0; j < t.size; ++j)
      w.add(j, dblock[t.offset + j], central_difference(&e.block[t.offset + j], loss));
    expect_gradient_matches(w, std::string(layer_norm ? "ln/" : "plain/") + t.name);
  }
  Worst wx;
  for (size_t j = 0; j < e.x.size(); ++j) wx.add(static_cast<long>(j), dx[j], central_difference(&e.x[j], loss));
  expect_gradient_matches(wx, std::string(layer_norm ? "ln/" : "plain/") + "dx");
}

TEST(ValueEnsembleTest, BackwardMatchesFiniteDifference) {
  // K = 3, every parameter of every member and every input element.
  check_value_gradients(true, 70);
  check_value_gradients(false, 71);
}

TEST(ValueEnsembleTest, MemberGradientLandsOnlyInItsSlices) {
  // dq nonzero in row k only: every other member's slice of every tensor
  // stays exactly 0, member k's slice is nonzero and equals the slice that
  // the full backward (all rows of dq) gives, bit for bit.
  Ensemble e(3, 4, true, 80);
  const int K = 3, B = e.B;
  std::vector<real> q(K * B);
  value_forward(e.s, e.block.data(), e.x.data(), B, e.caches.data(), q.data());
  const std::vector<real> R = random_vector(K * B, 81);
  std::vector<real> full(e.block.size(), 0);
  value_backward(e.s, e.block.data(), full.data(), e.x.data(), B, e.caches.data(), R.data(), nullptr,
                 e.scratch.data());
  for (int k = 0; k < K; ++k) {
    std::vector<real> dq(K * B, 0), dblock(e.block.size(), 0);
    for (int b = 0; b < B; ++b) dq[k * B + b] = R[k * B + b];
    value_backward(e.s, e.block.data(), dblock.data(), e.x.data(), B, e.caches.data(), dq.data(), nullptr,
                   e.scratch.data());
    for (int i = 0; i < mlp_tensor_count(e.s); ++i) {
      const MlpTensor t = mlp_tensor(e.s, i);
      const long m = t.size / K;  // one member's slice
      double own = 0;
      for (int j = 0; j < K; ++j)
        for (long n = 0; n < m; ++n) {
          const long at = t.offset + j * m + n;
          if (j == k) {
            EXPECT_EQ(dblock[at], full[at]) << t.name << " member " << k << " element " << n;
            own += std::fabs(static_cast<double>(dblock[at]));
          } else {
            EXPECT_EQ(dblock[at], real(0)) << t.name << ": dq row " << k << " leaked into member " << j;
          }
        }
      EXPECT_GT(own, 0.0) << t.name << " member " << k;
    }
  }
}

TEST(ValueEnsembleTest, InputOnlyBackwardEqualsFullInputGradientAndTouchesNoParameterGradient) {
  Ensemble e(3, 4, true, 90);
  const int K = 3, B = e.B;
  std::vector<real> q(K * B);
  value_forward(e.s, e.block.data(), e.x.data(), B, e.caches.data(), q.data());
  const std::vector<real> block_before = e.block, caches_before = e.caches;
  const std::vector<real> dq = random_vector(K * B, 91);
  std::vector<real> dblock(e.block.size(), 0), dx_full(e.x.size(), 0), dx_in(e.x.size(), 0);
  value_backward(e.s, e.block.data(), dblock.data(), e.x.data(), B, e.caches.data(), dq.data(), dx_full.data(),
                 e.scratch.data());
  const real kSentinel = real(-777.25);
  std::vector<real> sentinel(e.block.size(), kSentinel);
  value_backward_input(e.s, e.block.data(), e.x.data(), B, e.caches.data(), dq.data(), dx_in.data(),
                       e.scratch.data());
  // Same arithmetic path, members in the same order: bit-identical (see
  // MlpTest.InputOnlyBackwardEqualsFullInputGradientAndTouchesNoParameterGradient).
  for (size_t j = 0; j < dx_in.size(); ++j) EXPECT_EQ(dx_in[j], dx_full[j]) << "dx " << j;
  for (size_t j = 0; j < e.block.size(); ++j) {
    ASSERT_EQ(sentinel[j], kSentinel) << "gradient buffer " << j;
    ASSERT_EQ(e.block[j], block_before[j]) << "parameter " << j;
  }
  for (size_t j = 0; j < e.caches.size(); ++j) ASSERT_EQ(e.caches[j], caches_before[j]) << "cache " << j;
  double norm = 0;
  for (real v : dx_in) norm += std::fabs(static_cast<double>(v));
  EXPECT_GT(norm, 0.0);
}

TEST(ValueEnsembleTest, InputGradientIsSumOverMembers) {
  // dx <- sum_k dL/dq[k] dq[k]/dx: equals the members' input-only backwards
  // accumulated in member order into one buffer (the same additions).
  Ensemble e(3, 4, true, 95);
  const int K = 3, B = e.B;
  std::vector<real> q(K * B);
  value_forward(e.s, e.block.data(), e.x.data(), B, e.caches.data(), q.data());
  const std::vector<real> dq = random_vector(K * B, 96);
  std::vector<real> dx(e.x.size(), 0), dx_sum(e.x.size(), 0);
  value_backward_input(e.s, e.block.data(), e.x.data(), B, e.caches.data(), dq.data(), dx.data(), e.scratch.data());
  const long stride = mlp_cache_size(e.s, B);
  for (int k = 0; k < K; ++k)
    mlp_backward_input(e.s, mlp_params(e.s, e.block.data(), k), e.x.data(), B, e.caches.data() + k * stride,
                       dq.data() + k * B, dx_sum.data(), e.scratch.data());
  for (size_t j = 0; j < dx.size(); ++j) EXPECT_EQ(dx[j], dx_sum[j]) << "dx " << j;
}

TEST(ValueEnsembleTest, BackwardAccumulates) {
  // A second identical call doubles the gradients, up to the rounding of
  // adding terms one by one into the running sums (see MlpTest.BackwardAccumulates).
  Ensemble e(3, 4, true, 100);
  const int K = 3, B = e.B;
  std::vector<real> q(K * B);
  value_forward(e.s, e.block.data(), e.x.data(), B, e.caches.data(), q.data());
  const std::vector<real> dq = random_vector(K * B, 101);
  std::vector<real> dblock(e.block.size(), 0), dx(e.x.size(), 0);
  value_backward(e.s, e.block.data(), dblock.data(), e.x.data(), B, e.caches.data(), dq.data(), dx.data(),
                 e.scratch.data());
  const std::vector<real> once = dblock, dx_once = dx;
  value_backward(e.s, e.block.data(), dblock.data(), e.x.data(), B, e.caches.data(), dq.data(), dx.data(),
                 e.scratch.data());
  for (size_t j = 0; j < dblock.size(); ++j)
    EXPECT_NEAR(dblock[j], 2 * once[j], 32 * kEps * (std::fabs(static_cast<double>(once[j])) + 1)) << "param " << j;
  for (size_t j = 0; j < dx.size(); ++j)
    EXPECT_NEAR(dx[j], 2 * dx_once[j], 32 * kEps * (std::fabs(static_cast<double>(dx_once[j])) + 1)) << "dx " << j;
}

}  // namespace
}  // namespace rql
