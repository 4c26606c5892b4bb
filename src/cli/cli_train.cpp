// cli_train.cpp: `rql train` (offline training with periodic evaluation,
// CSV logs, crash-safe checkpoints, exact resume) and `rql eval` (evaluate a
// checkpoint's EMA policy).
//
// A run folder (--out) holds:
//   run.txt         where the data came from and the loop settings (resume reads it)
//   config.txt      the RQL config (SPEC 6 keys)
//   train.csv       one row every --log_interval updates
//   eval.csv        one row per evaluation
//   checkpoint.bin  the latest checkpoint (atomic replace, checkpoint.h)
//   maze.svg        (pointmaze) the last evaluation's trajectories
//   summary.txt     the final summary
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <unistd.h>

#include "io/checkpoint.h"
#include "cli.h"
#include "fast/kernels_fast.h"
#include "cli_args.h"
#include "envs/env.h"
#include "io/error.h"
#include "io/npy.h"
#include "core/train.h"

namespace rql {

namespace {

using Clock = std::chrono::steady_clock;

// Loop and data settings: the flags that are not RQL config keys.
std::vector<FlagSpec> loop_flags() {
  return {
      {"env", "NAME", "built-in environment: bandit, pointmaze-medium, pointmaze-large", ""},
      {"task", "T", "evaluation task (pointmaze: 1 or 2)", "1"},
      {"dataset", "PATH", "train on this dataset (.npz or folder of .npy) instead of generating one", ""},
      {"episodes", "N", "episodes of the generated dataset (with --env and no --dataset)", "env default"},
      {"data_seed", "S", "seed of the generated dataset", "0"},
      {"sparse", "", "rewards -> -1 * (r != 0) (the authors' --sparse)", ""},
      {"steps", "N", "total updates", "10000"},
      {"eval_interval", "N", "evaluate every N updates (0: only at the end)", "0"},
      {"eval_episodes", "N", "episodes per evaluation", "50"},
      {"log_interval", "N", "write a train.csv row every N updates", "100"},
      {"checkpoint_interval", "N", "save checkpoint.bin every N updates (0: only at the end)", "5000"},
      {"out", "DIR", "run folder", "runs/<env>-s<seed>"},
      {"resume", "", "continue the run in --out from its checkpoint, exactly", ""},
      {"threads", "N", "worker threads (1 = single-threaded; only 1 is implemented)", "1"},
      {"quiet", "", "no progress line", ""},
  };
}

std::vector<FlagSpec> config_flags() {
  std::vector<FlagSpec> f;
  const RqlConfig d;
  const std::map<std::string, std::string> meaning = {
      {"h", "action-chunk length"},
      {"alpha", "weight of the flow-matching (BC) loss"},
      {"expectile", "critic expectile tau, in (0, 1)"},
      {"ensemble_ct", "value ensemble size K"},
      {"rho", "pessimism: target = mean - rho * std over the ensemble"},
      {"lr", "Adam learning rate"},
      {"discount", "discount gamma"},
      {"batch_size", "batch size B (even)"},
      {"actor_hidden_dims", "actor hidden layer sizes, comma-separated"},
      {"value_hidden_dims", "value hidden layer sizes, comma-separated"},
      {"layer_norm", "LayerNorm in the value nets (true/false)"},
      {"actor_layer_norm", "LayerNorm in the actor (true/false)"},
      {"tau", "target value Polyak rate"},
      {"ema", "target actor EMA rate (the evaluated policy)"},
      {"flow_steps", "flow steps F"},
      {"reversal", "euler (the authors') or exact (docs/flow.md)"},
      {"seed", "seed of the networks, batches and update noise"},
      {"bc_only", "flow-BC baseline: train the actor on the BC loss alone (not SPEC)"},
  };
  for (const std::string& k : config_keys()) {
    if (k == "obs_dim" || k == "action_dim") continue;  // from the dataset
    const auto it = meaning.find(k);
    f.push_back({k, "V", it == meaning.end() ? "RQL config key" : it->second, config_get(d, k)});
  }
  return f;
}

// key=value lines into a map ("run.txt").
std::map<std::string, std::string> parse_kv(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && line[0] != '#') kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

// An unknown environment name is bad usage (exit 2), not a failed run.
EnvInfo env_info_or_usage(const std::string& name) {
  try {
    return env_info(name);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

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

// Evaluation never changes the agent: its policy noise comes from a stream
// of its own, seeded from `noise_seed`, so the evaluation schedule cannot
// change training or the checkpoints (unlike the authors' shared generator,
// SPEC 7). Environment resets come from `env_seed` (env.h).
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

const char* kTrainHeader =
    "step,time_s,updates_per_s,total_loss,actor_loss,bc_loss,q_loss,critic_loss,q_mean,q_max,q_min,"
    "q_ahead_mean,q_ahead_max,q_ahead_min,grad_max,grad_min,grad_norm,valid_frac,exact_failures\n";
const char* kEvalHeader =
    "step,success_rate,success_ci95,success_lo,success_hi,mean_return,return_ci95,mean_reward,normalized_score\n";

// Keep the header and the rows whose first column (step) is <= last_step:
// rows written after the checkpoint a run resumes from are dropped, so the
// resumed run rewrites them exactly.
void truncate_csv(const std::string& path, long last_step, const char* header) {
  std::string out = header;
  if (file_exists(path)) {
    std::stringstream ss(read_file_text(path));
    std::string line;
    std::getline(ss, line);  // header
    while (std::getline(ss, line))
      if (!line.empty() && std::atol(line.c_str()) <= last_step) out += line + "\n";
  }
  write_file_bytes(path, out);
}

struct LoopSettings {
  std::string env, dataset;
  int task = 1;
  long episodes = 0;
  uint64_t data_seed = 0;
  bool sparse = false;
  long steps = 10000, eval_interval = 0, eval_episodes = 50, log_interval = 100, checkpoint_interval = 5000;
};

std::string settings_text(const LoopSettings& s) {
  std::string t;
  t += "env=" + s.env + "\n";
  t += "task=" + std::to_string(s.task) + "\n";
  t += "dataset=" + s.dataset + "\n";
  t += "episodes=" + std::to_string(s.episodes) + "\n";
  t += "data_seed=" + std::to_string(s.data_seed) + "\n";
  t += std::string("sparse=") + (s.sparse ? "true" : "false") + "\n";
  t += "steps=" + std::to_string(s.steps) + "\n";
  t += "eval_interval=" + std::to_string(s.eval_interval) + "\n";
  t += "eval_episodes=" + std::to_string(s.eval_episodes) + "\n";
  t += "log_interval=" + std::to_string(s.log_interval) + "\n";
  t += "checkpoint_interval=" + std::to_string(s.checkpoint_interval) + "\n";
  return t;
}

LoopSettings settings_from(const std::map<std::string, std::string>& kv) {
  LoopSettings s;
  auto get = [&](const char* k) { const auto it = kv.find(k); return it == kv.end() ? std::string() : it->second; };
  s.env = get("env");
  s.dataset = get("dataset");
  s.task = std::atoi(get("task").c_str());
  s.episodes = std::atol(get("episodes").c_str());
  s.data_seed = std::strtoull(get("data_seed").c_str(), nullptr, 10);
  s.sparse = get("sparse") == "true";
  s.steps = std::atol(get("steps").c_str());
  s.eval_interval = std::atol(get("eval_interval").c_str());
  s.eval_episodes = std::atol(get("eval_episodes").c_str());
  s.log_interval = std::atol(get("log_interval").c_str());
  s.checkpoint_interval = std::atol(get("checkpoint_interval").c_str());
  return s;
}

// The default number of generated episodes per environment (docs/results.md).
long default_episodes(const std::string& env) { return env == "bandit" ? 2000 : 500; }

Dataset load_data(const LoopSettings& s) {
  Dataset d;
  if (!s.dataset.empty()) {
    d = dataset_load(s.dataset);
  } else {
    std::fprintf(stderr, "generating %ld episodes of %s (task %d, seed %llu)...\n", s.episodes, s.env.c_str(), s.task,
                 static_cast<unsigned long long>(s.data_seed));
    d = env_make_dataset(s.env, s.task, s.episodes, s.data_seed);
  }
  dataset_preprocess(d, s.sparse);
  return d;
}

const char* kTrainUsage =
    "usage: rql train --env NAME [--task T] [--dataset PATH] [--steps N] [--seed S] [--out DIR] [CONFIG FLAGS]\n"
    "       rql train --out DIR --resume [--steps N]\n"
    "\n"
    "Train an RQL flow policy offline (SPEC 3-5) and evaluate its EMA actor (SPEC 2) in the\n"
    "environment as it goes. Without --dataset, a dataset is generated for --env (make-dataset).\n"
    "Every RQL config key of SPEC 6 is a flag: --alpha=10 --expectile=0.9 --h=1 --flow_steps=10\n"
    "--actor_hidden_dims=256,256 --reversal=exact ... (defaults are the authors': 4x512 nets, K = 10).\n"
    "Progress goes to stderr; train.csv, eval.csv, checkpoint.bin and summary.txt to the run folder.\n"
    "A killed run loses at most --checkpoint_interval updates: `--resume` continues it exactly\n"
    "(bit-identical to an uninterrupted run).\n"
    "\nloop and data flags:\n";

int train_main(int argc, char** argv) {
  std::vector<FlagSpec> specs = loop_flags();
  const std::vector<FlagSpec> cfg_specs = config_flags();
  specs.insert(specs.end(), cfg_specs.begin(), cfg_specs.end());
  const ParsedArgs a = parse_flags(argc, argv, 1, specs);
  if (a.has("help")) {
    std::printf("%s%s\nRQL config flags (SPEC 6):\n%s\nexample (as in `make demo`):\n  rql train --env bandit "
                "--steps 30000 --h=1 --alpha=0.1 --batch_size=128 --actor_hidden_dims=64,64 "
                "--value_hidden_dims=64,64 --ensemble_ct=2 --out runs/bandit\n",
                kTrainUsage, flags_help(loop_flags()).c_str(), flags_help(cfg_specs).c_str());
    return 0;
  }
  if (!a.positional.empty()) throw UsageError("unexpected argument '" + a.positional[0] + "'");
  const long threads = flag_int(a, "threads", 1, 1, 256);
  if (threads != 1) throw UsageError("--threads: only 1 is implemented in this version");
  const bool resume = a.has("resume");
  const bool quiet = a.has("quiet");

  LoopSettings s;
  Trainer t;
  std::string out;
  if (resume) {
    if (!a.has("out")) throw UsageError("--resume needs --out DIR (the run to continue)");
    out = a.get("out", "");
    for (const auto& kv : a.values)
      if (kv.first != "out" && kv.first != "resume" && kv.first != "steps" && kv.first != "quiet" &&
          kv.first != "threads")
        throw UsageError("--" + kv.first + " cannot change on --resume: the run's settings are in " + out +
                         "/run.txt and config.txt (only --steps may extend the run)");
    s = settings_from(parse_kv(read_file_text(out + "/run.txt")));
    s.steps = flag_int(a, "steps", s.steps, 1, 1L << 40);
    Agent agent = checkpoint_load(out + "/checkpoint.bin");
    const std::string err = trainer_init_with_agent(t, std::move(agent), load_data(s));
    if (!err.empty()) throw Error(err);
    agent_set_kernels(t.agent, &kernels_default());
    truncate_csv(out + "/train.csv", t.agent.step, kTrainHeader);
    truncate_csv(out + "/eval.csv", t.agent.step, kEvalHeader);
    std::fprintf(stderr, "resuming %s at step %ld of %ld\n", out.c_str(), t.agent.step, s.steps);
  } else {
    s.env = a.get("env", "");
    s.dataset = a.get("dataset", "");
    if (s.env.empty() && s.dataset.empty()) throw UsageError("give --env NAME (and optionally --dataset PATH); see --help");
    if (!s.env.empty()) {
      const EnvInfo info = env_info_or_usage(s.env);
      s.task = static_cast<int>(flag_int(a, "task", 1, 1, info.num_tasks));
    }
    s.episodes = flag_int(a, "episodes", default_episodes(s.env), 1, 100000000);
    s.data_seed = static_cast<uint64_t>(flag_int(a, "data_seed", 0, 0, 1LL << 62));
    s.sparse = a.has("sparse") && a.get("sparse", "") != "false";
    s.steps = flag_int(a, "steps", 10000, 1, 1L << 40);
    s.eval_interval = flag_int(a, "eval_interval", 0, 0, 1L << 40);
    s.eval_episodes = flag_int(a, "eval_episodes", 50, 1, 1000000);
    s.log_interval = flag_int(a, "log_interval", 100, 1, 1L << 40);
    s.checkpoint_interval = flag_int(a, "checkpoint_interval", 5000, 0, 1L << 40);
    RqlConfig cfg;
    for (const FlagSpec& f : cfg_specs)
      if (a.has(f.name)) {
        const std::string err = config_set(cfg, f.name, a.get(f.name, ""));
        if (!err.empty()) throw UsageError("--" + err);
      }
    Dataset data = load_data(s);
    cfg.obs_dim = data.obs_dim;
    cfg.action_dim = data.action_dim;
    const std::string verr = config_validate(cfg);
    if (!verr.empty()) throw UsageError(verr);
    out = a.get("out", "runs/" + (s.env.empty() ? std::string("dataset") : s.env) + "-s" + std::to_string(cfg.seed));
    if (file_exists(out + "/checkpoint.bin"))
      throw UsageError(out + " already holds a run (checkpoint.bin): use --resume to continue it, or another --out");
    const std::string err = trainer_init(t, cfg, std::move(data));
    if (!err.empty()) throw UsageError(err);
    agent_set_kernels(t.agent, &kernels_default());
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) throw Error(out + ": cannot create folder (" + ec.message() + ")");
    write_file_bytes(out + "/run.txt", settings_text(s));
    write_file_bytes(out + "/config.txt", config_to_text(cfg));
    write_file_bytes(out + "/train.csv", kTrainHeader);
    write_file_bytes(out + "/eval.csv", kEvalHeader);
  }

  const RqlConfig& cfg = t.agent.cfg;
  const bool can_eval = !s.env.empty();
  const bool bandit = s.env == "bandit";
  const uint64_t env_seed = cfg.seed + 1000;  // every evaluation sees the same start states
  std::fprintf(stderr, "run %s: %ld transitions, %zu episodes usable; %ld updates of batch %d (h %d, K %d, F %d, %s)\n",
               out.c_str(), t.data.n, t.sampler.episodes.size(), s.steps, cfg.batch_size, cfg.h, cfg.ensemble_ct,
               cfg.flow_steps, cfg.reversal == Reversal::kExact ? "exact reversal" : "euler reversal");

  FILE* train_csv = std::fopen((out + "/train.csv").c_str(), "a");
  FILE* eval_csv = std::fopen((out + "/eval.csv").c_str(), "a");
  if (!train_csv || !eval_csv) throw Error(out + ": cannot append to train.csv / eval.csv");
  const bool tty = isatty(fileno(stderr));
  const Clock::time_point start = Clock::now();
  Clock::time_point window_start = start;
  long window_steps = 0;
  double ups = 0;
  EvalResult last{};
  bool have_eval = false;
  std::vector<std::vector<real>> traj;

  while (t.agent.step < s.steps) {
    const UpdateMetrics m = trainer_step(t);
    const long step = t.agent.step;  // updates done
    if (!std::isfinite(m.total_loss) || !std::isfinite(m.grad_norm)) {
      // Diverged: stop before a checkpoint can store the non-finite
      // parameters; the last checkpoint.bin stays the last good state.
      std::fclose(train_csv);
      std::fclose(eval_csv);
      throw Error("update " + std::to_string(step) + ": the loss is not finite (total " +
                  std::to_string(m.total_loss) + ", critic " + std::to_string(m.critic_loss) + ", q_mean " +
                  std::to_string(m.q_mean) + "): training diverged. " +
                  (file_exists(out + "/checkpoint.bin") ? out + "/checkpoint.bin holds the last good state. "
                                                        : std::string("No checkpoint was saved yet. ")) +
                  "Try a larger --alpha (stronger behaviour regularisation) or a smaller --lr");
    }
    ++window_steps;
    const bool final_step = step == s.steps;
    if (step % s.log_interval == 0 || final_step) {
      const double now = std::chrono::duration<double>(Clock::now() - start).count();
      const double win = std::chrono::duration<double>(Clock::now() - window_start).count();
      ups = win > 0 ? window_steps / win : 0;
      window_start = Clock::now();
      window_steps = 0;
      std::fprintf(train_csv, "%ld,%.3f,%.2f,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.4f,%d\n",
                   step, now, ups, m.total_loss, m.actor_loss, m.bc_loss, m.q_loss, m.critic_loss, m.q_mean, m.q_max,
                   m.q_min, m.q_ahead_mean, m.q_ahead_max, m.q_ahead_min, m.grad_max, m.grad_min, m.grad_norm,
                   m.valid_frac, m.exact_failures);
      std::fflush(train_csv);
      if (!quiet) {
        const double eta = ups > 0 ? (s.steps - step) / ups : 0;
        std::fprintf(stderr, "%sstep %ld/%ld  %.1f upd/s  ETA %.0fs  loss %.4f (critic %.4f bc %.4f q %.3f)%s",
                     tty ? "\r" : "", step, s.steps, ups, eta, m.total_loss, m.critic_loss, m.bc_loss, m.q_mean,
                     tty ? "   " : "\n");
      }
    }
    const bool do_eval = can_eval && (final_step || (s.eval_interval > 0 && step % s.eval_interval == 0));
    if (do_eval) {
      traj.clear();
      last = evaluate(t.agent, s.env, s.task, static_cast<int>(s.eval_episodes), env_seed,
                      cfg.seed * 1000003 + static_cast<uint64_t>(step), final_step ? &traj : nullptr);
      have_eval = true;
      std::fprintf(eval_csv, "%ld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", step, last.success_rate,
                   last.success_ci95, last.success_lo, last.success_hi, last.mean_return, last.return_ci95,
                   last.mean_reward, last.normalized_score);
      std::fflush(eval_csv);
      if (!quiet) std::fprintf(stderr, "%seval @ %ld: %s\n", tty ? "\n" : "", step, eval_line(last, bandit).c_str());
    }
    if (final_step || (s.checkpoint_interval > 0 && step % s.checkpoint_interval == 0))
      checkpoint_save(t.agent, out + "/checkpoint.bin");
  }
  std::fclose(train_csv);
  std::fclose(eval_csv);
  if (tty && !quiet) std::fprintf(stderr, "\n");
  if (can_eval && !bandit && !traj.empty()) write_file_bytes(out + "/maze.svg", maze_svg(s.env, s.task, traj));

  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::string summary = "run " + out + "\nsteps " + std::to_string(t.agent.step) + "\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "train_seconds %.1f\n", secs);
  summary += buf;
  if (have_eval) {
    std::snprintf(buf, sizeof buf, "success_rate %.4f\nsuccess_ci95 %.4f\nmean_return %.3f\nreturn_ci95 %.3f\n",
                  last.success_rate, last.success_ci95, last.mean_return, last.return_ci95);
    summary += buf;
    if (bandit) {
      std::snprintf(buf, sizeof buf, "mean_reward %.4f\noptimal_reward %.4f\nnormalized_score %.4f\n", last.mean_reward,
                    last.optimal_reward, last.normalized_score);
      summary += buf;
    }
    summary += "eval " + eval_line(last, bandit) + "\n";
  }
  write_file_bytes(out + "/summary.txt", summary);
  std::printf("%s", summary.c_str());
  return 0;
}

int eval_main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"env", "NAME", "environment: bandit, pointmaze-medium, pointmaze-large", ""},
      {"task", "T", "task (pointmaze: 1 or 2)", "1"},
      {"episodes", "N", "evaluation episodes", "100"},
      {"seed", "S", "seed of the environment's resets and of the policy noise", "0"},
      {"svg", "FILE", "(pointmaze) draw the trajectories into an SVG", ""},
  };
  const ParsedArgs a = parse_flags(argc, argv, 1, specs);
  if (a.has("help")) {
    std::printf("usage: rql eval CHECKPOINT --env NAME [--task T] [--episodes N] [--seed S] [--svg FILE]\n\n"
                "Evaluate the EMA actor of a checkpoint (SPEC 2: Euler sampling from the target actor,\n"
                "action chunks executed open loop). Prints the success rate and mean return with 95%%\n"
                "confidence intervals.\n\n%s",
                flags_help(specs).c_str());
    return 0;
  }
  if (a.positional.size() != 1) throw UsageError("expected one CHECKPOINT path; see --help");
  if (!a.has("env")) throw UsageError("--env NAME is required");
  const std::string env = a.get("env", "");
  const EnvInfo info = env_info_or_usage(env);
  const int task = static_cast<int>(flag_int(a, "task", 1, 1, info.num_tasks));
  const int episodes = static_cast<int>(flag_int(a, "episodes", 100, 1, 10000000));
  const uint64_t seed = static_cast<uint64_t>(flag_int(a, "seed", 0, 0, 1LL << 62));
  Agent agent = checkpoint_load(a.positional[0]);
  agent_set_kernels(agent, &kernels_default());
  if (agent.cfg.obs_dim != info.obs_dim || agent.cfg.action_dim != info.action_dim)
    throw Error(a.positional[0] + ": the checkpoint's obs_dim/action_dim (" + std::to_string(agent.cfg.obs_dim) + "/" +
                std::to_string(agent.cfg.action_dim) + ") do not match " + env);
  std::vector<std::vector<real>> traj;
  const EvalResult r = evaluate(agent, env, task, episodes, seed, seed, a.has("svg") ? &traj : nullptr);
  std::printf("checkpoint %s (step %ld)\nenv %s task %d, %d episodes\n%s\n", a.positional[0].c_str(), agent.step,
              env.c_str(), task, episodes, eval_line(r, env == "bandit").c_str());
  if (a.has("svg")) write_file_bytes(a.get("svg", ""), maze_svg(env, task, traj));
  return 0;
}

template <typename F>
int guarded(const char* name, F f) {
  try {
    return f();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql %s: %s\n", name, e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql %s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace

int cmd_train(int argc, char** argv) { return guarded("train", [&] { return train_main(argc, argv); }); }
int cmd_eval(int argc, char** argv) { return guarded("eval", [&] { return eval_main(argc, argv); }); }

}  // namespace rql
