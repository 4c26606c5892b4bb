// test_train_cli.cpp: `rql train` and `rql eval` as a user runs them (the
// program at RQL_BINARY): every flag checked before any work, datasets that
// do not fit the environment, configs too large for memory, resuming a
// finished run, Ctrl-C, the progress line, and checkpoints that know what
// they were trained for (issue 11). Tiny networks throughout: each run takes
// well under a second.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "envs/env.h"
#include "io/checkpoint.h"
#include "io/dataset.h"

namespace rql {
namespace {

struct Result {
  int code = -1;  // exit status; -1 if killed by a signal
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string temp_dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "rql_train_cli_" + name;
  EXPECT_EQ(0, std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()));
  return dir;
}

// Runs `rql ARGS`, capturing stdout and stderr.
Result run(const std::string& args) {
  // One output file pair per test process (ctest runs tests in parallel).
  const std::string base = ::testing::TempDir() + "rql_train_cli_output_" + std::to_string(::getpid());
  const std::string cmd = std::string(RQL_BINARY) + " " + args + " >" + base + ".out 2>" + base + ".err";
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// Small networks: a run of a few dozen updates takes milliseconds.
const char* kTiny =
    " --batch_size=16 --ensemble_ct=2 --flow_steps=3 --h=1 --actor_hidden_dims=16,16"
    " --value_hidden_dims=16,16 --seed=4";

// ---- Item 1: a dataset must fit the environment it is evaluated in --------

TEST(TrainCliTest, DatasetOfAnotherEnvironmentIsRefusedBeforeTraining) {
  const std::string dir = temp_dir("mismatch");
  // Observations too wide: a pointmaze dataset (obs 2, action 2) with the
  // bandit (obs 1, action 2).
  dataset_save(env_make_dataset("pointmaze-medium", 1, 2, 0), dir + "/maze.npz");
  Result r = run(std::string("train --dataset ") + dir + "/maze.npz --env bandit --steps 5 --out " + dir + "/a" + kTiny);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "observations of size 2") && has(r.err, "bandit has 1 and 2")) << r.err;
  EXPECT_FALSE(has(r.err, "run ")) << "training started: " << r.err;
  // Actions of another size: obs 2 as in the maze, action 3.
  Dataset d = env_make_dataset("pointmaze-medium", 1, 2, 0);
  std::vector<real> wide;
  for (long i = 0; i < d.n; ++i) wide.insert(wide.end(), {d.actions[2 * i], d.actions[2 * i + 1], 0});
  d.actions = wide;
  d.action_dim = 3;
  dataset_save(d, dir + "/wide.npz");
  r = run(std::string("train --dataset ") + dir + "/wide.npz --env pointmaze-medium --steps 5 --out " + dir + "/b" +
          kTiny);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "actions of size 3")) << r.err;
  // The same dataset without --env trains (no evaluation).
  r = run(std::string("train --dataset ") + dir + "/wide.npz --steps 5 --quiet --out " + dir + "/c" + kTiny);
  EXPECT_EQ(r.code, 0) << r.err;
}

// ---- Item 2: sizes --------------------------------------------------------

TEST(TrainCliTest, HugeNetworksAreRefusedWithTheirSizeNotBadAlloc) {
  // 10^10 actor weights: refused at once (exit 2), not std::bad_alloc (134).
  Result r = run("train --env bandit --actor_hidden_dims=100000,100000 --steps 1");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_FALSE(has(r.err, "generating")) << r.err;
  // Every buffer under 2 GiB (so config_validate accepts it), but together
  // over the default limit of 4 GiB: K = 5 value nets of 4 x 4096, each
  // 3 x 4096^2 + ... ~ 5.0e7 parameters, 2.5e8 per copy (1.0 GB in float);
  // parameters, targets and two Adam moments are 4 copies (4.0 GB), plus the
  // gradient and caches of an update.
  r = run("train --env bandit --value_hidden_dims=4096,4096,4096,4096 --ensemble_ct=5 --steps 1");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "GiB") && has(r.err, "limit") && has(r.err, "--max_memory_gb")) << r.err;
  // The limit is a flag: 256-wide nets (2 x 256^2 + ... ~ 7e4 parameters
  // per net, 3 nets, 4 copies of 4 bytes: over 3 MB) fail under 1 MiB, and
  // the tiny config runs under 1 GiB.
  r = run("train --env bandit --episodes 40 --steps 2 --quiet --max_memory_gb=0.0009765625 --out " +
          temp_dir("mem") + "/a --actor_hidden_dims=256,256 --value_hidden_dims=256,256 --ensemble_ct=2");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "needs")) << r.err;
  r = run(std::string("train --env bandit --episodes 40 --steps 2 --quiet --eval_episodes 2 --max_memory_gb=1 --out ") +
          temp_dir("mem") + "/b" + kTiny);
  EXPECT_EQ(r.code, 0) << r.err;
}

// `rql checkpoint import --config` builds the networks of any config it is
// given: the same limit applies before it allocates.
TEST(TrainCliTest, CheckpointImportRefusesAConfigOverTheMemoryLimit) {
  const std::string dir = temp_dir("import");
  std::ofstream(dir + "/config.txt") << "obs_dim=2\naction_dim=2\nvalue_hidden_dims=4096,4096,4096,4096\n"
                                        "ensemble_ct=5\n";
  Result r = run("checkpoint import " + dir + " " + dir + "/out.bin");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "GiB") && has(r.err, "limit")) << r.err;
  // 10^10 weights: the core's per-buffer limit, with the size in bytes.
  std::ofstream(dir + "/config.txt") << "obs_dim=2\naction_dim=2\nactor_hidden_dims=100000,100000\n";
  r = run("checkpoint import " + dir + " " + dir + "/out.bin");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "bytes") && !has(r.err, "bad_alloc")) << r.err;
}

// ---- Item 9: every flag before any work -----------------------------------

TEST(TrainCliTest, EveryFlagIsCheckedBeforeTheDatasetIsGenerated) {
  const std::string dir = temp_dir("early");
  const std::string base = "train --env pointmaze-large --episodes 2000 --out " + dir + "/r";
  for (const char* bad : {" --lr=-1", " --batch_size=7", " --expectile=1", " --eval_episodes 0", " --task 3",
                          " --h=0", " --actor_hidden_dims=", " --reversal=backwards"}) {
    const Result r = run(base + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_FALSE(has(r.err, "generating")) << bad << ": the dataset was generated first: " << r.err;
  }
  // Flags that do not apply to the data given.
  dataset_save(env_make_dataset("bandit", 1, 20, 0), dir + "/b.npz");
  for (const char* bad : {" --episodes 5", " --data_seed 3"}) {
    const Result r = run("train --env bandit --dataset " + dir + "/b.npz" + bad);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_TRUE(has(r.err, "generated dataset")) << r.err;
  }
  const Result r = run("train --dataset " + dir + "/b.npz --eval_interval 10");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "needs --env")) << r.err;
  EXPECT_EQ(run("train --dataset " + dir + "/missing.npz").code, 2);
}

// ---- Item 5: resume --------------------------------------------------------

std::string summary_value(const std::string& summary, const std::string& key) {
  std::stringstream ss(summary);
  std::string line;
  while (std::getline(ss, line))
    if (line.rfind(key + " ", 0) == 0) return line.substr(key.size() + 1);
  return "";
}

TEST(TrainCliTest, ResumingAFinishedRunKeepsItsSummary) {
  const std::string dir = temp_dir("finished");
  const std::string out = dir + "/run";
  ASSERT_EQ(run(std::string("train --env bandit --episodes 40 --steps 20 --eval_episodes 5 --quiet --out ") + out +
                kTiny).code,
            0);
  const std::string before = slurp(out + "/summary.txt");
  ASSERT_TRUE(has(before, "normalized_score")) << before;
  const Result r = run("train --resume --out " + out);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "nothing to do")) << r.err;
  EXPECT_EQ(slurp(out + "/summary.txt"), before);
  // --steps below the checkpoint's step is refused.
  EXPECT_EQ(run("train --resume --steps 10 --out " + out).code, 2);
}

TEST(TrainCliTest, TrainSecondsAddUpAcrossResumes) {
  const std::string dir = temp_dir("seconds");
  const std::string out = dir + "/run";
  ASSERT_EQ(run(std::string("train --env bandit --episodes 40 --steps 10 --eval_episodes 5 --quiet --out ") + out +
                kTiny).code,
            0);
  // checkpoint.txt records the seconds spent up to the checkpoint's step.
  const std::string note = slurp(out + "/checkpoint.txt");
  ASSERT_TRUE(has(note, "step=10\n")) << note;
  // Pretend the first 10 updates took 1000 s: the resumed run's total must
  // include them (it took milliseconds itself).
  std::ofstream(out + "/checkpoint.txt") << "step=10\ntrain_seconds=1000\n";
  ASSERT_EQ(run("train --resume --steps 20 --quiet --out " + out).code, 0);
  const double secs = std::atof(summary_value(slurp(out + "/summary.txt"), "train_seconds").c_str());
  EXPECT_GE(secs, 1000.0);
  EXPECT_LT(secs, 1100.0);
  // train.csv's time column is cumulative too: the row at step 20 is past 1000 s.
  const std::string csv = slurp(out + "/train.csv");
  const size_t row = csv.find("\n20,");
  ASSERT_NE(row, std::string::npos) << csv;
  EXPECT_GE(std::atof(csv.c_str() + row + 4), 1000.0);
}

// ---- Item 6: a checkpoint knows its environment and task ------------------

TEST(EvalCliTest, CheckpointOfAnotherEnvironmentOrTaskIsRefusedUnlessForced) {
  const std::string dir = temp_dir("eval_env");
  const std::string out = dir + "/run";
  ASSERT_EQ(run(std::string("train --env pointmaze-medium --task 2 --episodes 3 --steps 4 --eval_episodes 1 --quiet "
                            "--out ") + out + kTiny).code,
            0);
  const std::string ckpt = out + "/checkpoint.bin";
  CheckpointInfo info;
  checkpoint_load(ckpt, &info);
  EXPECT_EQ(info.version, 2u);
  EXPECT_TRUE(has(info.run_text, "env=pointmaze-medium\ntask=2\n")) << info.run_text;
  // Defaults come from the checkpoint.
  Result r = run("eval " + ckpt + " --episodes 2");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "env pointmaze-medium task 2")) << r.out;
  // Another maze, or another task of the same maze: refused, naming both.
  r = run("eval " + ckpt + " --env pointmaze-large --episodes 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "trained for pointmaze-medium task 2, not pointmaze-large") && has(r.err, "--force")) << r.err;
  r = run("eval " + ckpt + " --env pointmaze-medium --task 1 --episodes 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "not pointmaze-medium task 1")) << r.err;
  // --force evaluates, with a warning.
  r = run("eval " + ckpt + " --env pointmaze-large --episodes 2 --force");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "warning")) << r.err;
  EXPECT_TRUE(has(r.out, "env pointmaze-large task 1")) << r.out;
  // `rql checkpoint info` prints the record.
  r = run("checkpoint info " + ckpt);
  EXPECT_TRUE(has(r.out, "run env=pointmaze-medium\nrun task=2\n")) << r.out;
}

// ---- Item 12: eval --svg on the bandit fails before evaluating ------------

TEST(EvalCliTest, SvgOnTheBanditIsRefusedBeforeEvaluating) {
  const std::string dir = temp_dir("eval_svg");
  ASSERT_EQ(run(std::string("train --env bandit --episodes 40 --steps 2 --eval_episodes 2 --quiet --out ") + dir +
                "/run" + kTiny).code,
            0);
  const Result r = run("eval " + dir + "/run/checkpoint.bin --svg " + dir + "/b.svg --episodes 100000");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.out, "") << "evaluated before refusing";
  EXPECT_TRUE(has(r.err, "no maze")) << r.err;
}

// The final maze picture carries the success rate and a legend.
TEST(TrainCliTest, MazePictureHasSuccessRateAndLegend) {
  const std::string dir = temp_dir("maze_svg");
  ASSERT_EQ(run(std::string("train --env pointmaze-medium --episodes 3 --steps 2 --eval_episodes 2 --quiet --out ") +
                dir + "/run" + kTiny).code,
            0);
  const std::string svg = slurp(dir + "/run/maze.svg");
  EXPECT_TRUE(has(svg, "success ") && has(svg, "of 2 episodes") && has(svg, "policy after 2 updates")) << svg;
  EXPECT_TRUE(has(svg, ">start<") && has(svg, ">goal, radius 1<") && has(svg, ">episode; dot: its end<")) << svg;
}

// ---- Item 10: the progress line -------------------------------------------

TEST(TrainCliTest, ProgressLineShowsTheLossTermsQAndTheLastScore) {
  const std::string dir = temp_dir("progress");
  const Result r = run(std::string("train --env bandit --episodes 40 --steps 20 --log_interval 10 --eval_interval 10 "
                                   "--eval_episodes 5 --out ") + dir + "/run" + kTiny);
  ASSERT_EQ(r.code, 0) << r.err;
  // stderr is a file here, so each progress line ends with a newline.
  std::stringstream ss(r.err);
  std::string line, step20;
  while (std::getline(ss, line))
    if (line.rfind("step 20/20", 0) == 0) step20 = line;
  ASSERT_FALSE(step20.empty()) << r.err;
  for (const char* field : {"ETA", "critic ", "bc ", "L_q ", "Q ", "eval "})
    EXPECT_TRUE(has(step20, field)) << field << " missing: " << step20;
  EXPECT_TRUE(has(step20, "@10")) << "the last evaluation before step 20 was at 10: " << step20;
}

// ---- Item 7: Ctrl-C --------------------------------------------------------

TEST(TrainCliTest, SigintSavesACheckpointAndPrintsTheResumeCommand) {
  const std::string dir = temp_dir("sigint");
  const std::string out = dir + "/run", err_path = dir + "/stderr.txt";
  const std::string args = std::string("train --env bandit --episodes 40 --steps 100000000 --log_interval 10 "
                                       "--checkpoint_interval 0 --eval_episodes 2 --out ") + out + kTiny;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 2);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    std::string cmd = std::string("exec ") + RQL_BINARY + " " + args;
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until training has logged some updates (at most 60 s).
  bool started = false;
  for (int i = 0; i < 600 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    started = slurp(out + "/train.csv").find("\n30,") != std::string::npos;
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(started) << slurp(err_path);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const std::string err = slurp(err_path);
  // The checkpoint holds the step the message names.
  const Agent a = checkpoint_load(out + "/checkpoint.bin");
  EXPECT_GE(a.step, 30);
  EXPECT_TRUE(has(err, "stopped by SIGINT after update " + std::to_string(a.step))) << err;
  EXPECT_TRUE(has(err, "holds step " + std::to_string(a.step))) << err;
  EXPECT_TRUE(has(err, "rql train --resume --out " + out + "\n")) << err;
  // The command resumes (to a few more updates).
  const Result r = run("train --resume --quiet --steps " + std::to_string(a.step + 5) + " --out " + out);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(checkpoint_load(out + "/checkpoint.bin").step, a.step + 5);
}

}  // namespace
}  // namespace rql
