// test_train.cpp: the training loop end to end: a tiny run is finite and
// deterministic for a seed (library), and the `rql train` program resumes a
// run bit-exactly and rejects bad usage with exit code 2.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "envs/env.h"
#include "core/train.h"

namespace rql {
namespace {

RqlConfig tiny(const Dataset& d, uint64_t seed) {
  RqlConfig c;
  c.obs_dim = d.obs_dim;
  c.action_dim = d.action_dim;
  c.h = 2;
  c.batch_size = 16;
  c.ensemble_ct = 2;
  c.flow_steps = 4;
  c.actor_hidden_dims = {16, 16};
  c.value_hidden_dims = {16, 16};
  c.seed = seed;
  return c;
}

TEST(TrainSmokeTest, TinyRunIsFiniteAndDeterministicForASeed) {
  const Dataset d = env_make_dataset("bandit", 1, 40, 3);
  Trainer a, b, c;
  ASSERT_EQ(trainer_init(a, tiny(d, 7), d), "");
  ASSERT_EQ(trainer_init(b, tiny(d, 7), d), "");
  ASSERT_EQ(trainer_init(c, tiny(d, 8), d), "");
  for (int i = 0; i < 30; ++i) {
    const UpdateMetrics ma = trainer_step(a), mb = trainer_step(b);
    trainer_step(c);
    ASSERT_TRUE(std::isfinite(ma.total_loss)) << "step " << i;
    ASSERT_TRUE(std::isfinite(ma.grad_norm)) << "step " << i;
    ASSERT_EQ(ma.total_loss, mb.total_loss) << "step " << i;
  }
  EXPECT_EQ(a.agent.actor, b.agent.actor);
  EXPECT_EQ(a.agent.value, b.agent.value);
  EXPECT_EQ(a.agent.target_actor, b.agent.target_actor);
  EXPECT_NE(a.agent.actor, c.agent.actor);  // another seed, another run
  EXPECT_EQ(a.agent.step, 30);
}

TEST(TrainSmokeTest, DatasetDimsMustMatchConfig) {
  const Dataset d = env_make_dataset("bandit", 1, 10, 3);
  RqlConfig c = tiny(d, 1);
  c.obs_dim += 1;
  Trainer t;
  EXPECT_NE(trainer_init(t, c, d).find("obs_dim"), std::string::npos);
}

// ---- The program ----------------------------------------------------------

int run(const std::string& args) {
  const std::string cmd = std::string(RQL_BINARY) + " " + args + " > /dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// train.csv without its time columns (time_s, updates_per_s).
std::string csv_without_times(const std::string& path) {
  std::stringstream in(slurp(path)), out;
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream cells(line);
    std::string cell;
    int col = 0;
    while (std::getline(cells, cell, ',')) {
      if (col != 1 && col != 2) out << cell << ',';
      ++col;
    }
    out << '\n';
  }
  return out.str();
}

TEST(TrainCliTest, ResumeIsBitExact) {
  const std::string dir = ::testing::TempDir() + "rql_train_resume";
  ASSERT_EQ(0, std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()));
  const std::string common =
      " --env bandit --episodes 60 --batch_size=16 --ensemble_ct=2 --flow_steps=4 --h=2"
      " --actor_hidden_dims=16,16 --value_hidden_dims=16,16 --eval_episodes 5 --log_interval 5"
      " --checkpoint_interval 20 --seed=3 --quiet";
  // Straight: 40 updates.
  ASSERT_EQ(0, run("train" + common + " --steps 40 --out " + dir + "/straight"));
  // Interrupted: 20 updates, then --resume to 40.
  ASSERT_EQ(0, run("train" + common + " --steps 20 --out " + dir + "/resumed"));
  ASSERT_EQ(0, run("train --resume --steps 40 --quiet --out " + dir + "/resumed"));
  const std::string a = slurp(dir + "/straight/checkpoint.bin"), b = slurp(dir + "/resumed/checkpoint.bin");
  ASSERT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "checkpoints after 40 updates differ";
  EXPECT_EQ(csv_without_times(dir + "/straight/train.csv"), csv_without_times(dir + "/resumed/train.csv"));
  // A finished run refuses to start again in the same folder without --resume.
  EXPECT_EQ(2, run("train" + common + " --steps 40 --out " + dir + "/straight"));
}

TEST(TrainCliTest, BadUsageExitsTwo) {
  EXPECT_EQ(0, run("train --help"));
  EXPECT_EQ(0, run("eval --help"));
  EXPECT_EQ(2, run("train --env bandit --alpah=3"));           // unknown flag
  EXPECT_EQ(2, run("train --env nowhere"));                     // unknown environment
  EXPECT_EQ(2, run("train --env bandit --batch_size=7"));       // impossible value
  EXPECT_EQ(2, run("train --env bandit --steps -1"));           // out of range
  EXPECT_EQ(2, run("train"));                                   // nothing to train on
  EXPECT_EQ(2, run("train --resume"));                          // resume without --out
  EXPECT_EQ(1, run("eval /nonexistent/checkpoint.bin --env bandit"));  // a missing file fails the work
}

}  // namespace
}  // namespace rql
