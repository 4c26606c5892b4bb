// cli_env.cpp: `rql make-dataset`, an offline dataset for a built-in
// environment (env.h), and with --svg a picture of a maze with its noiseless
// oracle's evaluation trajectories (how docs/img/pointmaze-*.svg are made).
//
// Exit codes (cli.h): 0 done, 1 the work failed (cannot write), 2 bad usage.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "cli_args.h"
#include "io/dataset.h"
#include "envs/env.h"
#include "envs/env_bandit.h"
#include "io/error.h"
#include "svg.h"

namespace rql {
namespace {

void print_help(FILE* out) {
  std::fprintf(out,
               "usage: rql make-dataset ENV --episodes N --out PATH [--task T] [--seed S]\n"
               "       rql make-dataset ENV --svg FILE.svg [--task T] [--svg-episodes K] [--seed S]\n"
               "\n"
               "Generate an offline dataset for a built-in environment (docs/environments.md).\n"
               "\n"
               "  ENV               one of: ");
  const std::vector<std::string> names = env_names();
  for (size_t i = 0; i < names.size(); ++i) std::fprintf(out, "%s%s", i ? ", " : "", names[i].c_str());
  std::fprintf(out,
               "\n"
               "  --episodes N      collection episodes (bandit: 5 steps each; pointmaze: 1000 steps each)\n"
               "  --out PATH        where to write: a .npz archive if PATH ends in .npz, else a folder of .npy files\n"
               "  --task T          evaluation task the rewards and masks are relabelled for\n"
               "                    (pointmaze: 1 or 2; bandit: 1) [1]\n"
               "  --seed S          random seed; the same seed gives the same bytes [0]\n"
               "  --svg FILE.svg    (pointmaze) also draw the maze, the task's start and goal, and\n"
               "                    the noiseless oracle's evaluation trajectories\n"
               "  --svg-episodes K  trajectories to draw with --svg [5]\n"
               "  --help            this text\n"
               "\n"
               "example: rql make-dataset pointmaze-medium --task 1 --episodes 100 --seed 0 --out medium.npz\n");
}

struct Options {
  std::string env, out, svg;
  int task = 1;
  long episodes = 0;
  unsigned long long seed = 0;
  int svg_episodes = 5;
};

const std::vector<FlagSpec> kFlags = {
    {"episodes", "N", "collection episodes", ""},
    {"out", "PATH", "where to write", ""},
    {"task", "T", "evaluation task", "1"},
    {"seed", "S", "random seed", "0"},
    {"svg", "FILE.svg", "draw the maze and oracle trajectories", ""},
    {"svg-episodes", "K", "trajectories to draw with --svg", "5"},
};

// Flags through cli_args.h; throws UsageError (exit 2).
Options parse(int argc, char** argv) {
  const ParsedArgs a = parse_flags(argc, argv, 1, kFlags);
  Options o;
  if (a.positional.size() > 1)
    throw UsageError("unexpected argument '" + a.positional[1] + "' (the environment is already '" +
                     a.positional[0] + "')");
  if (a.positional.empty()) throw UsageError("which environment? (first argument)");
  o.env = a.positional[0];
  o.episodes = static_cast<long>(flag_int(a, "episodes", 0, 1, 100000000));
  o.task = static_cast<int>(flag_int(a, "task", 1, 1, 1000));
  o.seed = static_cast<unsigned long long>(flag_int(a, "seed", 0, 0, 0x7FFFFFFFFFFFFFFFLL));
  o.svg_episodes = static_cast<int>(flag_int(a, "svg-episodes", 5, 1, 100));
  o.out = a.get("out", "");
  o.svg = a.get("svg", "");
  if (a.has("out") && o.out.empty()) throw UsageError("--out needs a non-empty path");
  if (a.has("svg") && o.svg.empty()) throw UsageError("--svg needs a non-empty path");
  if (o.out.empty() && o.svg.empty()) throw UsageError("nothing to do: give --out PATH (and --episodes N), or --svg FILE");
  if (!o.out.empty() && o.episodes == 0) throw UsageError("--out needs --episodes N");
  if (o.out.empty() && o.episodes != 0) throw UsageError("--episodes given without --out PATH");
  if (o.svg.empty() && a.has("svg-episodes")) throw UsageError("--svg-episodes given without --svg FILE");
  return o;
}

void print_summary(const Options& o, const Dataset& d, double seconds) {
  std::printf("%s task %d, seed %llu: %ld episodes, %ld transitions (obs_dim %d, action_dim %d), %.2f s\n",
              o.env.c_str(), o.task, o.seed, o.episodes, d.n, d.obs_dim, d.action_dim, seconds);
  if (o.env == "bandit") {
    double sum = 0.0;
    for (real r : d.rewards) sum += static_cast<double>(r);
    std::printf("  mean reward %.4f per step (behaviour closed form %.6f, optimum %.6f)\n", sum / static_cast<double>(d.n),
                bandit_behaviour_reward(), bandit_optimal_reward());
    return;
  }
  long hits = 0, episodes_hit = 0;
  bool hit_this_episode = false;
  for (long i = 0; i < d.n; ++i) {
    const bool success = d.masks[static_cast<size_t>(i)] == real(0);
    hits += success ? 1 : 0;
    hit_this_episode = hit_this_episode || success;
    if (d.terminals[static_cast<size_t>(i)] == real(1)) {
      episodes_hit += hit_this_episode ? 1 : 0;
      hit_this_episode = false;
    }
  }
  std::printf("  at the task's goal (reward 0, mask 0): %ld transitions (%.3f%%), in %ld of %ld episodes\n", hits,
              100.0 * static_cast<double>(hits) / static_cast<double>(d.n), episodes_hit, o.episodes);
}

}  // namespace

int cmd_make_dataset(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      print_help(stdout);
      return 0;
    }
  Options o;
  try {
    o = parse(argc, argv);
    const EnvInfo info = env_info(o.env);  // throws, listing the valid names
    if (o.task > info.num_tasks)
      throw UsageError("environment '" + o.env + "' has " +
                       (info.num_tasks == 1 ? std::string("task 1 only") : "tasks 1.." + std::to_string(info.num_tasks)) +
                       "; got --task " + std::to_string(o.task));
    if (!o.svg.empty() && o.env == "bandit") throw UsageError("--svg draws a maze; 'bandit' has none");
  } catch (const UsageError& u) {
    std::fprintf(stderr, "rql make-dataset: %s\n(see rql make-dataset --help)\n", u.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql make-dataset: %s\n", e.what());
    return 2;
  }

  try {
    if (!o.out.empty()) {
      const auto t0 = std::chrono::steady_clock::now();
      const Dataset d = env_make_dataset(o.env, o.task, o.episodes, o.seed);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      print_summary(o, d, seconds);
      dataset_save(d, o.out);
      std::printf("  wrote %s\n", o.out.c_str());
    }
    if (!o.svg.empty()) {
      // The noiseless oracle from evaluation resets of this seed.
      EnvOracle oracle = env_oracle(o.env, o.task, 1);
      std::vector<std::vector<real>> trajectories;
      const EvalResult res =
          env_evaluate(o.env, o.task, 1, env_oracle_policy, &oracle, o.svg_episodes, o.seed, &trajectories);
      char caption[128];
      std::snprintf(caption, sizeof caption, "noiseless oracle, %d episodes (seed %llu): success %.0f%%",
                    o.svg_episodes, static_cast<unsigned long long>(o.seed), 100.0 * res.success_rate);
      svg_write_file(o.svg, maze_svg(o.env, o.task, trajectories, caption));
      std::printf("  wrote %s (%d oracle trajectories, success %.0f%%, mean length %.1f steps)\n", o.svg.c_str(),
                  o.svg_episodes, 100.0 * res.success_rate, res.mean_length);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "rql make-dataset: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rql
