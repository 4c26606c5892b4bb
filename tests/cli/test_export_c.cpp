// test_export_c.cpp: `rql export c` (io/export_c.h): the generated C99 module
// compiles warning-free, and returns, on the host and on emulated Cortex-M4
// and Cortex-M7 boards, bit for bit the chunks rql-cpp's agent_act returns.
//
// Why bit-identity (no tolerance) is the right expectation:
//   1. agent_act here runs with the reference matrix product (bias, then the
//      inputs in index order) and the chained tanh_float (tanh_fast.h), both
//      compiled without contraction (-ffp-contract=off, CMakeLists.txt).
//   2. The C performs the same IEEE single-precision operations in the same
//      order (export_c.cpp says which line each mirrors), compiled here with
//      -ffp-contract=off too; add, multiply, divide and sqrt are correctly
//      rounded on x86-64 SSE and on the Cortex-M4/M7 FPUs alike, and no libm
//      function whose last bit could differ between libraries is called
//      (the tanh is the C's own; fabsf only clears a bit).
//   3. So any difference is a bug, and the negative controls show that one
//      flipped last bit is caught.
// A double build (RQL_DOUBLE) has no float agent_act to compare with: those
// tests skip there (the C is float whatever `real` is).
//
// The tools (cc, gcc/clang, arm-none-eabi-gcc with picolibc,
// qemu-system-arm) are looked up at run time; a test whose tool is missing
// reports itself SKIPPED with the package to install.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/layers.h"
#include "core/rql.h"
#include "fast/gelu_fast.h"
#include "io/checkpoint.h"
#include "io/error.h"
#include "io/export_c.h"
#include "io/golden.h"
#include "io/npy.h"

namespace rql {
namespace {

// ---- tools ----

bool have(const std::string& cmd) { return std::system(("command -v " + cmd + " >/dev/null 2>&1").c_str()) == 0; }

bool have_picolibc() {
  return have("arm-none-eabi-gcc") &&
         std::system("arm-none-eabi-gcc --specs=picolibc.specs -print-file-name=picolibc.specs >/dev/null 2>&1 && "
                     "test -f \"$(arm-none-eabi-gcc -print-file-name=picolibc.specs)\"") == 0;
}

struct RunResult {
  int status = -1;  // exit code, or -1 if it did not exit normally
  std::string output;  // stdout and stderr
};

RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string fresh_dir(const std::string& tag) {
  const std::string d = testing::TempDir() + "rql_export_" + tag + "_" + std::to_string(getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

const std::string kSource = RQL_SOURCE_DIR;
// The warning set of issue 10 plus -Wshadow, as errors.
const std::string kStrict = "-std=c99 -Wall -Wextra -Wpedantic -Wdouble-promotion -Wconversion -Wshadow -Werror";
// Cortex-M: picolibc with semihosting, no linker script (code at 0, RAM at
// 0x20000000, 4 MiB each: the mps2 boards' memory map).
const std::string kPicolibc =
    "--specs=picolibc.specs --oslib=semihost --crt0=semihost -Wl,--defsym=__flash=0 -Wl,--defsym=__flash_size=4M "
    "-Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=4M";
const std::string kM4 = "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16";
const std::string kM7 = "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16";

// ---- the agent and its cases ----

// obs 4, action 2, h 2 (A = 4), F 4, actor 9 -> 16 -> 13 -> 4: widths that
// use the C's blocks of 8 and of 4 and its one-output tail, and odd inputs
// (9, 13) for the two-rows-per-pass loop's last row.
RqlConfig small_config(bool layer_norm) {
  RqlConfig c;
  c.obs_dim = 4;
  c.action_dim = 2;
  c.h = 2;
  c.flow_steps = 4;
  c.actor_hidden_dims = {16, 13};
  c.value_hidden_dims = {8};
  c.ensemble_ct = 1;
  c.batch_size = 4;
  c.actor_layer_norm = layer_norm;
  c.seed = 7;
  return c;
}

// agent_init, then every target actor parameter moved by U(-0.2, 0.2): non-zero
// biases, LayerNorm scales away from 1, and a target actor that differs from
// the online one (the export must take the target).
Agent test_agent(const RqlConfig& cfg) {
  Agent a;
  EXPECT_EQ(agent_init(a, cfg), "");
  Rng r = rng_make(11, kStreamExplore);
  for (real& v : a.target_actor) v += static_cast<real>(rng_range(r, -0.2, 0.2));
  return a;
}

void fast_gelu(void*, real* y, const real* x, long n) { gelu_forward_fast(y, x, n); }
void fast_gelu_backward(void*, real* dx, const real* dy, const real* x, long n) { gelu_backward_fast(dx, dy, x, n); }

// The kernel set whose arithmetic the C module reproduces (export_c.h): the
// reference set with gelu_forward_fast (the chained tanh_float; the fast
// set's own forward, gelu_forward_fma, fuses its multiply-adds).
const Kernels& kernels_like_export() {
  static const Kernels k = [] {
    Kernels r = kernels_reference();
    r.name = "reference + fast GELU";
    r.gelu_forward = fast_gelu;
    r.gelu_backward = fast_gelu_backward;
    return r;
  }();
  return k;
}

struct Cases {
  int n = 0, D = 0, A = 0;
  std::vector<real> obs, noise, expected;
};

// n (obs, noise) pairs: obs ~ 1.5 N(0, 1), noise ~ N(0, 1) with case 0's
// noise 3.0 everywhere (its chunk clips at 1), and the chunks agent_act
// returns for them (one batch: rows are computed independently).
Cases make_cases(const Agent& agent, int n, uint64_t seed) {
  Cases c;
  c.n = n;
  c.D = agent.cfg.obs_dim;
  c.A = agent.actor_shape.A;
  Rng r = rng_make(seed, kStreamExplore);
  for (int i = 0; i < n * c.D; ++i) c.obs.push_back(static_cast<real>(1.5 * static_cast<double>(rng_normal(r))));
  for (int i = 0; i < n * c.A; ++i) c.noise.push_back(i < c.A ? real(3) : static_cast<real>(rng_normal(r)));
  Agent a = agent;
  agent_set_kernels(a, &kernels_like_export());
  std::vector<real> work(static_cast<size_t>(flow_work_size(a.actor_shape, n)));
  c.expected.resize(static_cast<size_t>(n) * c.A);
  agent_act(a, c.obs.data(), c.noise.data(), n, c.expected.data(), work.data());
  return c;
}

// A float as an exact C99 hexadecimal literal ("0x1.8p+1f").
std::string hex_float(real v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%af", static_cast<double>(static_cast<float>(v)));
  return buf;
}

std::string c_rows(const char* name, const std::vector<real>& v, int n, int width) {
  std::string s = "static const float " + std::string(name) + "[" + std::to_string(n) + "][" +
                  std::to_string(width) + "] = {\n";
  for (int i = 0; i < n; ++i) {
    s += "  {";
    for (int j = 0; j < width; ++j) s += (j ? ", " : "") + hex_float(v[static_cast<size_t>(i) * width + j]);
    s += "},\n";
  }
  return s + "};\n";
}

// rql_cases.h for tests/embedded/check_cases.c. corrupt: the first expected
// element moved by one unit in the last place (the negative control).
std::string cases_header(const Cases& c, bool corrupt) {
  std::vector<real> expected = c.expected;
  if (corrupt) expected[0] = static_cast<real>(std::nextafter(static_cast<float>(expected[0]), 2.0f));
  return "/* generated by tests/cli/test_export_c.cpp */\n#define RQL_CASES_N " + std::to_string(c.n) + "\n" +
         c_rows("rql_case_obs", c.obs, c.n, c.D) + c_rows("rql_case_noise", c.noise, c.n, c.A) +
         c_rows("rql_case_expected", expected, c.n, c.A);
}

// Export `agent` into a fresh folder with the cases header; returns the folder.
std::string prepare(const std::string& tag, const Agent& agent, bool int8, const Cases& cases, bool corrupt) {
  const std::string dir = fresh_dir(tag);
  ExportCOptions opt;
  opt.int8 = int8;
  export_c_write(export_c(agent, opt), dir);
  write_file_bytes(dir + "/rql_cases.h", cases_header(cases, corrupt));
  return dir;
}

std::string host_build_cmd(const std::string& cc, const std::string& dir) {
  return cc + " " + kStrict + " -O2 -ffp-contract=off -I" + dir + " " + kSource +
         "/tests/embedded/check_cases.c " + dir + "/rql_policy.c -lm -o " + dir + "/check";
}

std::string arm_build_cmd(const std::string& cpu, const std::string& dir, const std::string& elf) {
  return "arm-none-eabi-gcc " + kStrict + " -O2 -ffp-contract=off " + cpu + " " + kPicolibc + " -I" + dir + " " +
         kSource + "/tests/embedded/check_cases.c " + dir + "/rql_policy.c -o " + dir + "/" + elf;
}

std::string qemu_cmd(const std::string& machine, const std::string& elf) {
  return "timeout 300 qemu-system-arm -M " + machine +
         " -nographic -monitor none -semihosting-config enable=on,target=native -kernel " + elf;
}

// ---- the int8 module's arithmetic, in C++ (its order, export_c.cpp) ----

// y (N) = (x (K) Q (K, N)) scale + b: acc from 0, k in order.
void dense_int8(real* y, const real* x, const int8_t* Q, const float* scale, const real* b, int K, int N) {
  for (int j = 0; j < N; ++j) {
    real acc = 0;
    for (int k = 0; k < K; ++k) {
      const real p = x[k] * static_cast<real>(Q[static_cast<long>(k) * N + j]);
      acc += p;
    }
    const real s = acc * static_cast<real>(scale[j]);
    y[j] = s + b[j];
  }
}

// chunk (A) for one (obs, noise): flow_sample with dense_int8 in place of
// the float Dense (in `real`: exact only in the float build, where it is used).
void int8_act(const Agent& agent, const real* obs, const real* noise, real* chunk) {
  const FlowShape& fs = agent.actor_shape;
  const MlpShape& s = fs.net;
  const MlpParams p = mlp_params(s, agent.target_actor.data(), 0);
  std::vector<std::vector<int8_t>> q(s.n_layers);
  std::vector<std::vector<float>> scale(s.n_layers);
  for (int i = 0; i < s.n_layers; ++i) {
    const int K = i == 0 ? s.in_dim : s.dims[i - 1];
    q[i].resize(static_cast<size_t>(K) * s.dims[i]);
    scale[i].resize(s.dims[i]);
    quantise_kernel_int8(p.W[i], K, s.dims[i], q[i].data(), scale[i].data());
  }
  std::vector<real> x(noise, noise + fs.A), in(s.in_dim), cur, next;
  for (int step = 0; step < fs.flow_steps; ++step) {
    std::vector<real> t{static_cast<real>(step) / static_cast<real>(fs.flow_steps)};
    flow_input(in.data(), obs, x.data(), t.data(), 1, fs.obs_dim, fs.A);
    cur = in;
    for (int i = 0; i < s.n_layers; ++i) {
      next.assign(s.dims[i], real(0));
      dense_int8(next.data(), cur.data(), q[i].data(), scale[i].data(), p.b[i], static_cast<int>(cur.size()),
                 s.dims[i]);
      if (i < s.n_layers - 1) {
        gelu_forward_fast(next.data(), std::vector<real>(next).data(), s.dims[i]);
        if (s.layer_norm) {
          real mean, rstd;
          layernorm_forward(next.data(), &mean, &rstd, std::vector<real>(next).data(), p.g[i], p.beta[i], 1,
                            s.dims[i]);
        }
      }
      cur = next;
    }
    for (int k = 0; k < fs.A; ++k) x[k] += cur[k] / static_cast<real>(fs.flow_steps);
  }
  for (int k = 0; k < fs.A; ++k) chunk[k] = x[k] < real(-1) ? real(-1) : (x[k] > real(1) ? real(1) : x[k]);
}

Cases make_int8_cases(const Agent& agent, int n, uint64_t seed) {
  Cases c = make_cases(agent, n, seed);
  for (int i = 0; i < n; ++i)
    int8_act(agent, c.obs.data() + static_cast<long>(i) * c.D, c.noise.data() + static_cast<long>(i) * c.A,
             c.expected.data() + static_cast<long>(i) * c.A);
  return c;
}

#ifdef RQL_DOUBLE
#define SKIP_IN_DOUBLE_BUILD() GTEST_SKIP() << "the exported C is float: bit-identity is checked in the float build"
#else
#define SKIP_IN_DOUBLE_BUILD() (void)0
#endif

// ---- tests ----

TEST(ExportCTest, HeaderStatesTheInterfaceAndSizes) {
  const Agent a = test_agent(small_config(false));
  const ExportCModule m = export_c(a, ExportCOptions{});
  EXPECT_EQ(m.header_name, "rql_policy.h");
  EXPECT_EQ(m.source_name, "rql_policy.c");
  for (const char* line : {"#define RQL_POLICY_OBS_DIM 4\n", "#define RQL_POLICY_ACTION_DIM 4 ",
                           "#define RQL_POLICY_H 2\n", "#define RQL_POLICY_FLOW_STEPS 4\n",
                           "void rql_policy_act(const float *obs, const float *noise, float *chunk);"})
    EXPECT_NE(m.header.find(line), std::string::npos) << line;
  // in = 4 + 4 + 1 = 9; kernels 9*16 + 16*13 + 13*4 = 144 + 208 + 52 = 404,
  // biases 16 + 13 + 4 = 33: 437 floats = 1748 bytes.
  EXPECT_EQ(m.params, 437);
  EXPECT_EQ(m.weight_bytes, 1748);
  EXPECT_EQ(m.work_floats, 9 + 2 * 16 + 4);  // input, two hidden buffers, velocity
  EXPECT_EQ(m.macs, 404 * 4);                // F = 4 forward passes
  // With LayerNorm: + (16 + 13) scales and biases = 58 floats (232 bytes).
  EXPECT_EQ(export_c(test_agent(small_config(true)), ExportCOptions{}).weight_bytes, 1748 + 232);
  // int8: 404 kernel bytes + 33 scales + 33 biases (float) = 404 + 264.
  ExportCOptions q;
  q.int8 = true;
  EXPECT_EQ(export_c(a, q).weight_bytes, 404 + 264);
  // --name renames files, functions and macros.
  ExportCOptions named;
  named.name = "arm_policy";
  const ExportCModule n = export_c(a, named);
  EXPECT_EQ(n.header_name, "arm_policy.h");
  EXPECT_NE(n.header.find("void arm_policy_act(const float *obs"), std::string::npos);
  EXPECT_NE(n.header.find("#define ARM_POLICY_OBS_DIM 4"), std::string::npos);
  EXPECT_EQ(n.header.find("rql_policy"), std::string::npos);
  named.name = "9lives";
  EXPECT_THROW(export_c(a, named), Error);
}

TEST(ExportCTest, QuantiseKernelInt8PerOutputChannel) {
  // Column 0: max |W| = 2.54 -> scale 0.02, q = round(W / 0.02):
  //   2.54 -> 127, -1.27 -> -63.5 -> -64 (half away from zero), 0.01 -> 0.5 -> 1.
  // Column 1: all zero -> scale 1, q 0.
  const real W[6] = {real(2.54), 0, real(-1.27), 0, real(0.01), 0};  // (3, 2)
  int8_t q[6];
  float scale[2];
  quantise_kernel_int8(W, 3, 2, q, scale);
  EXPECT_FLOAT_EQ(scale[0], 0.02f);
  EXPECT_EQ(scale[1], 1.0f);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[2], -64);
  EXPECT_EQ(q[4], 1);
  EXPECT_EQ(q[1], 0);
  EXPECT_EQ(q[3], 0);
  EXPECT_EQ(q[5], 0);
}

TEST(ExportCTest, CommandLineWritesTheModuleAndRejectsBadFlags) {
  const std::string dir = fresh_dir("cli");
  write_file_bytes(dir + "/cfg.txt", "obs_dim=3\naction_dim=2\nh=2\nflow_steps=4\nactor_hidden_dims=16,12\n"
                                     "value_hidden_dims=8\nensemble_ct=1\nbatch_size=4\n");
  const std::string rql = RQL_BINARY;
  EXPECT_EQ(run(rql + " export c --help").status, 0);
  const RunResult ok = run(rql + " export c --untrained " + dir + "/cfg.txt --weights int8 --name arm --out " + dir);
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/arm.h"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/arm.c"));
  // Usage errors exit 2 and name the flag.
  const RunResult bad = run(rql + " export c --untrained " + dir + "/cfg.txt --weights int4 --out " + dir);
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("--weights int4"), std::string::npos) << bad.output;
  EXPECT_EQ(run(rql + " export c --untrained " + dir + "/cfg.txt --name 9x --out " + dir).status, 2);
  EXPECT_EQ(run(rql + " export c " + dir + "/cfg.txt").status, 2);  // no --out
  // A file that is not a checkpoint: exit 1 (the work failed), naming it.
  const RunResult notckpt = run(rql + " export c " + dir + "/cfg.txt --out " + dir);
  EXPECT_EQ(notckpt.status, 1);
  EXPECT_NE(notckpt.output.find("cfg.txt"), std::string::npos) << notckpt.output;
}

// --int8-checkpoint: the target actor's kernels become q_kj scale_j with
// scale_j = max_k |W_kj| / 127 and q_kj = round(W_kj / scale_j) (in float,
// as export_c.h documents, recomputed here); nothing else changes, and the run record (env, task) is
// carried over so that `rql eval` scores it in the same task.
TEST(ExportCTest, Int8CheckpointHoldsDequantisedKernelsAndTheRunRecord) {
  const std::string dir = fresh_dir("int8ckpt");
  const Agent a = test_agent(small_config(false));
  CheckpointSaveOptions save;
  save.run_text = "env=pointmaze-medium\ntask=2\n";
  checkpoint_save(a, dir + "/f32.bin", save);
  const RunResult r = run(std::string(RQL_BINARY) + " export c " + dir + "/f32.bin --weights int8 --out " + dir +
                          " --int8-checkpoint " + dir + "/i8.bin");
  ASSERT_EQ(r.status, 0) << r.output;
  CheckpointInfo info;
  const Agent b = checkpoint_load(dir + "/i8.bin", &info);
  EXPECT_EQ(info.run_text, save.run_text);
  EXPECT_EQ(b.actor, a.actor);
  EXPECT_EQ(b.value, a.value);
  const MlpShape& s = a.actor_shape.net;
  const MlpParams pa = mlp_params(s, a.target_actor.data(), 0), pb = mlp_params(s, b.target_actor.data(), 0);
  long changed = 0;
  for (int i = 0; i < s.n_layers; ++i) {
    const int K = i == 0 ? s.in_dim : s.dims[i - 1], N = s.dims[i];
    for (int j = 0; j < N; ++j) {
      EXPECT_EQ(pb.b[i][j], pa.b[i][j]);
      float m = 0;
      for (int k = 0; k < K; ++k) m = std::max(m, std::fabs(static_cast<float>(pa.W[i][k * N + j])));
      const float scale = m / 127.0f;  // float, as documented in export_c.h
      for (int k = 0; k < K; ++k) {
        const float w = static_cast<float>(pa.W[i][k * N + j]);
        const double want = static_cast<double>(std::round(w / scale)) * static_cast<double>(scale);
        EXPECT_NEAR(pb.W[i][k * N + j], want, 1e-6 * static_cast<double>(m)) << "layer " << i << " k " << k << " j " << j;
        changed += pb.W[i][k * N + j] != pa.W[i][k * N + j];
      }
    }
  }
  EXPECT_GT(changed, 0);  // the kernels did move (to the int8 grid)
}

TEST(ExportCTest, CompilesWarningFreeWithGccAndClang) {
  std::vector<std::string> compilers;
  for (const char* cc : {"gcc", "clang"})
    if (have(cc)) compilers.push_back(cc);
  if (compilers.empty()) GTEST_SKIP() << "neither gcc nor clang is installed (apt-get install gcc clang)";
  int built = 0;
  for (bool ln : {false, true})
    for (bool int8 : {false, true}) {
      const std::string dir = fresh_dir("warn");
      ExportCOptions opt;
      opt.int8 = int8;
      export_c_write(export_c(test_agent(small_config(ln)), opt), dir);
      for (const std::string& cc : compilers)
        for (const char* opt_level : {"-O0", "-O2"}) {
          const RunResult r = run(cc + " " + kStrict + " " + opt_level + " -c " + dir + "/rql_policy.c -o " + dir +
                                  "/rql_policy.o");
          EXPECT_EQ(r.status, 0) << cc << " ln=" << ln << " int8=" << int8 << "\n" << r.output;
          ++built;
        }
    }
  if (have_picolibc()) {
    const std::string dir = fresh_dir("warn_arm");
    export_c_write(export_c(test_agent(small_config(true)), ExportCOptions{}), dir);
    const RunResult r =
        run("arm-none-eabi-gcc " + kStrict + " -O2 " + kM4 + " -c " + dir + "/rql_policy.c -o " + dir + "/p.o");
    EXPECT_EQ(r.status, 0) << r.output;
  }
  EXPECT_EQ(built, 8 * static_cast<int>(compilers.size()));
}

TEST(ExportCTest, HostCMatchesAgentActBitForBit) {
  SKIP_IN_DOUBLE_BUILD();
  if (!have("cc")) GTEST_SKIP() << "no host C compiler `cc` (apt-get install gcc)";
  for (bool ln : {false, true}) {
    const Agent a = test_agent(small_config(ln));
    const std::string dir = prepare("host", a, false, make_cases(a, 16, 3), false);
    const RunResult b = run(host_build_cmd("cc", dir));
    ASSERT_EQ(b.status, 0) << b.output;
    const RunResult r = run(dir + "/check");
    EXPECT_EQ(r.status, 0) << "layer_norm " << ln << ":\n" << r.output;
    EXPECT_NE(r.output.find("RQL_CASES_OK 16"), std::string::npos) << r.output;
  }
}

TEST(ExportCTest, HostNegativeControlFails) {
  SKIP_IN_DOUBLE_BUILD();
  if (!have("cc")) GTEST_SKIP() << "no host C compiler `cc` (apt-get install gcc)";
  const Agent a = test_agent(small_config(true));
  const std::string dir = prepare("host_neg", a, false, make_cases(a, 4, 3), true);
  ASSERT_EQ(run(host_build_cmd("cc", dir)).status, 0);
  const RunResult r = run(dir + "/check");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("RQL_CASES_MISMATCH 1 of 16"), std::string::npos) << r.output;
}

TEST(ExportCTest, HostInt8MatchesItsArithmeticInCpp) {
  SKIP_IN_DOUBLE_BUILD();
  if (!have("cc")) GTEST_SKIP() << "no host C compiler `cc` (apt-get install gcc)";
  for (bool ln : {false, true}) {
    const Agent a = test_agent(small_config(ln));
    const std::string dir = prepare("host_int8", a, true, make_int8_cases(a, 16, 5), false);
    ASSERT_EQ(run(host_build_cmd("cc", dir)).status, 0);
    const RunResult r = run(dir + "/check");
    EXPECT_EQ(r.status, 0) << "layer_norm " << ln << ":\n" << r.output;
  }
}

// Cortex-M4F (mps2-an386) and Cortex-M7 (mps2-an500) under qemu-system-arm.
struct Board {
  const char* name;
  const std::string* cpu;
  const char* machine;
};
const Board kBoards[] = {{"m4", &kM4, "mps2-an386"}, {"m7", &kM7, "mps2-an500"}};

#define SKIP_WITHOUT_CORTEX_M_TOOLS()                                                                  \
  do {                                                                                                 \
    if (!have_picolibc())                                                                              \
      GTEST_SKIP() << "arm-none-eabi-gcc with picolibc is missing "                                    \
                      "(apt-get install gcc-arm-none-eabi picolibc-arm-none-eabi)";                    \
    if (!have("qemu-system-arm")) GTEST_SKIP() << "qemu-system-arm is missing (apt-get install qemu-system-arm)"; \
  } while (0)

TEST(ExportCTest, CortexMMatchesAgentActBitForBit) {
  SKIP_IN_DOUBLE_BUILD();
  SKIP_WITHOUT_CORTEX_M_TOOLS();
  const Agent a = test_agent(small_config(true));
  const Cases cases = make_cases(a, 16, 3);
  const Cases int8_cases = make_int8_cases(a, 16, 5);
  for (const Board& b : kBoards)
    for (bool int8 : {false, true}) {
      const std::string dir = prepare(std::string("arm_") + b.name, a, int8, int8 ? int8_cases : cases, false);
      const RunResult build = run(arm_build_cmd(*b.cpu, dir, "check.elf"));
      ASSERT_EQ(build.status, 0) << build.output;
      const RunResult r = run(qemu_cmd(b.machine, dir + "/check.elf"));
      EXPECT_EQ(r.status, 0) << b.name << " int8=" << int8 << ":\n" << r.output;
      EXPECT_NE(r.output.find("RQL_CASES_OK 16"), std::string::npos) << r.output;
    }
}

// The authors' default actor (4x512 hidden; obs 29, action 8, h 5, F 10:
// 844,840 parameters, 3.4 MB of float weights) links into the mps2 map's
// 4 MiB of flash and returns agent_act's chunks bit for bit on the M4.
TEST(ExportCTest, AuthorsDefaultActorFitsFourMiBAndMatchesOnM4) {
  SKIP_IN_DOUBLE_BUILD();
  SKIP_WITHOUT_CORTEX_M_TOOLS();
  RqlConfig c;  // the authors' actor (docs/spec.md §6); a tiny value net, which the export ignores
  c.obs_dim = 29;
  c.action_dim = 8;
  c.h = 5;
  c.value_hidden_dims = {8};
  c.ensemble_ct = 1;
  c.batch_size = 2;
  Agent a;
  ASSERT_EQ(agent_init(a, c), "");
  const std::string dir = prepare("arm_4x512", a, false, make_cases(a, 2, 3), false);
  const RunResult build = run(arm_build_cmd(kM4, dir, "check.elf"));
  ASSERT_EQ(build.status, 0) << build.output;
  // text + data is what the flash holds: under 4 MiB = 4,194,304 bytes (the
  // link itself fails past __flash_size).
  const RunResult size = run("arm-none-eabi-size " + dir + "/check.elf");
  ASSERT_EQ(size.status, 0) << size.output;
  long text = 0, data = 0;
  ASSERT_EQ(std::sscanf(size.output.substr(size.output.find('\n') + 1).c_str(), "%ld %ld", &text, &data), 2)
      << size.output;
  EXPECT_GT(text + data, 844840L * 4);  // the weights are all in flash
  EXPECT_LT(text + data, 4L << 20);
  const RunResult r = run(qemu_cmd("mps2-an386", dir + "/check.elf"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("RQL_CASES_OK 2"), std::string::npos) << r.output;
}

TEST(ExportCTest, CortexMNegativeControlFails) {
  SKIP_IN_DOUBLE_BUILD();
  SKIP_WITHOUT_CORTEX_M_TOOLS();
  const Agent a = test_agent(small_config(false));
  for (const Board& b : kBoards) {
    const std::string dir = prepare(std::string("arm_neg_") + b.name, a, false, make_cases(a, 4, 3), true);
    ASSERT_EQ(run(arm_build_cmd(*b.cpu, dir, "check.elf")).status, 0);
    const RunResult r = run(qemu_cmd(b.machine, dir + "/check.elf"));
    EXPECT_EQ(r.status, 1) << b.name << ":\n" << r.output;
    EXPECT_NE(r.output.find("RQL_CASES_MISMATCH 1 of 16"), std::string::npos) << r.output;
  }
}

TEST(ExportCTest, CortexM4ImageHasNoDoubleArithmetic) {
  // A single-precision FPU runs double arithmetic in software helpers
  // (__aeabi_dadd, __aeabi_f2d, ...): none may be referenced by the policy
  // object, nor appear anywhere in the linked firmware image.
  if (!have_picolibc()) GTEST_SKIP() << "arm-none-eabi-gcc with picolibc is missing (apt-get install gcc-arm-none-eabi picolibc-arm-none-eabi)";
  const Agent a = test_agent(small_config(true));
  for (bool int8 : {false, true}) {
    const std::string dir = prepare("nm", a, int8, make_cases(a, 2, 3), false);
    ASSERT_EQ(run(arm_build_cmd(kM4, dir, "check.elf")).status, 0);
    ASSERT_EQ(run("arm-none-eabi-gcc " + kStrict + " -O2 " + kM4 + " -c " + dir + "/rql_policy.c -o " + dir +
                  "/rql_policy.o")
                  .status,
              0);
    for (const char* file : {"rql_policy.o", "check.elf"}) {
      const RunResult nm = run("arm-none-eabi-nm " + dir + "/" + file);
      ASSERT_EQ(nm.status, 0) << nm.output;
      EXPECT_NE(nm.output.find("rql_policy_act"), std::string::npos) << "nm listed nothing useful:\n" << nm.output;
      for (const char* bad : {"__aeabi_d", "__aeabi_f2d", "__aeabi_i2d", "__aeabi_ui2d", "__aeabi_l2d"})
        EXPECT_EQ(nm.output.find(bad), std::string::npos) << file << " int8=" << int8 << " has " << bad;
    }
  }
}

TEST(ExportCTest, MatchesThePolicyGoldenCases) {
  // data/golden/policy_*: the Euler sampler computed independently (PyTorch,
  // float64, tools/make_golden.py). The C is float, so it cannot equal them
  // bit for bit; it is held bit-equal to agent_act (like the tests above) on
  // the golden inputs, and agent_act's chunks are held to the golden
  // tolerance of out.actions (io/golden.cpp: 2e-6 + 2e-5 |want|): the C
  // then passes the same check a port must pass.
  SKIP_IN_DOUBLE_BUILD();
  if (!have("cc")) GTEST_SKIP() << "no host C compiler `cc` (apt-get install gcc)";
  int cases = 0;
  for (const char* name : {"policy_h1_f3", "policy_h3_f10_ln"}) {
    const std::string golden = kSource + "/data/golden/" + name;
    if (!std::filesystem::exists(golden + "/out.actions.npy")) continue;
    ++cases;
    const GoldenInputs in = golden_load(golden);
    Cases c;
    c.D = in.agent.cfg.obs_dim;
    c.A = in.agent.actor_shape.A;
    c.n = static_cast<int>(in.x0.size()) / c.A;
    c.obs = in.observations;
    c.noise = in.x0;
    Agent a = in.agent;
    agent_set_kernels(a, &kernels_like_export());
    std::vector<real> work(static_cast<size_t>(flow_work_size(a.actor_shape, c.n)));
    c.expected.resize(in.x0.size());
    agent_act(a, c.obs.data(), c.noise.data(), c.n, c.expected.data(), work.data());

    GoldenTensor t;
    t.name = "out.actions";
    t.shape = {c.n, c.A};
    for (real v : c.expected) t.data.push_back(static_cast<double>(v));
    for (const GoldenDiff& d : golden_compare(golden, {t}))
      EXPECT_TRUE(d.ok) << name << " " << d.name << ": worst " << d.got << " vs " << d.want << " " << d.error;

    const std::string dir = prepare(std::string("golden_") + name, in.agent, false, c, false);
    ASSERT_EQ(run(host_build_cmd("cc", dir)).status, 0);
    const RunResult r = run(dir + "/check");
    EXPECT_EQ(r.status, 0) << name << ":\n" << r.output;
    if (have_picolibc() && have("qemu-system-arm")) {
      ASSERT_EQ(run(arm_build_cmd(kM4, dir, "check.elf")).status, 0);
      const RunResult m4 = run(qemu_cmd("mps2-an386", dir + "/check.elf"));
      EXPECT_EQ(m4.status, 0) << name << " on M4:\n" << m4.output;
    }
  }
  if (cases == 0) GTEST_SKIP() << "no data/golden/policy_* case found";
}

TEST(ExportCTest, NoiseGeneratorIsStandardNormal) {
  // 2^17 draws of the C's polar method: mean 0 and variance 1 within 5
  // standard errors (mean: 1/sqrt(n) = 0.0028; variance: sqrt(2/n) = 0.0039),
  // and the fraction beyond 1.96 is 0.05 within 5 sqrt(0.05 0.95 / n) = 0.003.
  if (!have("cc")) GTEST_SKIP() << "no host C compiler `cc` (apt-get install gcc)";
  const std::string dir = fresh_dir("noise");
  export_c_write(export_c(test_agent(small_config(false)), ExportCOptions{}), dir);
  write_file_bytes(dir + "/noise.c",
                   "#include <stdio.h>\n#include \"rql_policy.h\"\n"
                   "int main(void) {\n  rql_policy_rng rng; float z[RQL_POLICY_ACTION_DIM]; double s = 0, s2 = 0, "
                   "tail = 0; long n = 0; int i, k;\n  rql_policy_rng_seed(&rng, 12345u);\n"
                   "  for (i = 0; i < 32768; ++i) { rql_policy_noise(&rng, z);\n"
                   "    for (k = 0; k < RQL_POLICY_ACTION_DIM; ++k) { s += z[k]; s2 += (double)z[k] * z[k]; "
                   "tail += z[k] > 1.96f || z[k] < -1.96f; ++n; } }\n"
                   "  printf(\"%ld %.6f %.6f %.6f\\n\", n, s / n, s2 / n - (s / n) * (s / n), tail / n);\n"
                   "  return 0;\n}\n");
  ASSERT_EQ(run("cc -std=c99 -O2 -I" + dir + " " + dir + "/noise.c " + dir + "/rql_policy.c -lm -o " + dir + "/noise")
                .status,
            0);
  const RunResult r = run(dir + "/noise");
  ASSERT_EQ(r.status, 0) << r.output;
  long n = 0;
  double mean = 1, var = 0, tail = 0;
  ASSERT_EQ(std::sscanf(r.output.c_str(), "%ld %lf %lf %lf", &n, &mean, &var, &tail), 4) << r.output;
  EXPECT_EQ(n, 32768L * 4);
  EXPECT_LT(std::fabs(mean), 5 * 0.0028);
  EXPECT_LT(std::fabs(var - 1), 5 * 0.0039);
  EXPECT_LT(std::fabs(tail - 0.05), 0.003);
}

}  // namespace
}  // namespace rql
