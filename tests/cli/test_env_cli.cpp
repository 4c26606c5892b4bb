// test_env_cli.cpp: `rql make-dataset` as a user runs it: exit codes for
// good and bad usage, and a written dataset that reads back equal to
// env_make_dataset's.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "io/dataset.h"
#include "envs/env.h"

namespace rql {
namespace {

// Runs `rql ARGS` with output discarded; returns its exit code.
int run(const std::string& args) {
  const std::string cmd = std::string(RQL_BINARY) + " " + args + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/rql_test_env_cli_" + name;
}

TEST(EnvCliTest, HelpExitsZero) { EXPECT_EQ(run("make-dataset --help"), 0); }

TEST(EnvCliTest, BadUsageExitsTwo) {
  const std::string out = " --out " + temp_path("unused.npz");
  EXPECT_EQ(run("make-dataset"), 2);                                      // no environment
  EXPECT_EQ(run("make-dataset pointmaze-huge --episodes 1" + out), 2);    // unknown environment
  EXPECT_EQ(run("make-dataset bandit --episodes 1 --color red" + out), 2);  // unknown flag
  EXPECT_EQ(run("make-dataset bandit --episodes 0" + out), 2);            // impossible value
  EXPECT_EQ(run("make-dataset bandit --episodes 1x" + out), 2);           // not an integer
  EXPECT_EQ(run("make-dataset bandit" + out), 2);                         // --out without --episodes
  EXPECT_EQ(run("make-dataset bandit --episodes 1"), 2);                  // nothing to write
  EXPECT_EQ(run("make-dataset bandit --task 2 --episodes 1" + out), 2);   // bandit has task 1 only
  EXPECT_EQ(run("make-dataset pointmaze-medium --task 3 --episodes 1" + out), 2);
  EXPECT_EQ(run("make-dataset bandit --svg " + temp_path("b.svg")), 2);   // no maze to draw
  EXPECT_EQ(run("make-dataset bandit --seed -1 --episodes 1" + out), 2);
  EXPECT_EQ(run("make-dataset pointmaze-large --episodes 1 --svg-episodes 3" + out), 2);  // needs --svg
}

TEST(EnvCliTest, UnwritablePathExitsOne) {
  EXPECT_EQ(run("make-dataset bandit --episodes 2 --out /nonexistent-folder/x/d.npz"), 1);
}

TEST(EnvCliTest, WrittenDatasetReadsBackEqual) {
  const std::string path = temp_path("medium.npz");
  ASSERT_EQ(run("make-dataset pointmaze-medium --task=2 --episodes 2 --seed 9 --out " + path), 0);
  const Dataset got = dataset_load(path);
  const Dataset want = env_make_dataset("pointmaze-medium", 2, 2, 9);
  std::remove(path.c_str());
  ASSERT_EQ(got.n, want.n);
  ASSERT_EQ(got.obs_dim, want.obs_dim);
  EXPECT_EQ(got.observations, want.observations);
  EXPECT_EQ(got.actions, want.actions);
  EXPECT_EQ(got.rewards, want.rewards);
  EXPECT_EQ(got.terminals, want.terminals);
  EXPECT_EQ(got.masks, want.masks);
}

TEST(EnvCliTest, SvgFlagDrawsTheMaze) {
  const std::string path = temp_path("large.svg");
  ASSERT_EQ(run("make-dataset pointmaze-large --task 2 --svg " + path + " --svg-episodes 3"), 0);
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::remove(path.c_str());
  const std::string doc = ss.str();
  EXPECT_NE(doc.find("pointmaze-large task 2"), std::string::npos);
  int polylines = 0;
  for (size_t p = doc.find("<polyline"); p != std::string::npos; p = doc.find("<polyline", p + 1)) ++polylines;
  EXPECT_EQ(polylines, 3);
}

}  // namespace
}  // namespace rql
