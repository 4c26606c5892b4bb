// cli_eval.h: evaluating a policy in a built-in environment, shared by
// `rql train` (periodic evaluation) and `rql eval` (cli_eval.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rql.h"
#include "envs/env.h"

namespace rql {

// env_info, with an unknown name as bad usage (UsageError, exit 2).
EnvInfo env_info_or_usage(const std::string& name);

// The EMA actor of `agent` (agent_act) over `episodes` episodes of `env`
// task `task`. Evaluation never changes the agent: its policy noise comes
// from a stream of its own, seeded from `noise_seed`, so the evaluation
// schedule cannot change training or the checkpoints (unlike the authors'
// shared generator, docs/spec.md §7). Environment resets come from `env_seed`
// (env.h). `traj`, if given, receives the trajectories (env_evaluate).
EvalResult evaluate(const Agent& agent, const std::string& env, int task, int episodes, uint64_t env_seed,
                    uint64_t noise_seed, std::vector<std::vector<real>>* traj);

// One line of results: reward per step and normalised score (bandit), or
// success rate with its intervals and the return (mazes).
std::string eval_line(const EvalResult& r, bool bandit);

// The caption of a maze picture: the success rate of the drawn episodes and,
// for step >= 0, how many updates the policy had.
std::string maze_caption(const EvalResult& r, long step);

}  // namespace rql
