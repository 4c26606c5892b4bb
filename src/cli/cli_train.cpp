// cli_train.cpp: `rql train`: offline training with periodic evaluation
// (cli_eval.h), CSV logs, crash-safe checkpoints, exact resume, a clean stop
// on Ctrl-C.
//
// A run folder (--out) holds:
//   run.txt         where the data came from and the loop settings (resume reads it)
//   config.txt      the RQL config (docs/spec.md §6 keys)
//   train.csv       one row every --log_interval updates
//   eval.csv        one row per evaluation
//   checkpoint.bin  the latest checkpoint (atomic replace, checkpoint.h); its
//                   `run` section names the env, task and dataset
//   checkpoint.txt  the step checkpoint.bin holds and the training seconds
//                   spent up to it (so train_seconds adds up across resumes)
//   maze.svg        (pointmaze) the last evaluation's trajectories
//   summary.txt     the final summary
//
// Every flag is checked before any work starts (dataset generation, loading,
// network allocation): a typo costs nothing.
#include <chrono>
#include <cmath>
#include <csignal>
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
#include "cli_eval.h"
#include "envs/env.h"
#include "io/error.h"
#include "io/npy.h"
#include "core/memory.h"
#include "core/train.h"

namespace rql {

namespace {

using Clock = std::chrono::steady_clock;

// ---- Ctrl-C ----
//
// The one piece of global mutable state in the program, and unavoidable: a
// signal handler can reach nothing else. It holds the number of the signal
// (SIGINT, SIGTERM) that asked `rql train` to stop, 0 until then. The
// training loop reads it after each update and stops cleanly (checkpoint,
// message, exit 130). The handler is installed with SA_RESETHAND, so a second
// Ctrl-C kills the program at once.
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

// Installs the handler for SIGINT and SIGTERM while it lives; restores the
// previous handlers after.
struct StopSignals {
  struct sigaction old_int {}, old_term {};
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
};

// Loop and data settings: the flags that are not RQL config keys.
std::vector<FlagSpec> loop_flags() {
  return {
      {"env", "NAME", "built-in environment: bandit, pointmaze-medium, pointmaze-large (evaluation runs in it)", ""},
      {"task", "T", "evaluation task (pointmaze: 1 or 2; needs --env)", "1"},
      {"dataset", "PATH", "train on this dataset (.npz or folder of .npy) instead of generating one", ""},
      {"episodes", "N", "episodes of the generated dataset (with --env and no --dataset)", "2000 bandit, 500 maze"},
      {"data_seed", "S", "seed of the generated dataset (with --env and no --dataset)", "0"},
      {"sparse", "", "rewards -> -1 * (r != 0) (the authors' --sparse)", ""},
      {"steps", "N", "total updates (on --resume: the new total)", "10000"},
      {"eval_interval", "N", "evaluate every N updates (0: only at the end; needs --env)", "0"},
      {"eval_episodes", "N", "episodes per evaluation (needs --env)", "50"},
      {"log_interval", "N", "write a train.csv row and the progress line every N updates", "100"},
      {"checkpoint_interval", "N", "save checkpoint.bin every N updates (0: only at the end and on Ctrl-C)", "5000"},
      {"out", "DIR", "run folder", "runs/<env>-s<seed>"},
      {"resume", "", "continue the run in --out from its checkpoint, exactly", ""},
      {"max_memory_gb", "G", "refuse a config whose networks and working memory need more than G GiB", "4"},
      {"threads", "N", "threads computing each update and evaluation (results do not depend on it)",
       "the number of cores"},
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
      {"bc_only", "flow-BC baseline: train the actor on the BC loss alone (not in docs/spec.md)"},
  };
  for (const std::string& k : config_keys()) {
    if (k == "obs_dim" || k == "action_dim") continue;  // from the dataset
    const auto it = meaning.find(k);
    f.push_back({k, "V", it == meaning.end() ? "RQL config key" : it->second, config_get(d, k)});
  }
  return f;
}

// "1.5 GiB", "340 MiB".
std::string bytes_text(double b) {
  char buf[64];
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024 * 1024));
  else std::snprintf(buf, sizeof buf, "%.0f MiB", b / (1024.0 * 1024));
  return buf;
}

// "1h02m", "3m05s", "41s".
std::string duration_text(double s) {
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

const char* kTrainHeader =
    "step,time_s,updates_per_s,total_loss,actor_loss,bc_loss,critic_loss,q_mean,q_max,q_min,"
    "q_ahead_mean,q_ahead_max,q_ahead_min,grad_max,grad_min,grad_norm,valid_frac,exact_failures\n";
const char* kEvalHeader =
    "step,success_rate,success_ci95,success_lo,success_hi,mean_return,return_ci95,mean_reward,normalized_score\n";

// Keep the header and the rows whose first column (step) is <= last_step:
// rows written after the checkpoint a run resumes from are dropped, so the
// resumed run rewrites them exactly. Returns the kept rows' last line ("" if none).
std::string truncate_csv(const std::string& path, long last_step, const char* header) {
  std::string out = header, last;
  if (file_exists(path)) {
    std::stringstream ss(read_file_text(path));
    std::string line;
    std::getline(ss, line);  // header
    while (std::getline(ss, line))
      if (!line.empty() && std::atol(line.c_str()) <= last_step) {
        out += line + "\n";
        last = line;
      }
  }
  write_file_bytes(path, out);
  return last;
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

LoopSettings settings_from(const std::map<std::string, std::string>& kv, const std::string& path) {
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
  if (s.env.empty() && s.dataset.empty()) throw Error(path + ": names neither env nor dataset");
  if (s.steps < 1 || s.log_interval < 1 || s.eval_episodes < 1 || s.eval_interval < 0 || s.checkpoint_interval < 0 ||
      (s.dataset.empty() && s.episodes < 1))
    throw Error(path + ": a loop setting is missing or out of range (the file was edited?)");
  if (!s.env.empty()) {
    const EnvInfo info = env_info(s.env);
    if (s.task < 1 || s.task > info.num_tasks) throw Error(path + ": task " + std::to_string(s.task) + " out of range");
  }
  return s;
}

// What a checkpoint records about its run (checkpoint.h, the `run` section).
std::string checkpoint_run_text(const LoopSettings& s) {
  std::string t;
  if (!s.env.empty()) t += "env=" + s.env + "\ntask=" + std::to_string(s.task) + "\n";
  if (!s.dataset.empty()) t += "dataset=" + s.dataset + "\n";
  else t += "dataset=generated episodes=" + std::to_string(s.episodes) + " data_seed=" + std::to_string(s.data_seed) + "\n";
  return t;
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

// A dataset trained with --env must have the environment's shapes: the
// evaluation feeds the environment's observations to the actor and its
// actions to the environment (issue 11, item 1).
void check_dataset_fits_env(const Dataset& d, const LoopSettings& s) {
  if (s.env.empty()) return;
  const EnvInfo info = env_info(s.env);
  if (d.obs_dim == info.obs_dim && d.action_dim == info.action_dim) return;
  throw UsageError(s.dataset + " has observations of size " + std::to_string(d.obs_dim) + " and actions of size " +
                   std::to_string(d.action_dim) + ", but " + s.env + " has " + std::to_string(info.obs_dim) + " and " +
                   std::to_string(info.action_dim) +
                   ": give the --env the dataset was made for, or leave --env out (training without evaluation)");
}

void check_memory(const RqlConfig& cfg, double limit_gb, const std::string& when) {
  const std::string err = memory_limit_error(cfg, limit_gb);
  if (!err.empty()) throw UsageError(err + when + ": use smaller --actor_hidden_dims/--value_hidden_dims/"
                                     "--ensemble_ct/--batch_size, or raise --max_memory_gb");
}

// Shell-quote a path for a command the user can paste.
std::string shell_arg(const std::string& s) {
  if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,") == std::string::npos &&
      !s.empty())
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// checkpoint.txt: the step of checkpoint.bin and the training seconds up to it.
void write_checkpoint_note(const std::string& out, long step, double seconds) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "step=%ld\ntrain_seconds=%.3f\n", step, seconds);
  write_file_bytes(out + "/checkpoint.txt", buf);
}

// Seconds of training before `step`, for a run resumed there: from
// checkpoint.txt when it is about this checkpoint, else the time column of
// the last train.csv row kept (`csv_row`), else 0.
double seconds_before(const std::string& out, long step, const std::string& csv_row) {
  if (file_exists(out + "/checkpoint.txt")) {
    const auto kv = parse_kv_lines(read_file_text(out + "/checkpoint.txt"));
    const auto s = kv.find("step"), t = kv.find("train_seconds");
    if (s != kv.end() && t != kv.end() && std::atol(s->second.c_str()) == step) return std::atof(t->second.c_str());
  }
  const size_t comma = csv_row.find(',');
  return comma == std::string::npos ? 0 : std::atof(csv_row.c_str() + comma + 1);
}

const char* kTrainUsage =
    "usage: rql train --env NAME [--task T] [--dataset PATH] [--steps N] [--seed S] [--out DIR] [CONFIG FLAGS]\n"
    "       rql train --dataset PATH [--steps N] [--out DIR] [CONFIG FLAGS]      (no evaluation)\n"
    "       rql train --out DIR --resume [--steps N]\n"
    "\n"
    "Train an RQL flow policy offline (docs/spec.md §3-5) and evaluate its EMA actor (docs/spec.md §2) in the\n"
    "environment as it goes. Without --dataset, a dataset is generated for --env (make-dataset);\n"
    "with both, the dataset must have the environment's observation and action sizes.\n"
    "Every RQL config key of docs/spec.md §6 is a flag: --alpha=10 --expectile=0.9 --h=1 --flow_steps=10\n"
    "--actor_hidden_dims=256,256 --reversal=exact ... (defaults are the authors': 4x512 nets, K = 10,\n"
    "about 4 updates/s on one core; `make demo`'s 64x64 nets with K = 2 run about 1000/s).\n"
    "\n"
    "Progress (stderr, every --log_interval updates): critic loss, flow-matching loss (bc), the\n"
    "Q term L_q (-mean Q of the one-step-ahead action, docs/spec.md §5; it falls as the policy improves),\n"
    "mean Q, the last evaluation's score, and the ETA from the average rate so far.\n"
    "train.csv, eval.csv, checkpoint.bin and summary.txt go to the run folder.\n"
    "Ctrl-C (or SIGTERM) finishes the current update, saves checkpoint.bin, prints the command that\n"
    "resumes, and exits with 130. A killed run loses at most --checkpoint_interval updates.\n"
    "`--resume` continues a run exactly (bit-identical to an uninterrupted run); train_seconds in\n"
    "summary.txt adds up across resumes.\n"
    "\nloop and data flags:\n";

void print_train_help(const std::vector<FlagSpec>& cfg_specs) {
  std::printf("%s%s\nRQL config flags (docs/spec.md §6):\n%s\nexamples:\n"
              "  rql train --env bandit --steps 30000 --h=1 --alpha=0.1 --batch_size=128 "
              "--actor_hidden_dims=64,64 \\\n"
              "      --value_hidden_dims=64,64 --ensemble_ct=2 --out runs/bandit     (as `make demo`, ~30 s)\n"
              "  rql make-dataset pointmaze-medium --episodes 500 --out medium.npz\n"
              "  rql train --env pointmaze-medium --dataset medium.npz --h=5 --alpha=3 "
              "--actor_hidden_dims=256,256 \\\n"
              "      --value_hidden_dims=256,256 --steps 20000 --eval_interval 5000 --out runs/medium\n"
              "  rql train --out runs/medium --resume --steps 40000   (continue to 40000 updates)\n"
              "  rql eval runs/medium/checkpoint.bin --episodes 100  (env and task from the checkpoint)\n",
              kTrainUsage, flags_help(loop_flags()).c_str(), flags_help(cfg_specs).c_str());
}

// --resume: the run folder's settings and checkpoint into `t`. Returns
// false when the run is already at --steps (nothing to do; the folder is
// left as it is).
bool resume_run(const ParsedArgs& a, double max_memory_gb, FastKernels& fast, int threads, LoopSettings& s,
                std::string& out, Trainer& t, double& seconds_offset) {
  if (!a.has("out")) throw UsageError("--resume needs --out DIR (the run to continue)");
  out = a.get("out", "");
  for (const auto& kv : a.values)
    if (kv.first != "out" && kv.first != "resume" && kv.first != "steps" && kv.first != "quiet" &&
        kv.first != "threads" && kv.first != "max_memory_gb")
      throw UsageError("--" + kv.first + " cannot change on --resume: the run's settings are in " + out +
                       "/run.txt and config.txt (only --steps may extend the run)");
  if (!file_exists(out + "/run.txt") || !file_exists(out + "/checkpoint.bin"))
    throw UsageError(out + " is not a run folder with a checkpoint (no run.txt or checkpoint.bin): nothing to resume");
  s = settings_from(parse_kv_lines(read_file_text(out + "/run.txt")), out + "/run.txt");
  s.steps = flag_int(a, "steps", s.steps, 1, 1L << 40);
  if (file_exists(out + "/config.txt")) {  // refuse an oversized config before loading its checkpoint
    RqlConfig c;
    if (config_parse(c, read_file_text(out + "/config.txt"), out + "/config.txt").empty() &&
        config_validate(c).empty())
      check_memory(c, max_memory_gb, " (" + out + "/config.txt)");
  }
  CheckpointInfo info;
  Agent agent = checkpoint_load(out + "/checkpoint.bin", &info);
  if (s.steps < agent.step)
    throw UsageError(out + "/checkpoint.bin is at step " + std::to_string(agent.step) + ", past --steps " +
                     std::to_string(s.steps) + ": give --steps " + std::to_string(agent.step) + " or more");
  if (agent.step == s.steps) {
    // Nothing to train: leave the run folder (summary.txt above all) as it is.
    std::fprintf(stderr, "%s is already at step %ld of %ld: nothing to do (--steps N continues it to N updates)\n",
                 out.c_str(), agent.step, s.steps);
    if (file_exists(out + "/summary.txt")) std::printf("%s", read_file_text(out + "/summary.txt").c_str());
    return 0;
  }
  Dataset data = load_data(s);
  check_dataset_fits_env(data, s);
  const std::string err = trainer_init_with_agent(t, std::move(agent), std::move(data));
  if (!err.empty()) throw Error(out + "/checkpoint.bin: " + err);
  agent_set_kernels(t.agent, &kernels_default(fast, threads));
  const std::string last_row = truncate_csv(out + "/train.csv", t.agent.step, kTrainHeader);
  truncate_csv(out + "/eval.csv", t.agent.step, kEvalHeader);
  seconds_offset = seconds_before(out, t.agent.step, last_row);
  std::fprintf(stderr, "resuming %s at step %ld of %ld\n", out.c_str(), t.agent.step, s.steps);
  return true;
}

// A new run: every flag checked before any work, then the data, the
// trainer and the run folder's files.
void start_run(const ParsedArgs& a, const std::vector<FlagSpec>& cfg_specs, double max_memory_gb, FastKernels& fast,
               int threads, LoopSettings& s, std::string& out, Trainer& t) {
  // 1. Every flag, before any work.
  s.env = a.get("env", "");
  s.dataset = a.get("dataset", "");
  if (s.env.empty() && s.dataset.empty())
    throw UsageError("give --env NAME (a dataset is generated for it) or --dataset PATH, or both; see --help");
  if (a.has("env") && s.env.empty()) throw UsageError("--env needs a name: bandit, pointmaze-medium, pointmaze-large");
  if (a.has("dataset") && s.dataset.empty()) throw UsageError("--dataset needs a path");
  if (!s.dataset.empty() && !file_exists(s.dataset)) throw UsageError("--dataset " + s.dataset + ": no such file or folder");
  EnvInfo info;
  if (!s.env.empty()) {
    info = env_info_or_usage(s.env);
    s.task = static_cast<int>(flag_int(a, "task", 1, 1, info.num_tasks));
  } else {
    for (const char* f : {"task", "eval_interval", "eval_episodes"})
      if (a.has(f))
        throw UsageError(std::string("--") + f + " needs --env: evaluation runs in an environment (--dataset alone "
                         "trains without evaluating)");
  }
  if (!s.dataset.empty()) {
    for (const char* f : {"episodes", "data_seed"})
      if (a.has(f))
        throw UsageError(std::string("--") + f + " applies to a generated dataset, but --dataset " + s.dataset +
                         " was given");
  }
  s.episodes = s.dataset.empty() ? flag_int(a, "episodes", default_episodes(s.env), 1, 100000000) : 0;
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
  // The environment gives the sizes; a dataset alone gives them only once
  // loaded, so until then every other key is checked with sizes of 1.
  cfg.obs_dim = s.env.empty() ? 1 : info.obs_dim;
  cfg.action_dim = s.env.empty() ? 1 : info.action_dim;
  std::string verr = config_validate(cfg);
  if (!verr.empty()) throw UsageError(verr);
  check_memory(cfg, max_memory_gb, "");
  out = a.get("out", "runs/" + (s.env.empty() ? std::string("dataset") : s.env) + "-s" + std::to_string(cfg.seed));
  if (out.empty()) throw UsageError("--out needs a folder");
  if (file_exists(out + "/checkpoint.bin"))
    throw UsageError(out + " already holds a run (checkpoint.bin): use --resume to continue it, or another --out");

  // 2. The data, then the sizes it implies.
  Dataset data = load_data(s);
  check_dataset_fits_env(data, s);
  cfg.obs_dim = data.obs_dim;
  cfg.action_dim = data.action_dim;
  verr = config_validate(cfg);
  if (!verr.empty()) throw UsageError(verr);
  check_memory(cfg, max_memory_gb, " with the dataset's sizes");
  const std::string err = trainer_init(t, cfg, std::move(data));
  if (!err.empty()) throw UsageError(err);
  agent_set_kernels(t.agent, &kernels_default(fast, threads));
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw Error(out + ": cannot create folder (" + ec.message() + ")");
  write_file_bytes(out + "/run.txt", settings_text(s));
  write_file_bytes(out + "/config.txt", config_to_text(cfg));
  write_file_bytes(out + "/train.csv", kTrainHeader);
  write_file_bytes(out + "/eval.csv", kEvalHeader);
}

// summary.txt: steps, training seconds (across resumes) and the last
// evaluation.
std::string summary_text(const std::string& out, long steps, double secs, const EvalResult& last, long last_eval_step,
                         bool bandit) {
  std::string summary = "run " + out + "\nsteps " + std::to_string(steps) + "\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "train_seconds %.1f\n", secs);
  summary += buf;
  if (last_eval_step >= 0) {
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
  return summary;
}

int train_main(int argc, char** argv) {
  std::vector<FlagSpec> specs = loop_flags();
  const std::vector<FlagSpec> cfg_specs = config_flags();
  specs.insert(specs.end(), cfg_specs.begin(), cfg_specs.end());
  const ParsedArgs a = parse_flags(argc, argv, 1, specs);
  if (a.has("help")) {
    print_train_help(cfg_specs);
    return 0;
  }
  if (!a.positional.empty()) throw UsageError("unexpected argument '" + a.positional[0] + "'");
  const int threads = static_cast<int>(flag_int(a, "threads", default_threads(), 1, 256));
  const bool resume = a.has("resume") && a.get("resume", "") != "false";
  const bool quiet = a.has("quiet") && a.get("quiet", "") != "false";
  const double max_memory_gb = flag_double(a, "max_memory_gb", kDefaultMaxMemoryGb, 1.0 / 1024, 1 << 20);

  LoopSettings s;
  FastKernels fast;  // before t: the agent points to its table until the end
  Trainer t;
  std::string out;
  double seconds_offset = 0;  // training seconds before this process (resume)
  if (resume) {
    if (!resume_run(a, max_memory_gb, fast, threads, s, out, t, seconds_offset)) return 0;
  } else {
    start_run(a, cfg_specs, max_memory_gb, fast, threads, s, out, t);
  }

  const RqlConfig& cfg = t.agent.cfg;
  const bool can_eval = !s.env.empty();
  const bool bandit = s.env == "bandit";
  const uint64_t env_seed = cfg.seed + 1000;  // every evaluation sees the same start states
  CheckpointSaveOptions save_opt;
  save_opt.run_text = checkpoint_run_text(s);
  std::fprintf(stderr, "run %s: %ld transitions, %zu episodes usable; %ld updates of batch %d (h %d, K %d, F %d, %s)\n",
               out.c_str(), t.data.n, t.sampler.episodes.size(), s.steps, cfg.batch_size, cfg.h, cfg.ensemble_ct,
               cfg.flow_steps, cfg.reversal == Reversal::kExact ? "exact reversal" : "euler reversal");

  FILE* train_csv = std::fopen((out + "/train.csv").c_str(), "a");
  FILE* eval_csv = std::fopen((out + "/eval.csv").c_str(), "a");
  if (!train_csv || !eval_csv) {
    if (train_csv) std::fclose(train_csv);
    if (eval_csv) std::fclose(eval_csv);
    throw Error(out + ": cannot append to train.csv / eval.csv");
  }
  const bool tty = isatty(fileno(stderr));
  const StopSignals stop_signals;
  const Clock::time_point start = Clock::now();
  const long start_step = t.agent.step;
  Clock::time_point window_start = start;
  long window_steps = 0;
  size_t progress_width = 0;  // of the last progress line (tty: overwritten in place)
  EvalResult last{};
  long last_eval_step = -1;
  std::vector<std::vector<real>> traj;
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto end_progress_line = [&] {
    if (tty && !quiet && progress_width > 0) std::fprintf(stderr, "\n");
    progress_width = 0;
  };

  while (t.agent.step < s.steps) {
    // grad_max/min/norm walk every gradient: asked for on logged steps only.
    const long next = t.agent.step + 1;
    const UpdateMetrics m = trainer_step(t, next % s.log_interval == 0 || next == s.steps);
    const long step = t.agent.step;  // updates done
    if (!std::isfinite(m.total_loss) || !std::isfinite(m.grad_norm)) {
      // Diverged: stop before a checkpoint can store the non-finite
      // parameters; the last checkpoint.bin stays the last good state.
      std::fclose(train_csv);
      std::fclose(eval_csv);
      end_progress_line();
      throw Error("update " + std::to_string(step) + ": the loss is not finite (critic " +
                  std::to_string(m.critic_loss) + ", bc " + std::to_string(m.bc_loss) + ", q_mean " +
                  std::to_string(m.q_mean) + "): training diverged. " +
                  (file_exists(out + "/checkpoint.bin") ? out + "/checkpoint.bin holds the last good state. "
                                                        : std::string("No checkpoint was saved yet. ")) +
                  "Try a larger --alpha (stronger behaviour regularisation) or a smaller --lr");
    }
    ++window_steps;
    const bool final_step = step == s.steps;
    if (step % s.log_interval == 0 || final_step) {
      const double now = elapsed();
      const double win = std::chrono::duration<double>(Clock::now() - window_start).count();
      const double ups = win > 0 ? window_steps / win : 0;
      window_start = Clock::now();
      window_steps = 0;
      std::fprintf(train_csv, "%ld,%.3f,%.2f,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.4f,%d\n",
                   step, seconds_offset + now, ups, m.total_loss, m.actor_loss, m.bc_loss, m.critic_loss,
                   m.q_mean, m.q_max, m.q_min, m.q_ahead_mean, m.q_ahead_max, m.q_ahead_min, m.grad_max, m.grad_min,
                   m.grad_norm, m.valid_frac, m.exact_failures);
      std::fflush(train_csv);
      if (!quiet) {
        // The rate over this whole process so far (evaluations included):
        // steadier than the last window's, which swings with evaluations
        // and machine load.
        const double rate = now > 0 ? (step - start_step) / now : 0;
        const std::string eta = rate > 0 ? duration_text((s.steps - step) / rate) : "?";
        char line[320];
        int n = std::snprintf(line, sizeof line,
                              "step %ld/%ld  %.0f upd/s  ETA %s | critic %.4g  bc %.4g  L_q %.4g  Q %.4g", step,
                              s.steps, rate, eta.c_str(), m.critic_loss, m.bc_loss, m.actor_loss, m.q_mean);
        if (last_eval_step >= 0 && n > 0 && n < static_cast<int>(sizeof line))
          n += std::snprintf(line + n, sizeof line - n, " | eval %.3f @%ld",
                             bandit ? last.normalized_score : last.success_rate, last_eval_step);
        std::string text(line);
        const size_t width = text.size();
        if (tty && width < progress_width) text.append(progress_width - width, ' ');  // erase the longer old line
        progress_width = width;
        std::fprintf(stderr, "%s%s%s", tty ? "\r" : "", text.c_str(), tty ? "" : "\n");
      }
    }
    const bool stopping = g_stop_signal != 0;
    const bool do_eval =
        can_eval && (final_step || (!stopping && s.eval_interval > 0 && step % s.eval_interval == 0));
    if (do_eval) {
      traj.clear();
      last = evaluate(t.agent, s.env, s.task, static_cast<int>(s.eval_episodes), env_seed,
                      cfg.seed * 1000003 + static_cast<uint64_t>(step), final_step ? &traj : nullptr);
      last_eval_step = step;
      std::fprintf(eval_csv, "%ld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", step, last.success_rate,
                   last.success_ci95, last.success_lo, last.success_hi, last.mean_return, last.return_ci95,
                   last.mean_reward, last.normalized_score);
      std::fflush(eval_csv);
      if (!quiet) {
        end_progress_line();
        std::fprintf(stderr, "eval @ %ld: %s\n", step, eval_line(last, bandit).c_str());
      }
    }
    if (stopping || final_step || (s.checkpoint_interval > 0 && step % s.checkpoint_interval == 0)) {
      checkpoint_save(t.agent, out + "/checkpoint.bin", save_opt);
      write_checkpoint_note(out, step, seconds_offset + elapsed());
    }
    if (stopping && !final_step) {
      std::fclose(train_csv);
      std::fclose(eval_csv);
      end_progress_line();
      std::fprintf(stderr,
                   "\nstopped by %s after update %ld of %ld: %s/checkpoint.bin holds step %ld.\n"
                   "resume with:\n  rql train --resume --out %s\n",
                   g_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT", step, s.steps, out.c_str(), step,
                   shell_arg(out).c_str());
      return 130;
    }
  }
  std::fclose(train_csv);
  std::fclose(eval_csv);
  end_progress_line();
  if (can_eval && !bandit && !traj.empty())
    write_file_bytes(out + "/maze.svg", maze_svg(s.env, s.task, traj, maze_caption(last, t.agent.step)));

  const std::string summary =
      summary_text(out, t.agent.step, seconds_offset + elapsed(), last, last_eval_step, bandit);
  write_file_bytes(out + "/summary.txt", summary);
  std::printf("%s", summary.c_str());
  return 0;
}

}  // namespace

std::string memory_limit_error(const RqlConfig& cfg, double limit_gb) {
  // memory.h: every size from the config alone, in 64 bits.
  const MemSize params = rql_param_count(cfg), state = rql_state_bytes(cfg), work = update_work_bytes(cfg),
                inputs = update_inputs_bytes(cfg), act = act_work_bytes(cfg, 1);
  const double limit = limit_gb * 1024.0 * 1024 * 1024;
  const bool ok = params.ok && state.ok && work.ok && inputs.ok && act.ok;
  const double total = static_cast<double>(state.n) + static_cast<double>(work.n) + static_cast<double>(inputs.n) +
                       static_cast<double>(act.n);
  if (ok && total <= limit) return "";
  if (!ok) return "this config's sizes overflow 64 bits (the limit is " + bytes_text(limit) + ")";
  return "this config needs " + bytes_text(total) + ": " + std::to_string(params.n) + " parameters, " +
         bytes_text(static_cast<double>(state.n)) + " with their targets and Adam moments, " +
         bytes_text(static_cast<double>(work.n) + static_cast<double>(inputs.n) + static_cast<double>(act.n)) +
         " of working memory for one update; the limit is " + bytes_text(limit);
}

int cmd_train(int argc, char** argv) { return run_guarded("train", train_main, argc, argv); }

}  // namespace rql
