// test_critic.cpp: the TD target pieces and the expectile loss (critic.h,
// docs/spec.md §5), on cases worked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/critic.h"

namespace rql {
namespace {

#ifdef RQL_DOUBLE
constexpr double kTol = 1e-12;
#else
constexpr double kTol = 2e-6;
#endif

TEST(CriticTest, ShiftedTerminalsMoveRightByOne) {
  // h = 2, B = 2. terminals (3, 2): sample 0 ends at i = 0, sample 1 at i = 1.
  const std::vector<real> term = {1, 0,   // i = 0
                                  1, 1,   // i = 1
                                  1, 1};  // i = 2
  std::vector<real> rt(6, -1);
  shifted_terminals(rt.data(), term.data(), 2, 2);
  const std::vector<real> want = {0, 0, 1, 0, 1, 1};  // rt[0] = 0, rt[i] = term[i-1]
  EXPECT_EQ(rt, want);
}

TEST(CriticTest, DiscountWeightsAreGammaPowersAndZeroAtH) {
  // One-hot reward at position i, no terminals: R = gamma^i for i < h, and 0
  // for i = h (the chunk's reward stops before its last observation).
  const int h = 4, B = 1;
  const double g = 0.9;
  const std::vector<real> rt(h + 1, 0);
  for (int i = 0; i <= h; ++i) {
    std::vector<real> rew(h + 1, 0);
    rew[i] = 1;
    real R = -1;
    chunk_reward(&R, rew.data(), rt.data(), h, B, g);
    const double want = i < h ? std::pow(g, i) : 0.0;  // 1, 0.9, 0.81, 0.729, 0
    EXPECT_NEAR(R, want, kTol) << "i = " << i;
  }
}

TEST(CriticTest, RewardsAfterAnEpisodeEndAreDropped) {
  // h = 3, rewards 1 everywhere, terminal at i = 1 -> rt = [0, 0, 1, 1]:
  // R = 1 + 0.5 * 1 = 1.5 with gamma = 0.5 (i = 2 is masked by rt[2] = 1).
  const std::vector<real> rew = {1, 1, 1, 1}, term = {0, 1, 1, 1};
  std::vector<real> rt(4);
  shifted_terminals(rt.data(), term.data(), 3, 1);
  real R;
  chunk_reward(&R, rew.data(), rt.data(), 3, 1, 0.5);
  EXPECT_NEAR(R, 1.5, kTol);
}

TEST(CriticTest, ValidityTableForH5) {
  // An episode that ends e steps after the chunk's start has term[i] = 1 for
  // i >= e (indices clamp at the terminal), so rt[i] = 1 for i >= e + 1 and
  // sum rt = h - e (0 when e >= h). valid iff h - e <= 1, i.e. e >= 4.
  const int h = 5;
  for (int e = 1; e <= 6; ++e) {
    std::vector<real> term(h + 1), rt(h + 1);
    for (int i = 0; i <= h; ++i) term[i] = i >= e ? 1 : 0;
    shifted_terminals(rt.data(), term.data(), h, 1);
    real valid;
    chunk_valid(&valid, rt.data(), h, 1);
    EXPECT_EQ(valid, e >= 4 ? 1 : 0) << "episode ends " << e << " steps after the start";
  }
}

TEST(CriticTest, EnsembleMembersZeroAndTwoGiveOneMinusRho) {
  // q = {0, 2}: mean 1, population std 1 -> 1 - rho.
  const std::vector<real> q = {0, 2};  // (K = 2, B = 1)
  for (double rho : {0.0, 0.5, 1.0, 2.0}) {
    real out;
    ensemble_pessimistic(&out, q.data(), 2, 1, rho);
    EXPECT_NEAR(out, 1.0 - rho, kTol);
  }
}

TEST(CriticTest, SingleMemberEnsembleIsThatMember) {
  // K = 1 means one member, per sample (the authors' K = 1 code averaged over
  // the batch instead: docs/spec.md §7). q = {3, -1} for B = 2, any rho.
  const std::vector<real> q = {3, -1};
  std::vector<real> out(2);
  ensemble_pessimistic(out.data(), q.data(), 1, 2, 0.7);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], -1);
}

TEST(CriticTest, MaskZeroRemovesTheBootstrap) {
  // R = 2, next_q = 10, gamma = 0.5, h = 2: mask 1 -> 2 + 0.25 * 10 = 4.5; mask 0 -> 2.
  const real R[2] = {2, 2}, nq[2] = {10, 10}, mask[2] = {1, 0};
  real y[2];
  td_target(y, R, nq, mask, 2, 0.5, 2);
  EXPECT_NEAR(y[0], 4.5, kTol);
  EXPECT_EQ(y[1], 2);
}

TEST(CriticTest, ConstantRewardIsAFixedPoint) {
  // r = c at every step, V = c / (1 - gamma) at the next state:
  // y = c (1 - g^h) / (1 - g) + g^h c / (1 - g) = c / (1 - g). c = 2, g = 0.9
  // -> 20, for every h.
  const double c = 2, g = 0.9, V = c / (1 - g);
  for (int h = 1; h <= 5; ++h) {
    std::vector<real> rew(h + 1, static_cast<real>(c)), rt(h + 1, 0);
    real R, y;
    const real nq = static_cast<real>(V), mask = 1;
    chunk_reward(&R, rew.data(), rt.data(), h, 1, g);
    td_target(&y, &R, &nq, &mask, 1, g, h);
    EXPECT_NEAR(y, V, 20 * kTol) << "h = " << h;
  }
}

TEST(CriticTest, ExpectileWeightsTauAboveAndOneMinusTauBelow) {
  // tau = 0.7, y = 1, q = {0, 3} (K = 2, B = 1): u = {1, -2}
  // L = (0.7 * 1 + 0.3 * 4) / 2 = 0.95; dL/dq = -2 w u / 2 = {-0.7, 0.6}.
  const std::vector<real> q = {0, 3};
  const real y = 1, valid = 1;
  EXPECT_NEAR(critic_loss(q.data(), &y, &valid, 2, 1, expectile_weights(0.7)), 0.95, kTol);
  std::vector<real> dq(2, 0);
  critic_loss_backward(dq.data(), q.data(), &y, &valid, 2, 1, expectile_weights(0.7));
  EXPECT_NEAR(dq[0], -0.7, kTol);
  EXPECT_NEAR(dq[1], 0.6, kTol);
  // Invalid samples contribute nothing.
  const real invalid = 0;
  EXPECT_EQ(critic_loss(q.data(), &y, &invalid, 2, 1, expectile_weights(0.7)), 0);
}

}  // namespace
}  // namespace rql
