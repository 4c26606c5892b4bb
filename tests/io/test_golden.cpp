// test_golden.cpp: every committed golden case (data/golden/, made by the
// independent PyTorch implementation tools/make_golden.py) is recomputed by
// the C++ update and compared tensor by tensor, with the per-kind tolerances
// of golden_tolerance (docs/verify.md), in every kind of case (update,
// multistep, policy, sampler). Also: malformed cases give clear errors, and
// golden_compare_outputs (`rql golden compare`) judges a port's files.
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/rql.h"
#include "fast/kernels_fast.h"
#include "io/error.h"
#include "io/golden.h"
#include "io/npy.h"

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
  // docs/spec.md §8: out.* (10), grad.* for the two online nets (at least a kernel
  // and a bias each), after.* for all four; per step in a multistep case,
  // plus the Adam moments (2 moments x 2 nets x 2 tensors) and step count.
  // A policy case has out.actions; a sampler case the five out.batch.*.
  const size_t update = 10u + 2u * 2u + 4u * 2u;
  const size_t want = in.kind == GoldenKind::kUpdate      ? update
                      : in.kind == GoldenKind::kMultistep ? kGoldenSteps * (update + 8u + 1u)
                      : in.kind == GoldenKind::kPolicy    ? 1u
                                                          : 5u;
  if (in.kind == GoldenKind::kPolicy || in.kind == GoldenKind::kSampler) {
    EXPECT_EQ(diffs.size(), want);
  }
  ASSERT_GE(diffs.size(), want);
  for (const GoldenDiff& d : diffs) {
    EXPECT_TRUE(d.error.empty()) << d.name << ": " << d.error;
    EXPECT_TRUE(d.ok) << d.name << ": worst element [" << d.worst_index << "] got " << d.got << " want " << d.want
                      << ", error/allowed " << d.ratio;
  }
}

// The same cases computed with the fast kernels (src/fast: blocked products
// with FMA, the vectorised tanh and LayerNorm) on 1 and 2 threads. The test
// above runs the core's reference kernels; the program uses these, and the
// same per-tensor tolerances hold for both.
TEST_P(GoldenTest, FastKernelsMeetTheSameTolerances) {
  const std::string dir = std::string(RQL_SOURCE_DIR) + "/data/golden/" + GetParam();
  for (int threads : {1, 2}) {
    GoldenInputs in = golden_load(dir);
    FastKernels fast;
    fast_kernels_start(fast, threads);
    agent_set_kernels(in.agent, &fast.table);
    const std::vector<GoldenDiff> diffs = golden_compare(dir, golden_run(in));
    ASSERT_FALSE(diffs.empty());
    for (const GoldenDiff& d : diffs) {
      EXPECT_TRUE(d.error.empty()) << threads << " threads, " << d.name << ": " << d.error;
      EXPECT_TRUE(d.ok) << threads << " threads, " << d.name << ": worst element [" << d.worst_index << "] got "
                        << d.got << " want " << d.want << ", error/allowed " << d.ratio;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(golden_cases()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST(GoldenCasesTest, AtLeastSixCasesAreCommitted) { EXPECT_GE(golden_cases().size(), 6u); }

// Every kind of case is committed at least twice (docs/verify.md lists them).
TEST(GoldenCasesTest, EveryKindHasTwoCases) {
  int count[4] = {0, 0, 0, 0};
  for (const std::string& c : golden_cases())
    ++count[static_cast<int>(golden_load(std::string(RQL_SOURCE_DIR) + "/data/golden/" + c).kind)];
  for (int k = 0; k < 4; ++k) EXPECT_GE(count[k], 2) << golden_kind_name(static_cast<GoldenKind>(k));
}

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

// ---- The new kinds of case are not vacuous ----

std::string case_dir(const std::string& name) { return std::string(RQL_SOURCE_DIR) + "/data/golden/" + name; }

int mismatches(const std::string& dir, const std::vector<GoldenTensor>& out) {
  int bad = 0;
  for (const GoldenDiff& d : golden_compare(dir, out)) bad += d.ok ? 0 : 1;
  return bad;
}

// Starting the three updates from a fresh Adam state instead of the case's
// moments and step count must fail: the case pins the loaded state.
TEST(GoldenMultistepTest, IgnoringTheGivenAdamStateFails) {
  const std::string dir = case_dir("multistep_h3_k3_t5");
  GoldenInputs in = golden_load(dir);
  ASSERT_EQ(in.kind, GoldenKind::kMultistep);
  ASSERT_EQ(in.agent.step, 4);  // GENERATOR.txt: adam.step = 4
  EXPECT_EQ(mismatches(dir, golden_run(in)), 0);
  in.agent.step = 0;  // bias correction as for t = 1, 2, 3
  EXPECT_GT(mismatches(dir, golden_run(in)), 0);
  in = golden_load(dir);
  std::fill(in.agent.actor_m.begin(), in.agent.actor_m.end(), real(0));  // moments of a new agent
  EXPECT_GT(mismatches(dir, golden_run(in)), 0);
}

// Step 2 and 3 read the state step 1 left (parameters, targets, moments):
// running step 2 on the loaded parameters instead fails.
TEST(GoldenMultistepTest, StepsAreChained) {
  const std::string dir = case_dir("multistep_h2_k2_fresh");
  GoldenInputs in = golden_load(dir);
  const std::vector<GoldenTensor> chained = golden_run(in);
  in.batches.erase(in.batches.begin());  // now "step1" runs step 2's batch on the initial state
  in.noises.erase(in.noises.begin());
  std::vector<GoldenTensor> unchained = golden_run(in);
  for (GoldenTensor& t : unchained) t.name = "step" + std::to_string(t.name[4] - '0' + 1) + t.name.substr(5);
  EXPECT_EQ(mismatches(dir, chained), 0);
  EXPECT_GT(mismatches(dir, unchained), 0);
}

// Sampling with the online actor (left at its init in a policy case) instead
// of the target actor fails.
TEST(GoldenPolicyTest, SamplingWithAnotherActorFails) {
  const std::string dir = case_dir("policy_h3_f10_ln");
  GoldenInputs in = golden_load(dir);
  ASSERT_EQ(in.kind, GoldenKind::kPolicy);
  EXPECT_EQ(mismatches(dir, golden_run(in)), 0);
  std::swap(in.agent.target_actor, in.agent.actor);
  EXPECT_EQ(mismatches(dir, golden_run(in)), 1);
}

// A chunk that starts one transition later fails (the comparison is exact).
TEST(GoldenSamplerTest, ShiftedStartFails) {
  const std::string dir = case_dir("sampler_h3_b12");
  GoldenInputs in = golden_load(dir);
  ASSERT_EQ(in.kind, GoldenKind::kSampler);
  EXPECT_EQ(mismatches(dir, golden_run(in)), 0);
  in.t0[0] -= in.t0[0] > in.dataset.n / 2 ? 1 : -1;
  EXPECT_GT(mismatches(dir, golden_run(in)), 0);
}

// ---- Malformed new-kind cases ----

std::string temp_copy(const std::string& from, const std::string& name) {
  // The process id keeps parallel test runs of other builds apart.
  const std::string dir = ::testing::TempDir() + "rql_golden_" + std::to_string(getpid()) + "_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::copy(case_dir(from), dir);
  return dir;
}

TEST(GoldenLoadTest, UnknownCaseKindNamesLine) {
  const std::string dir = temp_copy("policy_h1_f3", "badkind");
  std::ofstream(dir + "/config.txt") << "obs_dim=2\ncase=polcy\n";
  try {
    golden_load(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("config.txt line 2: case must be update, multistep, policy or sampler (got 'polcy')"),
              std::string::npos) << msg;
  }
  std::filesystem::remove_all(dir);
}

TEST(GoldenLoadTest, SamplerStartOutsideItsEpisodeNamesRow) {
  const std::string dir = temp_copy("sampler_h3_b12", "badstart");
  // GENERATOR.txt: episodes (0,0) (1,6) (7,8) (9,9) (10,18) (19,22) (23,25);
  // eligible index 0 is (1, 6): t0 = 6 is its last transition, never a start.
  std::vector<int32_t> e(12, 0), t0(12, 1);  // B = 12 rows of episode (1, 6) from t0 = 1 ...
  t0[3] = 6;                                   // ... but row 3
  npy_save_i32(dir + "/sampler.episode.npy", {static_cast<long>(e.size())}, e.data());
  npy_save_i32(dir + "/sampler.t0.npy", {static_cast<long>(t0.size())}, t0.data());
  try {
    golden_load(dir);
    FAIL() << "expected an error";
  } catch (const Error& err) {
    const std::string msg = err.what();
    EXPECT_NE(msg.find("sampler.t0.npy: row 3 starts at 6, outside [1, 6)"), std::string::npos) << msg;
  }
  std::filesystem::remove_all(dir);
}

// ---- golden_compare_outputs: a port's files against a case ----

// A port folder holding exactly the case's expected outputs.
std::string port_copy(const std::string& from, const std::string& name) {
  const std::string dir = ::testing::TempDir() + "rql_port_" + std::to_string(getpid()) + "_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(case_dir(from))) {
    const std::string f = e.path().filename().string();
    if (f.size() > 4 && f.substr(f.size() - 4) == ".npy" && golden_is_output(f.substr(0, f.size() - 4)))
      std::filesystem::copy_file(e.path(), dir + "/" + f);
  }
  return dir;
}

TEST(GoldenCompareOutputsTest, ExactCopyOfTheExpectedOutputsPasses) {
  for (const char* c : {"h3_k3_rho_expectile", "multistep_h2_k2_fresh", "policy_h1_f3", "sampler_h5_b6"}) {
    const std::string dir = port_copy(c, "exact");
    const GoldenComparison r = golden_compare_outputs(case_dir(c), dir);
    EXPECT_FALSE(r.diffs.empty()) << c;
    for (const GoldenDiff& d : r.diffs) EXPECT_TRUE(d.ok && d.error.empty() && d.ratio == 0) << c << " " << d.name;
    EXPECT_TRUE(r.extra.empty()) << c;
    std::filesystem::remove_all(dir);
  }
}

TEST(GoldenCompareOutputsTest, OnePercentChangeOfOneElementFailsNamingTheTensor) {
  const std::string c = "h3_k3_rho_expectile";
  const std::string dir = port_copy(c, "onepct");
  NpyArray q = npy_load(dir + "/out.q.npy");
  q.data[5] *= 1.01;
  npy_save(dir + "/out.q.npy", q.shape, q.data.data());
  const GoldenComparison r = golden_compare_outputs(case_dir(c), dir);
  int bad = 0;
  for (const GoldenDiff& d : r.diffs)
    if (!d.ok) {
      ++bad;
      EXPECT_EQ(d.name, "out.q");
      EXPECT_EQ(d.worst_index, 5);
      EXPECT_GT(d.ratio, 10.0);  // 1% of |q| against 4e-6 + 4e-5 |q|: about 250x over for |q| ~ 1
    }
  EXPECT_EQ(bad, 1);
  std::filesystem::remove_all(dir);
}

TEST(GoldenCompareOutputsTest, MissingAndWrongShapeTensorsAreReportedExtraFilesListed) {
  const std::string c = "h2_k4_f3";
  const std::string dir = port_copy(c, "broken");
  std::filesystem::remove(dir + "/grad.actor.dense0.bias.npy");
  const double two[2] = {1, 2};
  npy_save(dir + "/out.total_loss.npy", {2}, two);       // a 0-d loss written as [2]
  npy_save(dir + "/out.q_loss.npy", {}, two);             // not an output of the case
  std::ofstream(dir + "/notes.txt") << "port v0\n";
  const GoldenComparison r = golden_compare_outputs(case_dir(c), dir);
  int missing = 0, shape = 0, other = 0;
  for (const GoldenDiff& d : r.diffs) {
    if (d.missing) {
      ++missing;
      EXPECT_EQ(d.name, "grad.actor.dense0.bias");
      EXPECT_NE(d.error.find("grad.actor.dense0.bias.npy: missing"), std::string::npos) << d.error;
    } else if (!d.error.empty()) {
      ++shape;
      EXPECT_EQ(d.name, "out.total_loss");
      EXPECT_NE(d.error.find("shape [2], the case has []"), std::string::npos) << d.error;
    } else {
      other += d.ok ? 0 : 1;
    }
  }
  EXPECT_EQ(missing, 1);
  EXPECT_EQ(shape, 1);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(r.extra, (std::vector<std::string>{"notes.txt", "out.q_loss.npy"}));
  std::filesystem::remove_all(dir);
}

TEST(GoldenCompareOutputsTest, AFolderWithoutOutputsIsNotACase) {
  EXPECT_THROW(golden_compare_outputs(std::string(RQL_SOURCE_DIR) + "/docs", case_dir("h2_k4_f3")), Error);
}

}  // namespace
}  // namespace rql
