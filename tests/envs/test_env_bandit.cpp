// test_env_bandit.cpp: the contextual bandit (env_bandit.h): hand-worked
// rewards, the closed forms against exact integration and Monte Carlo, and
// the dataset's layout.
//
// Monte Carlo bounds: every reward lies in [0, 1], so by Hoeffding the mean
// of N independent draws is within t of its expectation except with
// probability 2 exp(-2 N t^2); each test states its N and t (and the failure
// probability, all below 1e-8). The draws are seeded, so a pass is stable.
#include <gtest/gtest.h>

#include <cmath>

#include "envs/env_bandit.h"
#include "core/rng.h"

namespace rql {
namespace {

TEST(BanditTest, WeightsAreTentsThatSumToOne) {
  // w_k(c) = max(0, 1 - |c - c_k|), c_k = -1, 0, 1.
  EXPECT_DOUBLE_EQ(bandit_weight(0, -1.0), 1.0);
  EXPECT_DOUBLE_EQ(bandit_weight(1, -1.0), 0.0);
  EXPECT_DOUBLE_EQ(bandit_weight(0, -0.25), 0.25);  // 1 - |-0.25 + 1|
  EXPECT_DOUBLE_EQ(bandit_weight(1, -0.25), 0.75);  // 1 - |-0.25|
  EXPECT_DOUBLE_EQ(bandit_weight(2, -0.25), 0.0);
  EXPECT_DOUBLE_EQ(bandit_weight(2, 0.5), 0.5);
  for (int i = 0; i <= 40; ++i) {
    const double c = -1.0 + i / 20.0;
    EXPECT_NEAR(bandit_weight(0, c) + bandit_weight(1, c) + bandit_weight(2, c), 1.0, 1e-15) << "c = " << c;
  }
}

TEST(BanditTest, BestModeDependsOnContext) {
  EXPECT_EQ(bandit_best_mode(-0.9), 0);
  EXPECT_EQ(bandit_best_mode(0.1), 1);
  EXPECT_EQ(bandit_best_mode(0.8), 2);
  EXPECT_EQ(bandit_best_mode(-0.5), 0);  // tie w_0 = w_1 = 0.5 goes to the lower mode
  EXPECT_DOUBLE_EQ(bandit_context_optimum(-0.5), 0.5);
  EXPECT_DOUBLE_EQ(bandit_context_optimum(0.8), 0.8);
}

TEST(BanditTest, RewardByHand) {
  double m[2];
  bandit_mode_centre(0, m);
  EXPECT_DOUBLE_EQ(bandit_reward(-1.0, m), 1.0);  // w_0(-1) * bump(0)
  EXPECT_DOUBLE_EQ(bandit_reward(1.0, m), 0.0);   // w_0(1) = 0
  bandit_mode_centre(2, m);
  EXPECT_DOUBLE_EQ(bandit_reward(0.5, m), 0.5);   // w_2(0.5) = 0.5
  // Half the bump radius from m_1: bump = 1 - (0.5)^2 = 0.75, w_1(0) = 1.
  bandit_mode_centre(1, m);
  const double a[2] = {m[0] + 0.5 * kBanditBumpRadius, m[1]};
  EXPECT_NEAR(bandit_reward(0.0, a), 0.75, 1e-12);
  // Outside every bump, and a clipped action at a corner.
  const double far[2] = {0.9, 0.9}, huge[2] = {5.0, -7.0};
  EXPECT_DOUBLE_EQ(bandit_reward(0.0, far), 0.0);
  EXPECT_DOUBLE_EQ(bandit_reward(0.0, huge), 0.0);
}

TEST(BanditTest, BumpsAreDisjointAndInsideTheBox) {
  // The closed forms need: |m_j - m_k| > 2 s, and |m_k| + s < 1 per axis.
  for (int j = 0; j < kBanditModes; ++j) {
    double mj[2];
    bandit_mode_centre(j, mj);
    EXPECT_LT(std::fabs(mj[0]) + kBanditBumpRadius, 1.0);
    EXPECT_LT(std::fabs(mj[1]) + kBanditBumpRadius, 1.0);
    for (int k = j + 1; k < kBanditModes; ++k) {
      double mk[2];
      bandit_mode_centre(k, mk);
      EXPECT_GT(std::hypot(mj[0] - mk[0], mj[1] - mk[1]), 2.0 * kBanditBumpRadius);
    }
  }
}

TEST(BanditTest, OptimalRewardMatchesExactIntegral) {
  // E_c max_k w_k(c) for c ~ U[-1, 1]: max_k w_k is piecewise linear with
  // kinks at -1, -0.5, 0, 0.5, 1, all grid points of a 2000-cell midpoint
  // rule, which is then exact (up to rounding).
  const int n = 2000;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += bandit_context_optimum(-1.0 + (i + 0.5) * 2.0 / n);
  EXPECT_NEAR(sum / n, bandit_optimal_reward(), 1e-12);
  EXPECT_DOUBLE_EQ(bandit_optimal_reward(), 0.75);
}

TEST(BanditTest, BumpMeanMatchesClosedFormValue) {
  // s^2 / (2 sigma^2) = 0.1225 / 0.005 = 24.5; g = 1 - (1 - e^-24.5) / 24.5.
  EXPECT_NEAR(bandit_bump_mean(), 1.0 - (1.0 - std::exp(-24.5)) / 24.5, 1e-15);
  EXPECT_NEAR(bandit_bump_mean(), 0.9591836734, 1e-9);
  EXPECT_NEAR(bandit_behaviour_reward(), 0.3197278911, 1e-9);
  EXPECT_NEAR(bandit_best_mode_reward(), 0.7193877551, 1e-9);
  // Behaviour cloning is measurably suboptimal: 43% of the optimum.
  EXPECT_NEAR(bandit_behaviour_reward() / bandit_optimal_reward(), 0.4263, 1e-4);
}

TEST(BanditTest, BehaviourRewardMatchesMonteCarlo) {
  // N = 400000 iid (c, a) pairs, t = 0.005: failure probability 2 e^-20 = 4e-9.
  Rng r = rng_make(7, kStreamData);
  const int n = 400000;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double c = rng_range(r, -1.0, 1.0);
    double a[2];
    bandit_behaviour_action(r, a);
    sum += bandit_reward(c, a);
  }
  EXPECT_NEAR(sum / n, bandit_behaviour_reward(), 0.005);
}

TEST(BanditTest, BestModeWithBehaviourNoiseMatchesMonteCarlo) {
  // The best mode's centre plus the data's Gaussian noise: 3 g / 4.
  // N = 400000, t = 0.005 (failure probability 4e-9).
  Rng r = rng_make(8, kStreamData);
  const int n = 400000;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double c = rng_range(r, -1.0, 1.0);
    double a[2];
    bandit_mode_centre(bandit_best_mode(c), a);
    a[0] += kBanditBehaviourStd * static_cast<double>(rng_normal(r));
    a[1] += kBanditBehaviourStd * static_cast<double>(rng_normal(r));
    sum += bandit_reward(c, a);
  }
  EXPECT_NEAR(sum / n, bandit_best_mode_reward(), 0.005);
}

TEST(BanditTest, DatasetHasFiveStepEpisodesWithOneContext) {
  const long episodes = 300;
  const Dataset d = bandit_make_dataset(episodes, 3);
  ASSERT_EQ(d.n, episodes * kBanditSteps);
  ASSERT_EQ(d.obs_dim, 1);
  ASSERT_EQ(d.action_dim, 2);
  ASSERT_EQ(d.observations.size(), static_cast<size_t>(d.n));
  ASSERT_EQ(d.actions.size(), static_cast<size_t>(2 * d.n));
  ASSERT_EQ(d.rewards.size(), static_cast<size_t>(d.n));
  for (long i = 0; i < d.n; ++i) {
    const size_t u = static_cast<size_t>(i);
    const bool last = i % kBanditSteps == kBanditSteps - 1;
    EXPECT_EQ(d.terminals[u], last ? real(1) : real(0)) << "transition " << i;
    EXPECT_EQ(d.masks[u], real(1));
    if (!last) {
      EXPECT_EQ(d.observations[u], d.observations[u + 1]) << "context changed within an episode at " << i;
    }
    EXPECT_GE(d.observations[u], real(-1));
    EXPECT_LT(d.observations[u], real(1));
    const double a[2] = {d.actions[2 * u], d.actions[2 * u + 1]};
    EXPECT_LE(std::fabs(a[0]), 1.0);
    EXPECT_LE(std::fabs(a[1]), 1.0);
    EXPECT_NEAR(d.rewards[u], bandit_reward(d.observations[u], a), 1e-6);
  }
}

TEST(BanditTest, DatasetMeanRewardMatchesBehaviourClosedForm) {
  // Steps of one episode share a context, so the independent samples are the
  // 100000 per-episode means (each in [0, 1]); t = 0.01: failure 2 e^-20.
  const long episodes = 100000;
  const Dataset d = bandit_make_dataset(episodes, 11);
  double sum = 0.0;
  for (real r : d.rewards) sum += static_cast<double>(r);
  EXPECT_NEAR(sum / static_cast<double>(d.n), bandit_behaviour_reward(), 0.01);
}

}  // namespace
}  // namespace rql
