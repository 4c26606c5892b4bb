// env.cpp: the environment registry, the open-loop chunk evaluator and the
// oracle policies (env.h). The environments themselves live in
// env_bandit.cpp and env_pointmaze.cpp.
#include "env.h"

#include <algorithm>
#include <cmath>

#include "env_bandit.h"
#include "env_pointmaze.h"
#include "io/error.h"
#include "core/rng.h"

namespace rql {

real env_stored(double v) {
  // Through `volatile`: GCC 12.2 at -O2 (its SLP vectorizer) drops a
  // (double)(float) round trip done on two neighbouring values (wrong code,
  // caught by EnvTest.DatasetValuesAreFloat32InEveryBuild in a double build).
  volatile float f = static_cast<float>(v);
  return static_cast<real>(f);
}

double env_clip1(double v) {
  if (!(v == v)) return 0.0;
  return std::min(1.0, std::max(-1.0, v));
}

namespace {

const char* const kBandit = "bandit";

std::string valid_names() {
  std::string s;
  for (const std::string& n : env_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Throws unless `task` is valid for `name`; returns the environment's info.
EnvInfo check(const std::string& name, int task) {
  EnvInfo info = env_info(name);
  if (task < 1 || task > info.num_tasks)
    throw Error("environment '" + name + "' has task" + (info.num_tasks == 1 ? " 1 only" : "s 1.." + std::to_string(info.num_tasks)) +
                "; got task " + std::to_string(task));
  return info;
}

// Mean and 1.96 * sample std / sqrt(n) of v (0 half-width for n < 2).
void mean_ci95(const std::vector<double>& v, double* mean, double* ci) {
  const double n = static_cast<double>(v.size());
  double sum = 0.0;
  for (double x : v) sum += x;
  *mean = v.empty() ? 0.0 : sum / n;
  double ss = 0.0;
  for (double x : v) ss += (x - *mean) * (x - *mean);
  *ci = v.size() < 2 ? 0.0 : 1.96 * std::sqrt(ss / (n - 1.0)) / std::sqrt(n);
}

// Wilson score interval for k successes in n trials, z = 1.96.
void wilson95(double k, double n, double* lo, double* hi) {
  if (n <= 0) {
    *lo = 0.0;
    *hi = 1.0;
    return;
  }
  const double z = 1.96, p = k / n, z2n = z * z / n;
  const double centre = (p + z2n / 2.0) / (1.0 + z2n);
  const double half = z * std::sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / (1.0 + z2n);
  *lo = std::max(0.0, centre - half);
  *hi = std::min(1.0, centre + half);
}

}  // namespace

std::vector<std::string> env_names() { return {kBandit, "pointmaze-medium", "pointmaze-large"}; }

EnvInfo env_info(const std::string& name) {
  EnvInfo info;
  info.name = name;
  if (name == kBandit) {
    info.obs_dim = kBanditObsDim;
    info.action_dim = kBanditActionDim;
    info.max_steps = kBanditSteps;
    info.num_tasks = 1;
    info.summary = "contextual 3-mode bandit, 5-step episodes, exact optimum 3/4 per step";
    return info;
  }
  if (const Maze* m = pointmaze_find(name)) {
    info.obs_dim = 2;
    info.action_dim = 2;
    info.max_steps = kMazeEvalSteps;
    info.num_tasks = 2;
    info.summary = std::string("2-D maze navigation (") + std::to_string(m->rows) + "x" + std::to_string(m->cols) +
                   " cells), xy += 0.2 a, success within 1.0 of the goal";
    return info;
  }
  throw Error("unknown environment '" + name + "' (valid: " + valid_names() + ")");
}

Dataset env_make_dataset(const std::string& name, int task, long episodes, uint64_t seed) {
  check(name, task);
  if (episodes < 1) throw Error("episodes must be at least 1; got " + std::to_string(episodes));
  if (name == kBandit) return bandit_make_dataset(episodes, seed);
  return pointmaze_make_dataset(*pointmaze_find(name), task, episodes, seed);
}

EvalResult env_evaluate(const std::string& name, int task, int h, PolicyFn policy, void* ctx, int episodes,
                        uint64_t seed, std::vector<std::vector<real>>* trajectories) {
  const EnvInfo info = check(name, task);
  if (h < 1) throw Error("the chunk length h must be at least 1; got " + std::to_string(h));
  if (episodes < 1) throw Error("evaluation episodes must be at least 1; got " + std::to_string(episodes));
  if (!policy) throw Error("env_evaluate: no policy given");
  const Maze* maze = pointmaze_find(name);  // null for the bandit
  const int adim = info.action_dim;
  std::vector<real> obs(static_cast<size_t>(info.obs_dim));
  std::vector<real> chunk(static_cast<size_t>(h * adim));  // (h, adim)
  std::vector<double> successes, returns, lengths, step_rewards;
  Rng r = rng_make(seed, kStreamEval);

  for (int e = 0; e < episodes; ++e) {
    std::vector<real> traj;
    double ret = 0.0;
    bool success = false;
    int t = 0;
    if (maze) {
      const Cell goal = maze->goal[task - 1];
      double xy[2];
      pointmaze_cell_centre(maze->start[task - 1], xy);
      xy[0] += static_cast<double>(rng_range(r, -kMazeStartNoise, kMazeStartNoise));  // draw order: x, then y
      xy[1] += static_cast<double>(rng_range(r, -kMazeStartNoise, kMazeStartNoise));
      traj.push_back(static_cast<real>(xy[0]));
      traj.push_back(static_cast<real>(xy[1]));
      for (; t < info.max_steps && !success; ++t) {
        if (t % h == 0) {
          obs[0] = static_cast<real>(xy[0]);
          obs[1] = static_cast<real>(xy[1]);
          policy(ctx, obs.data(), chunk.data());
        }
        const int k = t % h;  // action k of the chunk
        const double a[2] = {chunk[static_cast<size_t>(k * adim)], chunk[static_cast<size_t>(k * adim + 1)]};
        pointmaze_step(*maze, xy, a);
        success = pointmaze_success(xy, goal);
        ret += success ? 0.0 : -1.0;
        traj.push_back(static_cast<real>(xy[0]));
        traj.push_back(static_cast<real>(xy[1]));
      }
    } else {
      const real c = static_cast<real>(rng_range(r, -1.0, 1.0));
      obs[0] = c;
      for (; t < info.max_steps; ++t) {
        if (t % h == 0) policy(ctx, obs.data(), chunk.data());
        const int k = t % h;
        const double a[2] = {chunk[static_cast<size_t>(k * adim)], chunk[static_cast<size_t>(k * adim + 1)]};
        const double rew = bandit_reward(c, a);
        ret += rew;
        step_rewards.push_back(rew);
        // Executed actions, clipped as the environment sees them.
        traj.push_back(static_cast<real>(std::fmin(1.0, std::fmax(-1.0, a[0]))));
        traj.push_back(static_cast<real>(std::fmin(1.0, std::fmax(-1.0, a[1]))));
      }
      success = ret / info.max_steps >= 0.5 * bandit_context_optimum(c);
    }
    successes.push_back(success ? 1.0 : 0.0);
    returns.push_back(ret);
    lengths.push_back(static_cast<double>(t));
    if (trajectories) trajectories->push_back(std::move(traj));
  }

  EvalResult res;
  res.episodes = episodes;
  mean_ci95(successes, &res.success_rate, &res.success_ci95);
  double k = 0.0;
  for (double s : successes) k += s;
  wilson95(k, episodes, &res.success_lo, &res.success_hi);
  mean_ci95(returns, &res.mean_return, &res.return_ci95);
  double unused;
  mean_ci95(lengths, &res.mean_length, &unused);
  if (!maze) {
    // Steps within an episode share a context, so the per-step interval is
    // computed from per-episode means (independent samples).
    std::vector<double> per_episode;
    for (double ret : returns) per_episode.push_back(ret / info.max_steps);
    mean_ci95(per_episode, &res.mean_reward, &res.reward_ci95);
    res.optimal_reward = bandit_optimal_reward();
    res.normalized_score = res.mean_reward / res.optimal_reward;
  }
  return res;
}

EnvOracle env_oracle(const std::string& name, int task, int h) {
  check(name, task);
  if (h < 1) throw Error("the chunk length h must be at least 1; got " + std::to_string(h));
  EnvOracle o;
  o.name = name;
  o.task = task;
  o.h = h;
  if (const Maze* m = pointmaze_find(name)) o.dist = pointmaze_bfs(*m, m->goal[task - 1]);
  return o;
}

void env_oracle_policy(void* ctx, const real* obs, real* chunk) {
  const EnvOracle& o = *static_cast<const EnvOracle*>(ctx);
  const Maze* m = pointmaze_find(o.name);
  if (!m) {
    // Bandit: every action of the chunk at the best mode's centre.
    double centre[2];
    bandit_mode_centre(bandit_best_mode(obs[0]), centre);
    for (int k = 0; k < o.h; ++k) {
      chunk[2 * k] = static_cast<real>(centre[0]);  // chunk is (h, 2)
      chunk[2 * k + 1] = static_cast<real>(centre[1]);
    }
    return;
  }
  const Cell goal = m->goal[o.task - 1];
  double xy[2] = {obs[0], obs[1]};
  for (int k = 0; k < o.h; ++k) {
    double a[2];
    pointmaze_oracle_action(*m, o.dist, goal, xy, a);
    chunk[2 * k] = static_cast<real>(a[0]);
    chunk[2 * k + 1] = static_cast<real>(a[1]);
    pointmaze_step(*m, xy, a);  // plan the rest of the chunk in the model
  }
}

std::string maze_svg(const std::string& env, int task, const std::vector<std::vector<real>>& trajectories,
                     const std::string& caption) {
  check(env, task);
  const Maze* m = pointmaze_find(env);
  if (!m) throw Error("maze_svg: '" + env + "' is not a maze (mazes: pointmaze-medium, pointmaze-large)");
  return pointmaze_svg(*m, task, trajectories, caption);
}

}  // namespace rql
