// test_env.cpp: the environment registry and evaluator of env.h: names and
// validation, open-loop chunk execution, oracle and random policies,
// statistics, determinism by seed, and dataset invariants for every
// environment.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "envs/env.h"
#include "envs/env_bandit.h"
#include "envs/env_pointmaze.h"
#include "io/error.h"
#include "core/rng.h"

namespace rql {
namespace {

// A policy of uniformly random actions in [-1, 1]^adim, from its own stream.
struct RandomPolicy {
  Rng rng;
  int h, adim;
};
void random_policy(void* ctx, const real* /*obs*/, real* chunk) {
  RandomPolicy& p = *static_cast<RandomPolicy*>(ctx);
  for (int k = 0; k < p.h * p.adim; ++k) chunk[k] = static_cast<real>(rng_range(p.rng, -1.0, 1.0));
}

// The bandit's behaviour mixture as a policy (what behaviour cloning learns).
struct BehaviourPolicy {
  Rng rng;
  int h;
};
void behaviour_policy(void* ctx, const real* /*obs*/, real* chunk) {
  BehaviourPolicy& p = *static_cast<BehaviourPolicy*>(ctx);
  for (int k = 0; k < p.h; ++k) {
    double a[2];
    bandit_behaviour_action(p.rng, a);
    chunk[2 * k] = static_cast<real>(a[0]);
    chunk[2 * k + 1] = static_cast<real>(a[1]);
  }
}

// Counts calls; chunk action k of call n is (10 n + k, -(10 n + k)) / 100.
struct CountingPolicy {
  int calls = 0;
  int h = 1;
};
void counting_policy(void* ctx, const real* /*obs*/, real* chunk) {
  CountingPolicy& p = *static_cast<CountingPolicy*>(ctx);
  for (int k = 0; k < p.h; ++k) {
    chunk[2 * k] = static_cast<real>((10 * p.calls + k) / 100.0);
    chunk[2 * k + 1] = static_cast<real>(-(10 * p.calls + k) / 100.0);
  }
  ++p.calls;
}

TEST(EnvTest, InfoListsShapesAndRejectsUnknownNames) {
  const std::vector<std::string> names = env_names();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], "bandit");
  const EnvInfo b = env_info("bandit");
  EXPECT_EQ(b.obs_dim, 1);
  EXPECT_EQ(b.action_dim, 2);
  EXPECT_EQ(b.max_steps, 5);
  EXPECT_EQ(b.num_tasks, 1);
  const EnvInfo m = env_info("pointmaze-large");
  EXPECT_EQ(m.obs_dim, 2);
  EXPECT_EQ(m.action_dim, 2);
  EXPECT_EQ(m.max_steps, 1000);
  EXPECT_EQ(m.num_tasks, 2);
  try {
    env_info("pointmaze-huge");
    FAIL() << "no error for an unknown name";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("pointmaze-huge"), std::string::npos) << what;
    EXPECT_NE(what.find("bandit, pointmaze-medium, pointmaze-large"), std::string::npos) << what;
  }
}

TEST(EnvTest, BadArgumentsThrow) {
  EnvOracle o = env_oracle("bandit", 1, 1);
  EXPECT_THROW(env_make_dataset("bandit", 2, 10, 0), Error);
  EXPECT_THROW(env_make_dataset("pointmaze-medium", 3, 10, 0), Error);
  EXPECT_THROW(env_make_dataset("pointmaze-medium", 1, 0, 0), Error);
  EXPECT_THROW(env_evaluate("bandit", 1, 0, env_oracle_policy, &o, 10, 0, nullptr), Error);
  EXPECT_THROW(env_evaluate("bandit", 1, 1, env_oracle_policy, &o, 0, 0, nullptr), Error);
  EXPECT_THROW(env_evaluate("bandit", 1, 1, nullptr, &o, 10, 0, nullptr), Error);
  EXPECT_THROW(env_oracle("pointmaze-large", 0, 1), Error);
  EXPECT_THROW(maze_svg("bandit", 1, {}), Error);
}

TEST(EnvTest, ChunksExecuteOpenLoopEveryHSteps) {
  // Bandit, 5 steps, h = 3: calls at steps 0 and 3; executed actions are
  // chunk 0's actions 0, 1, 2, then chunk 1's actions 0, 1.
  CountingPolicy p;
  p.h = 3;
  std::vector<std::vector<real>> traj;
  env_evaluate("bandit", 1, 3, counting_policy, &p, 1, 0, &traj);
  EXPECT_EQ(p.calls, 2);
  ASSERT_EQ(traj.size(), 1u);
  ASSERT_EQ(traj[0].size(), 10u);  // (5, 2)
  const double expected[5] = {0.00, 0.01, 0.02, 0.10, 0.11};
  for (int t = 0; t < 5; ++t) {
    EXPECT_NEAR(traj[0][static_cast<size_t>(2 * t)], expected[t], 1e-6) << "step " << t;
    EXPECT_NEAR(traj[0][static_cast<size_t>(2 * t + 1)], -expected[t], 1e-6) << "step " << t;
  }
  // A maze episode that never succeeds: 1000 steps, ceil(1000 / 7) = 143 calls.
  CountingPolicy q;
  q.h = 7;
  const EvalResult r = env_evaluate("pointmaze-medium", 1, 7, counting_policy, &q, 1, 0, nullptr);
  EXPECT_EQ(r.mean_length, 1000.0);
  EXPECT_EQ(q.calls, 143);
}

TEST(EnvTest, OracleSolvesEveryMazeTaskWithAnyChunkLength) {
  for (const char* name : {"pointmaze-medium", "pointmaze-large"})
    for (int task = 1; task <= 2; ++task)
      for (int h : {1, 5}) {
        EnvOracle o = env_oracle(name, task, h);
        std::vector<std::vector<real>> traj;
        const EvalResult r = env_evaluate(name, task, h, env_oracle_policy, &o, 20, 1, &traj);
        EXPECT_EQ(r.success_rate, 1.0) << name << " task " << task << " h " << h;
        EXPECT_LT(r.mean_length, 1000.0);
        EXPECT_NEAR(r.mean_return, -(r.mean_length - 1.0), 1e-9);  // -1 per step but the last
        ASSERT_EQ(traj.size(), 20u);
        // A trajectory starts in the start region and ends at the goal.
        const Maze& m = *pointmaze_find(name);
        double s[2];
        pointmaze_cell_centre(m.start[task - 1], s);
        EXPECT_LE(std::fabs(static_cast<double>(traj[0][0]) - s[0]), kMazeStartNoise);
        EXPECT_LE(std::fabs(static_cast<double>(traj[0][1]) - s[1]), kMazeStartNoise);
        const size_t n = traj[0].size();
        const double end[2] = {traj[0][n - 2], traj[0][n - 1]};
        EXPECT_TRUE(pointmaze_success(end, m.goal[task - 1]));
      }
}

TEST(EnvTest, RandomPolicyMostlyFailsMazes) {
  for (const char* name : {"pointmaze-medium", "pointmaze-large"}) {
    RandomPolicy p{rng_make(3, kStreamExplore), 1, 2};
    const EvalResult r = env_evaluate(name, 1, 1, random_policy, &p, 30, 2, nullptr);
    EXPECT_LE(r.success_rate, 0.1) << name;
    EXPECT_LT(r.mean_return, -900.0) << name;
  }
}

TEST(EnvTest, BanditOptimalPolicyAchievesOptimalReward) {
  // Each episode earns exactly max_k w_k(c) per step, whose mean over c is
  // 3/4: 100000 episodes (per-episode means in [0, 1]), Hoeffding t = 0.01.
  for (int h : {1, 3}) {
    EnvOracle o = env_oracle("bandit", 1, h);
    const EvalResult r = env_evaluate("bandit", 1, h, env_oracle_policy, &o, 100000, 4, nullptr);
    EXPECT_NEAR(r.mean_reward, bandit_optimal_reward(), 0.01) << "h " << h;
    EXPECT_NEAR(r.normalized_score, 1.0, 0.014);
    EXPECT_EQ(r.optimal_reward, 0.75);
    EXPECT_EQ(r.success_rate, 1.0);
    EXPECT_NEAR(r.mean_return, 5.0 * r.mean_reward, 1e-9);
  }
}

TEST(EnvTest, BanditBehaviourMixtureScoresItsClosedForm) {
  // What behaviour cloning would reproduce: 0.3197 per step, 43% of the
  // optimum. 20000 episodes, Hoeffding t = 0.015 (failure 2 e^-9 = 2.5e-4,
  // seeded).
  BehaviourPolicy p{rng_make(5, kStreamExplore), 2};
  const EvalResult r = env_evaluate("bandit", 1, 2, behaviour_policy, &p, 20000, 6, nullptr);
  EXPECT_NEAR(r.mean_reward, bandit_behaviour_reward(), 0.015);
  EXPECT_NEAR(r.normalized_score, 0.4263, 0.02);
  EXPECT_LT(r.success_rate, 0.6);
  // The interval is about 1.96 * 0.2 / sqrt(20000) wide, and covers the truth.
  EXPECT_GT(r.reward_ci95, 0.0);
  EXPECT_LT(r.reward_ci95, 0.01);
  EXPECT_LE(std::fabs(r.mean_reward - bandit_behaviour_reward()), 2.0 * r.reward_ci95);
}

TEST(EnvTest, WilsonIntervalByHand) {
  // 10 of 10: z^2/n = 0.38416, centre = (1 + 0.19208) / 1.38416 = 0.86122,
  // half = 1.96 sqrt(0.38416 / 40) / 1.38416 = 0.13877, lo = 0.72245.
  EnvOracle o = env_oracle("pointmaze-medium", 1, 1);
  const EvalResult r = env_evaluate("pointmaze-medium", 1, 1, env_oracle_policy, &o, 10, 0, nullptr);
  EXPECT_EQ(r.episodes, 10);
  EXPECT_EQ(r.success_rate, 1.0);
  EXPECT_EQ(r.success_ci95, 0.0);  // the normal approximation collapses at p = 1
  EXPECT_NEAR(r.success_lo, 0.72245, 1e-5);
  EXPECT_EQ(r.success_hi, 1.0);
}

TEST(EnvTest, EvaluationIsDeterministicBySeed) {
  RandomPolicy p1{rng_make(9, kStreamExplore), 1, 2}, p2{rng_make(9, kStreamExplore), 1, 2};
  std::vector<std::vector<real>> t1, t2, t3;
  env_evaluate("pointmaze-medium", 2, 1, random_policy, &p1, 3, 42, &t1);
  env_evaluate("pointmaze-medium", 2, 1, random_policy, &p2, 3, 42, &t2);
  EXPECT_EQ(t1, t2);
  EnvOracle o = env_oracle("pointmaze-medium", 2, 1);
  env_evaluate("pointmaze-medium", 2, 1, env_oracle_policy, &o, 3, 43, &t3);
  EXPECT_NE(t1[0][0], t3[0][0]);  // another seed, another start
  // The first k episodes of a longer evaluation are the k episodes of a
  // shorter one (resets are the only draws of the evaluation stream).
  std::vector<std::vector<real>> a, b;
  env_evaluate("pointmaze-large", 1, 1, env_oracle_policy, &o, 2, 7, &a);
  env_evaluate("pointmaze-large", 1, 1, env_oracle_policy, &o, 5, 7, &b);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
}

TEST(EnvTest, DatasetsAreDeterministicBySeed) {
  for (const std::string& name : env_names()) {
    const Dataset a = env_make_dataset(name, 1, 3, 17), b = env_make_dataset(name, 1, 3, 17);
    const Dataset c = env_make_dataset(name, 1, 3, 18);
    EXPECT_EQ(a.observations, b.observations) << name;
    EXPECT_EQ(a.actions, b.actions) << name;
    EXPECT_EQ(a.rewards, b.rewards) << name;
    EXPECT_NE(a.actions, c.actions) << name;
  }
}

TEST(EnvTest, DatasetEpisodesEndWithTerminalAndMasksMatchRewards) {
  for (const std::string& name : env_names()) {
    const EnvInfo info = env_info(name);
    for (int task = 1; task <= info.num_tasks; ++task) {
      const long episodes = 4;
      const Dataset d = env_make_dataset(name, task, episodes, 23);
      ASSERT_EQ(d.obs_dim, info.obs_dim);
      ASSERT_EQ(d.action_dim, info.action_dim);
      ASSERT_EQ(d.observations.size(), static_cast<size_t>(d.n * d.obs_dim));
      ASSERT_EQ(d.actions.size(), static_cast<size_t>(d.n * d.action_dim));
      ASSERT_EQ(d.rewards.size(), static_cast<size_t>(d.n));
      ASSERT_EQ(d.terminals.size(), static_cast<size_t>(d.n));
      ASSERT_EQ(d.masks.size(), static_cast<size_t>(d.n));
      ASSERT_EQ(d.terminals.back(), real(1)) << name;
      long ends = 0;
      for (long i = 0; i < d.n; ++i) {
        const size_t u = static_cast<size_t>(i);
        ends += d.terminals[u] == real(1) ? 1 : 0;
        EXPECT_TRUE(d.terminals[u] == real(0) || d.terminals[u] == real(1));
        if (name != "bandit") {
          EXPECT_EQ(d.masks[u] == real(0), d.rewards[u] == real(0)) << name << " at " << i;
        }
      }
      EXPECT_EQ(ends, episodes) << name;
      EXPECT_GT(d.n / episodes, 1) << "episodes must be longer than one transition";
    }
  }
}

TEST(EnvTest, DatasetValuesAreFloat32InEveryBuild) {
  // So that a double build writes, and reads back, the same data.
  for (const std::string& name : env_names()) {
    const Dataset d = env_make_dataset(name, 1, 2, 29);
    for (const std::vector<real>* v : {&d.observations, &d.actions, &d.rewards})
      for (real x : *v) ASSERT_EQ(static_cast<real>(static_cast<float>(x)), x) << name;
  }
}

TEST(EnvTest, TaskChangesOnlyRewardsAndMasks) {
  const Dataset t1 = env_make_dataset("pointmaze-large", 1, 5, 31), t2 = env_make_dataset("pointmaze-large", 2, 5, 31);
  EXPECT_EQ(t1.observations, t2.observations);
  EXPECT_EQ(t1.actions, t2.actions);
  EXPECT_EQ(t1.terminals, t2.terminals);
}

}  // namespace
}  // namespace rql
