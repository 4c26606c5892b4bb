// test_fuzz_regressions.cpp: replays every input kept under
// tests/fuzz/regressions/<harness>/ through the same target the fuzzer runs
// (fuzz_targets.h), in the normal suite (and under the sanitizers in
// `make test-asan`). Each kept input once crashed a harness or broke one of
// its properties (docs/fuzzing.md lists them with the fix); replaying it
// must now end in acceptance or a clear rql::Error. The specific behaviour
// each fix gives is pinned by a named test next to the parser
// (tests/io/test_*.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"

namespace {

namespace fs = std::filesystem;

const fs::path kRegressions = fs::path(RQL_SOURCE_DIR) / "tests/fuzz/regressions";

std::vector<fs::path> inputs_of(const std::string& harness) {
  std::vector<fs::path> v;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kRegressions / harness, ec))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// Run `target` on every kept input of `harness`; any exception is a failure
// (the targets catch rql::Error themselves).
template <typename Target>
int replay(const std::string& harness, Target target) {
  int n = 0;
  for (const fs::path& p : inputs_of(harness)) {
    const std::vector<unsigned char> b = rql::read_file_bytes(p.string());
    try {
      target(b.data(), b.size());
    } catch (const std::exception& e) {
      ADD_FAILURE() << p << ": " << e.what();
    }
    ++n;
  }
  return n;
}

class FuzzRegressionTest : public ::testing::Test {
 protected:
  rql::fuzz::FuzzTempDir tmp_;
};

TEST_F(FuzzRegressionTest, KeptInputsAreRejectedCleanly) {
  int n = 0;
  n += replay("inflate", rql::fuzz::target_inflate);
  n += replay("npy", rql::fuzz::target_npy);
  n += replay("npz", rql::fuzz::target_npz);
  n += replay("config", rql::fuzz::target_config);
  n += replay("dataset", [&](const uint8_t* d, size_t s) { return rql::fuzz::target_dataset(tmp_, d, s); });
  n += replay("checkpoint", [&](const uint8_t* d, size_t s) { return rql::fuzz::target_checkpoint(tmp_, d, s); });
  n += replay("golden", [&](const uint8_t* d, size_t s) { return rql::fuzz::target_golden(tmp_, d, s); });
  EXPECT_GT(n, 0) << "no kept inputs found under " << kRegressions;
}

}  // namespace
