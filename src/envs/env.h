// env.h: the built-in environments by name (issue 6): their shapes, offline
// datasets, an evaluator that runs a policy's action chunks open loop
// (docs/spec.md §2), and an oracle policy for each.
//
//   name               obs   action  steps  tasks  module
//   bandit             1     2       5      1      env_bandit.h
//   pointmaze-medium   2     2       1000   2      env_pointmaze.h
//   pointmaze-large    2     2       1000   2      env_pointmaze.h
//
// Every function that takes a name or task validates it and throws rql::Error
// listing the valid choices. Everything is deterministic given the seed:
// datasets draw from stream (seed, kStreamData), evaluation resets from
// (seed, kStreamEval); nothing else draws from them and there is no global
// state. Environment state is kept in double whatever `real` is, so a float
// and a double build see the same dynamics for the same actions; dataset
// values are rounded to float32 (the file type, docs/spec.md §8) in either build, so
// both builds generate the same dataset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "core/scalar.h"

namespace rql {

// A policy maps one observation (obs_dim) to an action chunk
// (h * action_dim, row-major [h, action_dim]). It must not keep pointers to
// `obs` or `chunk` after it returns.
using PolicyFn = void (*)(void* ctx, const real* obs, real* chunk);

struct EnvInfo {
  std::string name;
  int obs_dim = 0, action_dim = 0;
  int max_steps = 0;    // steps of an evaluation episode
  int num_tasks = 0;    // valid tasks are 1 .. num_tasks
  std::string summary;  // one line, for --help and logs
};

// The valid names, in the order of the table above.
std::vector<std::string> env_names();
EnvInfo env_info(const std::string& name);

// An offline dataset for task `task` (the pointmaze rewards and masks are
// relabelled for it; the bandit has one task). episodes >= 1.
Dataset env_make_dataset(const std::string& name, int task, long episodes, uint64_t seed);

struct EvalResult {
  int episodes = 0;
  // Success per episode: pointmaze, reaching the goal within max_steps;
  // bandit, an episode's mean reward >= half its context's optimum
  // max_k w_k(c) (a coarse "chose a best mode").
  double success_rate = 0;
  double success_ci95 = 0;   // normal approximation: 1.96 sample std / sqrt(n)
  double success_lo = 0, success_hi = 0;  // Wilson score 95% interval (use near 0 or 1)
  double mean_return = 0;    // undiscounted sum of rewards per episode
  double return_ci95 = 0;    // 1.96 sample std / sqrt(n)
  double mean_length = 0;    // steps per episode
  // Bandit only (0 for the mazes): reward per step, the exact optimal
  // expected reward per step (3/4), and their ratio.
  double mean_reward = 0, reward_ci95 = 0;
  double optimal_reward = 0;
  double normalized_score = 0;  // mean_reward / optimal_reward
};

// Runs `episodes` episodes of task `task`: the policy is called on the
// current observation every h steps and its h actions are executed one per
// step (open loop). A maze episode ends at success or after 1000 steps, a
// bandit episode after 5 steps. With `trajectories`, one entry per episode is
// appended: for a maze the visited xy ((T + 1, 2), the start included), for
// the bandit the executed actions ((T, 2)).
// Maze reward per step: success(after the step) - 1 (OGBench's env.step).
EvalResult env_evaluate(const std::string& name, int task, int h, PolicyFn policy, void* ctx, int episodes,
                        uint64_t seed, std::vector<std::vector<real>>* trajectories);

// The oracle of each environment as a policy: for the bandit the best mode's
// centre, for a maze the noiseless BFS oracle of the task's goal. A chunk of
// h actions is planned by simulating the known dynamics from the observation,
// so it is as good open loop as closed loop. Use as
//   EnvOracle o = env_oracle(name, task, h);
//   env_evaluate(name, task, h, env_oracle_policy, &o, ...);
struct EnvOracle {
  std::string name;
  int task = 1, h = 1;
  std::vector<int> dist;  // pointmaze: BFS distances to the task's goal
};
EnvOracle env_oracle(const std::string& name, int task, int h);
void env_oracle_policy(void* ctx, const real* obs, real* chunk);  // ctx is an EnvOracle*

// ---- Shared by the environment modules (env_bandit.cpp, env_pointmaze.cpp) ----

// A dataset value rounded to float32, the dataset file's type (docs/spec.md §8), in
// either build: a double build then makes the same file as a float one, and
// the data in memory equals the data read back.
real env_stored(double v);
// An action component clipped to [-1, 1]; NaN (a diverged policy) acts as 0.
double env_clip1(double v);

// An SVG picture of a maze with its task's start region and goal, the given
// trajectories ((T, 2) xy each, as env_evaluate records them), a legend, and
// `caption` (e.g. the success rate of the drawn episodes) under the title.
// Throws rql::Error for the bandit or an unknown name.
std::string maze_svg(const std::string& env, int task, const std::vector<std::vector<real>>& trajectories,
                     const std::string& caption = "");

}  // namespace rql
