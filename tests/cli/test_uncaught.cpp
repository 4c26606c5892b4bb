// test_uncaught.cpp: no `rql` command dies of an uncaught exception (issue
// 11, item 3). The dispatcher (src/cli/main.cpp) turns whatever a subcommand
// lets through -- std::bad_alloc above all -- into a message and exit code 1;
// before, std::terminate ended the process with SIGABRT (exit 134).
//
// The out-of-memory case is produced for real: the program runs under an
// address-space limit (ulimit -v) with networks that fit every documented
// size limit but not the limit. Skipped under AddressSanitizer, whose shadow
// memory needs terabytes of address space.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

// Exit status of `sh -c command` (128 + signal when killed by one), with
// stderr captured into `err`.
int run_shell(const std::string& command, std::string* err) {
  const std::string log = ::testing::TempDir() + "rql_uncaught_" + std::to_string(::getpid()) + ".log";
  const int status = std::system(("(" + command + ") 2>" + log + " >/dev/null").c_str());
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  *err = ss.str();
  std::remove(log.c_str());
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

TEST(UncaughtExceptionTest, OutOfMemoryIsAMessageNotAnAbort) {
  if (kAsan) GTEST_SKIP() << "AddressSanitizer reserves more address space than the ulimit allows";
  const std::string out = ::testing::TempDir() + "rql_uncaught_run_" + std::to_string(::getpid());
  // 8192x8192 actor layers: 67e6 parameters, 268 MB per copy in float (537
  // MB in double), so the very first network allocation is larger than the
  // 256 MB address-space limit and fails before any large block is touched.
  // The run ends in well under a second. `timeout` turns a hang into a
  // failure that says so (instead of CTest's 600 s timeout), and the shell
  // stamps the start and rql's exit, so a hang shows whether rql itself
  // was still running.
  std::string err;
  const int code = run_shell("ulimit -v 262144; timeout 120 sh -c 'echo \"start $(date +%s.%N)\" >&2; " +
                                 std::string(RQL_BINARY) +
                                 " train --env bandit --episodes 20 --steps 2 --log_interval 1 --eval_interval 0"
                                 " --batch_size 8 --actor_hidden_dims=8192,8192 --value_hidden_dims=8 --ensemble_ct=2"
                                 " --out " +
                                 out + "; rc=$?; echo \"rql exited $rc at $(date +%s.%N)\" >&2; exit $rc'",
                             &err);
  std::system(("rm -rf " + out).c_str());
  ASSERT_NE(code, 124) << "rql train did not finish in 120 s; stderr:\n" << err;
  EXPECT_NE(code, 128 + SIGABRT) << err;  // std::terminate
  EXPECT_NE(code, 0) << err;
  EXPECT_NE(err.find("rql train: out of memory"), std::string::npos) << "exit " << code << ", stderr:\n" << err;
}

}  // namespace
