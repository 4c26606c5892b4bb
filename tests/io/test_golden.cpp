// test_golden.cpp: every committed golden case (data/golden/, made by the
// independent PyTorch implementation tools/make_golden.py) is recomputed by
// the C++ update and compared tensor by tensor, with the per-kind tolerances
// of golden_tolerance (docs/verify.md). Also: malformed cases give clear
// errors.
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/golden.h"

namespace rql {
namespace {

std::vector<std::string> golden_cases() {
  std::vector<std::string> cases;
  const std::string root = std::string(RQL_SOURCE_DIR) + "/data/golden";
  if (DIR* d = opendir(root.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name[0] != '.' && std::ifstream(root + "/" + name + "/config.txt")) cases.push_back(name);
    }
    closedir(d);
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, UpdateMatchesIndependentImplementation) {
  const std::string dir = std::string(RQL_SOURCE_DIR) + "/data/golden/" + GetParam();
  const GoldenInputs in = golden_load(dir);
  const std::vector<GoldenDiff> diffs = golden_compare(dir, golden_run(in));
  // SPEC 8: out.* (10), grad.* for the two online nets, after.* for all four.
  ASSERT_GE(diffs.size(), 10u + 2u * 2u + 4u * 2u);
  for (const GoldenDiff& d : diffs) {
    EXPECT_TRUE(d.error.empty()) << d.name << ": " << d.error;
    EXPECT_TRUE(d.ok) << d.name << ": worst element [" << d.worst_index << "] got " << d.got << " want " << d.want
                      << ", error/allowed " << d.ratio;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(golden_cases()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(GoldenCasesTest, AtLeastSixCasesAreCommitted) { EXPECT_GE(golden_cases().size(), 6u); }

// A perturbed output must be caught: the comparison is not vacuous.
TEST(GoldenCompareTest, DetectsAPerturbedGradient) {
  const std::string dir = std::string(RQL_SOURCE_DIR) + "/data/golden/" + golden_cases().at(0);
  std::vector<GoldenTensor> out = golden_run(golden_load(dir));
  bool perturbed = false;
  for (GoldenTensor& t : out)
    if (t.name.rfind("grad.actor.", 0) == 0 && !perturbed) {
      t.data[0] += 1e-2 * (1.0 + std::fabs(t.data[0]));
      perturbed = true;
    }
  ASSERT_TRUE(perturbed);
  int bad = 0;
  for (const GoldenDiff& d : golden_compare(dir, out)) bad += d.ok ? 0 : 1;
  EXPECT_EQ(bad, 1);
}

TEST(GoldenLoadTest, MissingFolderNamesConfigFile) {
  try {
    golden_load("/nonexistent/case");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/case/config.txt"), std::string::npos) << e.what();
  }
}

TEST(GoldenLoadTest, MissingTensorNamesFileAndShape) {
  // A case folder with a valid config but no tensors.
  const std::string dir = ::testing::TempDir() + "rql_golden_empty";
  std::remove((dir + "/config.txt").c_str());
  ASSERT_EQ(0, system(("mkdir -p " + dir).c_str()));
  std::ofstream(dir + "/config.txt") << "obs_dim=2\naction_dim=1\nh=1\nbatch_size=2\nensemble_ct=1\n"
                                        "actor_hidden_dims=4\nvalue_hidden_dims=4\n";
  try {
    golden_load(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("actor.dense0.kernel.npy: missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[4, 4]"), std::string::npos) << msg;  // in = 2 + 1 + 1, out 4
  }
}

TEST(GoldenLoadTest, BadConfigValueNamesLine) {
  const std::string dir = ::testing::TempDir() + "rql_golden_badcfg";
  ASSERT_EQ(0, system(("mkdir -p " + dir).c_str()));
  std::ofstream(dir + "/config.txt") << "obs_dim=2\naction_dim=1\nbatch_size=3\n";
  try {
    golden_load(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch_size must be even"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rql
