// cli_bench.cpp: `rql bench SUBCOMMAND`, speed measurements (benchmarks, not
// tests: they print numbers and fail only on bad usage).
//
//   rql bench matmul [--reps N] [--threads T]
//                                 GFLOP/s of the three products of matmul.h
//                                 (reference, fast, fast on T threads, and
//                                 single-threaded cblas_?gemm when the program
//                                 was built with OpenBLAS) at the shapes RQL
//                                 uses; see docs/benchmarks.md.
//   rql bench update              the RQL update step (cli_bench_update.cpp).
//   rql bench act                 one action for one observation (same file).
//
// To add a subcommand, write `int bench_<name>(int argc, char** argv)` and
// fill its row of kBenchmarks below; dispatch and --help follow from the table.
//
// Timing: std::chrono::steady_clock; one warm-up call, which also sets how
// many calls one repetition makes (enough for >= 2 ms, so that the clock's
// resolution does not matter); the median over the repetitions is reported.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"
#include "cli_args.h"
#include "core/matmul.h"
#include "fast/matmul_fast.h"
#include "core/rng.h"
#include "core/scalar.h"
#include "fast/threads.h"

#ifdef RQL_HAVE_CBLAS
#include <cblas.h>
#endif

namespace rql {
namespace {

// ---------------------------------------------------------------- machine --

// Value of the first "key : value" line of /proc/cpuinfo, or "unknown".
std::string cpuinfo_field(const char* key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  const std::size_t n = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) != 0) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (line.find_first_not_of(" \t", n) != colon) continue;  // "model" must not match "model name"
    return line.substr(std::min(line.size(), colon + 2));
  }
  return "unknown";
}

}  // namespace

void bench_print_machine() {
  std::printf("machine\n");
  std::printf("  cpu       %s (family %s, model %s), %u hardware threads\n", cpuinfo_field("model name").c_str(),
              cpuinfo_field("cpu family").c_str(), cpuinfo_field("model").c_str(),
              std::thread::hardware_concurrency());
  std::printf("  compiler  %s %s\n",
#if defined(__clang__)
              "clang",
#elif defined(__GNUC__)
              "g++",
#else
              "c++",
#endif
              __VERSION__);
  // What the build enabled, from the compiler's predefined macros (every
  // source of the library is compiled with the same target flags).
  std::printf("  flags    ");
#ifdef __OPTIMIZE__
  std::printf(" optimised");
#endif
#ifdef NDEBUG
  std::printf(" NDEBUG");
#endif
#ifdef __AVX512F__
  std::printf(" AVX-512F");
#endif
#ifdef __AVX2__
  std::printf(" AVX2");
#endif
#ifdef __FMA__
  std::printf(" FMA");
#endif
  std::printf(" (fast kernels also -ffp-contract=fast; no -ffast-math)\n");
  std::printf("  scalar    %s (%zu bytes)\n", sizeof(real) == sizeof(float) ? "float" : "double", sizeof(real));
}

namespace {

// ------------------------------------------------------------------ timing --

using Clock = std::chrono::steady_clock;

// Median seconds per call of `fn` over `reps` repetitions (after a warm-up).
template <class F>
double seconds_per_call(F&& fn, int reps) {
  Clock::time_point t0 = Clock::now();
  fn();  // warm-up: caches, page faults, frequency
  const double once = std::chrono::duration<double>(Clock::now() - t0).count();
  const int calls = once >= 2e-3 ? 1 : static_cast<int>(2e-3 / std::max(once, 1e-9)) + 1;
  std::vector<double> t(static_cast<std::size_t>(reps));
  for (double& s : t) {
    t0 = Clock::now();
    for (int c = 0; c < calls; ++c) fn();
    s = std::chrono::duration<double>(Clock::now() - t0).count() / calls;
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[static_cast<std::size_t>(reps / 2)];
}

// ------------------------------------------------------------------ matmul --

#ifdef RQL_HAVE_CBLAS
// OpenBLAS's gemm for the library's scalar type (row-major, C = alpha op(A) op(B) + beta C).
#ifndef RQL_DOUBLE
void blas_gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta,
               float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b,
              ldb, beta, c, ldc);
}
#else
void blas_gemm(bool ta, bool tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb, double beta,
               double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a, lda, b,
              ldb, beta, c, ldc);
}
#endif  // RQL_DOUBLE
#endif

struct Shape {
  int M, K, N;
};
// The products RQL runs: batch 256 through the first layer (38 inputs) and a
// 512-wide hidden layer, one observation (acting), and a small layer.
const Shape kShapes[] = {{256, 38, 512}, {256, 512, 512}, {1, 512, 512}, {64, 64, 64}};
const char* const kProducts[] = {"forward", "backward_input", "backward_params"};

void fill_uniform(std::vector<real>& v, Rng& rng) {
  for (real& x : v) x = static_cast<real>(rng_range(rng, -1.0, 1.0));
}

int bench_matmul(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"reps", "N", "repetitions per measurement, median reported", "11"},
      {"threads", "T", "also time the fast kernels split over T threads (threads.h)", "1"},
  };
  int reps = 11, threads = 1;
  try {
    const ParsedArgs a = parse_flags(argc, argv, 1, specs);
    if (a.has("help")) {
      std::printf(
          "usage: rql bench matmul [--reps N] [--threads T]\n%s"
          "Columns: GFLOP/s of the reference kernel, the fast kernel (1 thread), the\n"
          "fast kernel on T threads (if T > 1), single-threaded OpenBLAS (if linked),\n"
          "and the ratio of the single-threaded fast kernel to OpenBLAS.\n",
          flags_help(specs).c_str());
      return 0;
    }
    if (!a.positional.empty()) throw UsageError("unknown argument '" + a.positional[0] + "' (try --help)");
    reps = static_cast<int>(flag_int(a, "reps", 11, 1, 100000));
    threads = static_cast<int>(flag_int(a, "threads", 1, 1, 256));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql bench matmul: %s\n", e.what());
    return 2;
  }

  bench_print_machine();
#ifdef RQL_HAVE_CBLAS
  openblas_set_num_threads(1);  // single-threaded comparison, as the fast kernel
  std::printf("  openblas  %s, core %s, 1 thread\n", openblas_get_config(), openblas_get_corename());
#ifdef __AVX512F__
  // OpenBLAS 0.3.21 does not know Zen 4/5 and picks its AVX2 (Haswell or
  // Zen) kernels there; the comparison that matches the hardware needs its
  // AVX-512 ones, chosen when the library loads, hence an environment variable.
  std::string core = openblas_get_corename();
  for (char& ch : core) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (core.find("skylakex") == std::string::npos && core.find("cooperlake") == std::string::npos &&
      core.find("sapphirerapids") == std::string::npos)
    std::printf("            (not its AVX-512 kernels: run with OPENBLAS_CORETYPE=SkylakeX to compare with those)\n");
#endif
#else
  std::printf("  openblas  not linked (install libopenblas-dev and reconfigure to compare)\n");
#endif
  std::printf("  timing    median of %d repetitions; bias terms off (b, db null); GFLOP/s = 2 M K N / time\n\n",
              reps);

  ThreadPool pool;
  pool_start(pool, threads);
  char threaded[32];
  std::snprintf(threaded, sizeof threaded, "fast x%d", threads);
  std::printf("%-14s %-16s %10s %10s", "M x K x N", "product", "ref", "fast");
  if (threads > 1) std::printf(" %10s", threaded);
  std::printf(" %10s %13s\n", "openblas", "fast/openblas");
  Rng rng = rng_make(1, kStreamInit);
  for (const Shape& s : kShapes) {
    const int M = s.M, K = s.K, N = s.N;
    std::vector<real> X(std::size_t(M) * K), W(std::size_t(K) * N), Y(std::size_t(M) * N);
    fill_uniform(X, rng);
    fill_uniform(W, rng);
    fill_uniform(Y, rng);  // doubles as dY
    // Outputs of the backward products; they accumulate over the repetitions
    // (harmless for timing: magnitudes grow linearly, far from overflow).
    std::vector<real> dX(X.size(), real(0)), dW(W.size(), real(0)), out(Y.size());
    std::vector<real> scratch(matmul_threaded_scratch_size(threads, K, N));
    const real* x = X.data();
    const real* w = W.data();
    const real* dy = Y.data();
    const double flops = 2.0 * M * K * N;
    char shape[32];
    std::snprintf(shape, sizeof shape, "%dx%dx%d", M, K, N);
    for (int p = 0; p < 3; ++p) {
      double t_ref = 0, t_fast = 0, t_threads = 0;
      if (p == 0) {
        t_ref = seconds_per_call([&] { matmul_forward_ref(out.data(), x, w, nullptr, M, K, N); }, reps);
        t_fast = seconds_per_call([&] { matmul_forward_fast(out.data(), x, w, nullptr, M, K, N); }, reps);
        if (threads > 1)
          t_threads = seconds_per_call(
              [&] { matmul_forward_threaded(pool, out.data(), x, w, nullptr, M, K, N); }, reps);
      } else if (p == 1) {
        t_ref = seconds_per_call([&] { matmul_backward_input_ref(dX.data(), dy, w, M, K, N); }, reps);
        t_fast = seconds_per_call([&] { matmul_backward_input_fast(dX.data(), dy, w, M, K, N); }, reps);
        if (threads > 1)
          t_threads = seconds_per_call(
              [&] { matmul_backward_input_threaded(pool, dX.data(), dy, w, M, K, N); }, reps);
      } else {
        t_ref = seconds_per_call([&] { matmul_backward_params_ref(dW.data(), nullptr, x, dy, M, K, N); }, reps);
        t_fast = seconds_per_call([&] { matmul_backward_params_fast(dW.data(), nullptr, x, dy, M, K, N); }, reps);
        if (threads > 1)
          t_threads = seconds_per_call(
              [&] { matmul_backward_params_threaded(pool, dW.data(), nullptr, x, dy, M, K, N, scratch.data()); },
              reps);
      }
      std::printf("%-14s %-16s %10.2f %10.2f", shape, kProducts[p], flops / t_ref * 1e-9, flops / t_fast * 1e-9);
      if (threads > 1) std::printf(" %10.2f", flops / t_threads * 1e-9);
#ifdef RQL_HAVE_CBLAS
      double t_blas = 0;
      if (p == 0)  // Y = X W
        t_blas = seconds_per_call([&] { blas_gemm(false, false, M, N, K, x, K, w, N, 0, out.data(), N); }, reps);
      else if (p == 1)  // dX += dY W^T
        t_blas = seconds_per_call([&] { blas_gemm(false, true, M, K, N, dy, N, w, N, 1, dX.data(), K); }, reps);
      else  // dW += X^T dY
        t_blas = seconds_per_call([&] { blas_gemm(true, false, K, N, M, x, K, dy, N, 1, dW.data(), N); }, reps);
      std::printf(" %10.2f %13.2f\n", flops / t_blas * 1e-9, t_blas / t_fast);
#else
      std::printf(" %10s %13s\n", "-", "-");
#endif
    }
  }
  return 0;
}

// -------------------------------------------------------------- dispatch --

struct Benchmark {
  const char* name;
  int (*run)(int, char**);  // null: not built yet
  const char* summary;
};

const Benchmark kBenchmarks[] = {
    {"matmul", bench_matmul, "GFLOP/s of the matrix products (reference, fast, OpenBLAS) [--reps N] [--threads T]"},
    {"update", bench_update, "updates/s, FLOPs and peak memory of the RQL update (cli_bench_update.cpp)"},
    {"act", bench_act, "microseconds per action, one observation, EMA actor (cli_bench_update.cpp)"},
};

void print_bench_usage(std::FILE* out) {
  std::fprintf(out, "usage: rql bench BENCHMARK [ARGS...]   (rql bench BENCHMARK --help for details)\n\nbenchmarks:\n");
  for (const Benchmark& b : kBenchmarks)
    std::fprintf(out, "  %-8s %s%s\n", b.name, b.summary, b.run ? "" : " (not built yet)");
}

}  // namespace

// argv[0] is "bench", argv[1] the benchmark's name.
int cmd_bench(int argc, char** argv) {
  if (argc < 2) {
    print_bench_usage(stderr);
    return 2;
  }
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_bench_usage(stdout);
    return 0;
  }
  for (const Benchmark& b : kBenchmarks) {
    if (std::strcmp(argv[1], b.name) != 0) continue;
    if (!b.run) {
      std::fprintf(stderr, "rql bench %s: not built yet\n", b.name);
      return 2;
    }
    return b.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "rql bench: unknown benchmark '%s'\n\n", argv[1]);
  print_bench_usage(stderr);
  return 2;
}

}  // namespace rql
