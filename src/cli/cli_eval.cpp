// cli_eval.cpp: `rql eval CHECKPOINT` (evaluate a checkpoint's EMA policy,
// docs/spec.md §2) and the evaluation shared with `rql train` (cli_eval.h).
//
// A checkpoint written by `rql train` records the environment and task it was
// trained for (its `run` section, checkpoint.h). They are the defaults, and
// evaluating elsewhere is refused unless --force: a policy trained for one
// maze goal is not meant to reach another, and a silent mismatch reads as a
// bad result.
#include "cli_eval.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cli.h"
#include "cli_args.h"
#include "fast/kernels_fast.h"
#include "io/checkpoint.h"
#include "io/error.h"
#include "io/npy.h"

namespace rql {

// An unknown environment name is bad usage (exit 2), not a failed run.
EnvInfo env_info_or_usage(const std::string& name) {
  try {
    return env_info(name);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

namespace {

// ---- The evaluation policy: the EMA actor, fresh noise from its own stream.

struct EvalPolicy {
  const Agent* agent;
  Rng* rng;
  std::vector<real> x0, work;
};

void eval_policy(void* ctx, const real* obs, real* chunk) {
  EvalPolicy* p = static_cast<EvalPolicy*>(ctx);
  for (real& x : p->x0) x = static_cast<real>(rng_normal(*p->rng));
  agent_act(*p->agent, obs, p->x0.data(), 1, chunk, p->work.data());
}

}  // namespace

EvalResult evaluate(const Agent& agent, const std::string& env, int task, int episodes, uint64_t env_seed,
                    uint64_t noise_seed, std::vector<std::vector<real>>* traj) {
  Rng noise = rng_make(noise_seed, kStreamEval);
  EvalPolicy p{&agent, &noise, {}, {}};
  p.x0.assign(agent.actor_shape.A, 0);
  p.work.assign(flow_work_size(agent.actor_shape, 1), 0);
  return env_evaluate(env, task, agent.cfg.h, eval_policy, &p, episodes, env_seed, traj);
}

std::string eval_line(const EvalResult& r, bool bandit) {
  char buf[256];
  if (bandit)
    std::snprintf(buf, sizeof buf, "reward/step %.4f +- %.4f (optimal %.4f, normalized %.3f), success %.3f",
                  r.mean_reward, r.reward_ci95, r.optimal_reward, r.normalized_score, r.success_rate);
  else
    std::snprintf(buf, sizeof buf, "success %.3f +- %.3f (Wilson 95%% [%.3f, %.3f]), return %.1f +- %.1f",
                  r.success_rate, r.success_ci95, r.success_lo, r.success_hi, r.mean_return, r.return_ci95);
  return buf;
}

std::string maze_caption(const EvalResult& r, long step) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "success %.0f%% of %d episodes (Wilson 95%% [%.0f%%, %.0f%%])",
                100 * r.success_rate, r.episodes, 100 * r.success_lo, 100 * r.success_hi);
  return std::string(buf) + (step >= 0 ? ", policy after " + std::to_string(step) + " updates" : "");
}

namespace {

int eval_main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"env", "NAME", "environment: bandit, pointmaze-medium, pointmaze-large", "the checkpoint's"},
      {"task", "T", "task (pointmaze: 1 or 2)", "the checkpoint's, else 1"},
      {"episodes", "N", "evaluation episodes", "100"},
      {"seed", "S", "seed of the environment's resets and of the policy noise", "0"},
      {"svg", "FILE", "(pointmaze) draw the trajectories into an SVG", ""},
      {"force", "", "evaluate even where the checkpoint was trained for another env or task", ""},
      {"threads", "N", "threads computing the actions (results do not depend on it)", "the number of cores"},
  };
  const ParsedArgs a = parse_flags(argc, argv, 1, specs);
  if (a.has("help")) {
    std::printf("usage: rql eval CHECKPOINT [--env NAME] [--task T] [--episodes N] [--seed S] [--svg FILE] [--force]\n"
                "                [--threads N]\n\n"
                "Evaluate the EMA actor of a checkpoint (docs/spec.md §2: Euler sampling from the target actor,\n"
                "action chunks executed open loop). Prints the success rate and mean return with 95%%\n"
                "confidence intervals (for the bandit: reward per step and its ratio to the optimum).\n\n"
                "A checkpoint written by `rql train` records the environment and task it was trained for;\n"
                "they are the defaults. Evaluating it in another environment or task is refused unless\n"
                "--force is given (a policy trained for one maze goal is not meant to reach another).\n"
                "A checkpoint without that record (`rql checkpoint import`, older files) needs --env.\n\n%s",
                flags_help(specs).c_str());
    return 0;
  }
  if (a.positional.size() != 1) throw UsageError("expected one CHECKPOINT path; see --help");
  const std::string path = a.positional[0];
  const bool force = a.has("force") && a.get("force", "") != "false";
  // Flags first: the checkpoint's record is needed only for the defaults.
  const int episodes = static_cast<int>(flag_int(a, "episodes", 100, 1, 10000000));
  const uint64_t seed = static_cast<uint64_t>(flag_int(a, "seed", 0, 0, 1LL << 62));
  if (a.has("svg") && a.get("svg", "").empty()) throw UsageError("--svg needs a file name");
  if (a.has("env")) {  // a bad --env or --task is reported before the checkpoint is read
    const EnvInfo info = env_info_or_usage(a.get("env", ""));
    flag_int(a, "task", 1, 1, info.num_tasks);
  }
  CheckpointInfo ckpt;
  Agent agent = checkpoint_load(path, &ckpt);
  const auto run = parse_kv_lines(ckpt.run_text);
  const std::string trained_env = run.count("env") ? run.at("env") : "";
  const int trained_task = run.count("task") ? std::atoi(run.at("task").c_str()) : 0;
  if (!a.has("env") && trained_env.empty())
    throw UsageError(path + " does not record the environment it was trained for: give --env NAME");
  const std::string env = a.get("env", trained_env);
  const EnvInfo info = env_info_or_usage(env);
  const int task = static_cast<int>(
      flag_int(a, "task", env == trained_env && trained_task >= 1 && trained_task <= info.num_tasks ? trained_task : 1,
               1, info.num_tasks));
  if (a.has("svg") && env == "bandit")
    throw UsageError("--svg draws maze trajectories; bandit has no maze (use a pointmaze environment)");
  if (agent.cfg.obs_dim != info.obs_dim || agent.cfg.action_dim != info.action_dim)
    throw Error(path + ": the checkpoint's obs_dim/action_dim (" + std::to_string(agent.cfg.obs_dim) + "/" +
                std::to_string(agent.cfg.action_dim) + ") do not match " + env + " (" + std::to_string(info.obs_dim) +
                "/" + std::to_string(info.action_dim) + ")" +
                (trained_env.empty() ? "" : "; it was trained for " + trained_env));
  if (!trained_env.empty() && (env != trained_env || (trained_task > 0 && task != trained_task))) {
    const std::string what = "was trained for " + trained_env + " task " + std::to_string(trained_task) +
                             ", not " + env + " task " + std::to_string(task);
    if (!force) throw Error(path + " " + what + ": give --force to evaluate it there anyway");
    std::fprintf(stderr, "rql eval: warning: %s %s (evaluating anyway: --force)\n", path.c_str(), what.c_str());
  }
  FastKernels fast;
  agent_set_kernels(agent, &kernels_default(fast, static_cast<int>(flag_int(a, "threads", default_threads(), 1, 256))));
  std::vector<std::vector<real>> traj;
  const EvalResult r = evaluate(agent, env, task, episodes, seed, seed, a.has("svg") ? &traj : nullptr);
  std::printf("checkpoint %s (step %ld%s)\nenv %s task %d, %d episodes\n%s\n", path.c_str(), agent.step,
              trained_env.empty() ? ", environment not recorded" : (", trained for " + trained_env + " task " +
                                                                    std::to_string(trained_task)).c_str(),
              env.c_str(), task, episodes, eval_line(r, env == "bandit").c_str());
  if (a.has("svg")) write_file_bytes(a.get("svg", ""), maze_svg(env, task, traj, maze_caption(r, agent.step)));
  return 0;
}

}  // namespace

int cmd_eval(int argc, char** argv) { return run_guarded("eval", eval_main, argc, argv); }

}  // namespace rql
