// test_golden_cli.cpp: `rql golden run|check|compare` as a verifier runs
// them: help and exit codes, `run` creating its output folder, `compare`
// judging a folder of outputs, and the walk-through of docs/verify.md (its
// Python snippet runs the independent PyTorch reference as a stand-in port,
// then `rql golden compare` must agree).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "io/npy.h"

namespace rql {
namespace {

// A path of this process's own under the test temp folder: other builds'
// test runs may run these tests at the same time.
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "rql_golden_cli_" + std::to_string(getpid()) + "_" + name;
}

// Runs `command` in a shell with output captured into *out (if given);
// returns its exit code.
int shell(const std::string& command, std::string* out = nullptr) {
  const std::string log = temp_path("log.txt");
  const int status = std::system((command + " >" + log + " 2>&1").c_str());
  if (out) {
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    *out = ss.str();
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int rql(const std::string& args, std::string* out = nullptr) { return shell(std::string(RQL_BINARY) + " " + args, out); }

std::string case_dir(const std::string& name) { return std::string(RQL_SOURCE_DIR) + "/data/golden/" + name; }

std::string fresh_dir(const std::string& name) {
  const std::string dir = temp_path(name);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return dir;
}

// Issue 11 item 4: `golden check --help` exited 1 (it read --help as a
// folder) and `golden run --help` exited 2 after an error line.
TEST(GoldenCliTest, HelpAnywhereExitsZeroWithUsage) {
  for (const char* args : {"golden --help", "golden check --help", "golden run --help", "golden compare --help",
                           "golden run -h", "golden check --verbose --help"}) {
    std::string out;
    EXPECT_EQ(rql(args, &out), 0) << args << "\n" << out;
    EXPECT_NE(out.find("usage: rql golden run"), std::string::npos) << args;
    EXPECT_EQ(out.find("expected"), std::string::npos) << args << ": no error line\n" << out;
  }
}

TEST(GoldenCliTest, BadUsageExitsTwo) {
  EXPECT_EQ(rql("golden"), 2);
  EXPECT_EQ(rql("golden frobnicate"), 2);
  EXPECT_EQ(rql("golden run " + case_dir("h2_k4_f3")), 2);   // no OUT_DIR
  EXPECT_EQ(rql("golden check"), 2);
  EXPECT_EQ(rql("golden compare " + case_dir("h2_k4_f3")), 2);  // no DIR
  EXPECT_EQ(rql("golden compare a b c"), 2);
}

// Issue 11 item 4: `rql golden run CASE OUT` failed when OUT did not exist.
TEST(GoldenCliTest, RunCreatesTheOutputFolder) {
  const std::string out = fresh_dir("run") + "/nested/out";
  ASSERT_EQ(rql("golden run " + case_dir("h2_k4_f3") + " " + out), 0);
  EXPECT_TRUE(std::filesystem::exists(out + "/out.q.npy"));
  EXPECT_TRUE(std::filesystem::exists(out + "/after.target_value.dense0.kernel.npy"));
}

// `run` writes what `compare` reads: this project's own outputs, treated as
// a port's, agree with every kind of case; a 1% change of one element makes
// compare exit 1 and name the tensor.
TEST(GoldenCliTest, RunThenCompareAgreesAndAChangeIsNamed) {
  for (const char* c : {"h5_k3_default_like", "multistep_h3_k3_t5", "policy_h3_f10_ln", "sampler_h3_b12"}) {
    const std::string out = fresh_dir(std::string("cmp_") + c);
    ASSERT_EQ(rql("golden run " + case_dir(c) + " " + out), 0) << c;
    std::string text;
    EXPECT_EQ(rql("golden compare " + case_dir(c) + " " + out, &text), 0) << c << "\n" << text;
    EXPECT_NE(text.find("PASS"), std::string::npos) << text;
  }
  const std::string out = temp_path("cmp_h5_k3_default_like");
  NpyArray t = npy_load(out + "/out.target.npy");
  t.data[2] = t.data[2] * 1.01 + 1e-3;
  npy_save(out + "/out.target.npy", t.shape, t.data.data());
  std::filesystem::remove(out + "/grad.value.ln0.scale.npy");
  std::ofstream(out + "/my_notes.txt") << "x\n";
  std::string text;
  EXPECT_EQ(rql("golden compare " + case_dir("h5_k3_default_like") + " " + out, &text), 1) << text;
  EXPECT_NE(text.find("MISMATCH out.target"), std::string::npos) << text;
  EXPECT_NE(text.find("worst [2]"), std::string::npos) << text;
  EXPECT_NE(text.find("MISSING  grad.value.ln0.scale"), std::string::npos) << text;
  EXPECT_NE(text.find("EXTRA"), std::string::npos) << text;
  EXPECT_NE(text.find("my_notes.txt"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("1 disagree, 1 missing, 0 wrong shape; 1 extra files"), std::string::npos) << text;
}

// A python3 that has NumPy and PyTorch, or "" (Debian's /usr/bin/python3
// first: a pyenv shim earlier on PATH may lack them).
std::string python_with_torch() {
  for (const char* py : {"/usr/bin/python3", "python3"})
    if (shell(std::string(py) + " -c 'import numpy, torch'") == 0) return py;
  return "";
}

// The Python block of docs/verify.md between the port-example markers.
std::string verify_md_snippet() {
  std::ifstream f(std::string(RQL_SOURCE_DIR) + "/docs/verify.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const size_t begin = doc.find("<!-- port-example:begin -->");
  const size_t end = doc.find("<!-- port-example:end -->");
  if (begin == std::string::npos || end == std::string::npos) return "";
  const size_t code = doc.find("```python\n", begin);
  const size_t close = doc.find("\n```", code + 10);
  if (code == std::string::npos || close == std::string::npos || close > end) return "";
  return doc.substr(code + 10, close + 1 - (code + 10));
}

// The walk-through of docs/verify.md, end to end: its snippet loads a case,
// runs tools/make_golden.py's update as the "port", writes the outputs;
// `rql golden compare` then agrees (exit 0). One case: importing torch
// takes seconds.
TEST(GoldenCliTest, VerifyMdWalkThroughAgrees) {
  const std::string snippet = verify_md_snippet();
  ASSERT_FALSE(snippet.empty()) << "docs/verify.md: no ```python block between the port-example markers";
  const std::string py = python_with_torch();
  if (py.empty()) GTEST_SKIP() << "no python3 with numpy and torch (apt-get install python3-torch python3-numpy)";
  const std::string script = temp_path("port_example.py");
  std::ofstream(script) << snippet;
  for (const char* c : {"h3_k3_rho_expectile"}) {
    const std::string out = fresh_dir(std::string("walk_") + c);
    std::string text;
    ASSERT_EQ(shell("cd " + std::string(RQL_SOURCE_DIR) + " && " + py + " " + script + " data/golden/" + c + " " +
                        out, &text), 0) << text;
    EXPECT_EQ(rql("golden compare " + case_dir(c) + " " + out, &text), 0) << text;
    EXPECT_NE(text.find("0 disagree, 0 missing, 0 wrong shape; 0 extra files"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace rql
