// kernels_fast.cpp: the fast kernel tables, single- and multi-threaded
// (kernels_fast.h).
#include "kernels_fast.h"

#include <thread>

#include "core/adam.h"
#include "gelu_fast.h"
#include "layernorm_fast.h"
#include "matmul_fast.h"

namespace rql {

namespace {

using Index = long;

// Below these sizes a job's wake-up costs more than the split gains.
constexpr double kMinFlops = 2e6;   // a product: 2 M K N
constexpr long kMinElements = 32768;  // GELU, LayerNorm: elements
constexpr long kMinFlatElements = 65536;  // Adam, Polyak: parameters

// [begin, end) of part `part` of `n` items cut into `parts` ranges whose
// sizes are multiples of `unit` (the last one takes the rest).
void split(int n, int unit, int part, int parts, int& begin, int& end) {
  const int units = (n + unit - 1) / unit;
  const int per = (units + parts - 1) / parts;
  begin = part * per * unit < n ? part * per * unit : n;
  end = begin + per * unit < n ? begin + per * unit : n;
}

// The same for long counts, in units of 64 elements.
void split_long(long n, int part, int parts, long& begin, long& end) {
  const long units = (n + 63) / 64, per = (units + parts - 1) / parts * 64;
  begin = part * per < n ? part * per : n;
  end = begin + per < n ? begin + per : n;
}

// The pool of ctx, or null when the job should run on the calling thread.
ThreadPool* pool_for(void* ctx, double work, double min_work) {
  if (!ctx) return nullptr;
  ThreadPool& pool = static_cast<FastKernels*>(ctx)->pool;
  return (pool.threads > 1 && work >= min_work) ? &pool : nullptr;
}

// One job's arguments (all kernels share the struct; each reads its fields).
struct Job {
  real* out;
  real* out2;
  real* out3;
  const real* in1;
  const real* in2;
  const real* in3;
  const real* in4;
  const real* in5;
  long n;
  int M, K, N;
};

// Output blocks of a product C (rows, cols): columns in units of 64 (whole
// tile panels) when there are at least 64 per part, else rows in units of 6
// (the tile height).
void block(int rows, int cols, int part, int parts, int& r0, int& r1, int& c0, int& c1) {
  if (cols >= 64 * parts) {
    r0 = 0;
    r1 = rows;
    split(cols, 64, part, parts, c0, c1);
  } else {
    c0 = 0;
    c1 = cols;
    split(rows, 6, part, parts, r0, r1);
  }
}

// ---- products

void forward_task(void* ctx, int part, int parts) {
  const Job& j = *static_cast<const Job*>(ctx);
  int i0, i1, c0, c1;
  block(j.M, j.N == 1 ? 1 : j.N, part, parts, i0, i1, c0, c1);
  matmul_forward_fast_block(j.out, j.in1, j.in2, j.in3, j.M, j.K, j.N, i0, i1, c0, c1);
}
void forward(void* ctx, real* Y, const real* X, const real* W, const real* b, int M, int K, int N) {
  ThreadPool* pool = pool_for(ctx, 2.0 * M * K * N, kMinFlops);
  if (!pool) return matmul_forward_fast(Y, X, W, b, M, K, N);
  Job j{Y, nullptr, nullptr, X, W, b, nullptr, nullptr, 0, M, K, N};
  pool_run(*pool, forward_task, &j);
}

void backward_input_task(void* ctx, int part, int parts) {
  const Job& j = *static_cast<const Job*>(ctx);
  int i0, i1, k0, k1;
  block(j.M, j.K, part, parts, i0, i1, k0, k1);  // dX (M, K)
  matmul_backward_input_fast_block(j.out, j.in1, j.in2, j.M, j.K, j.N, i0, i1, k0, k1);
}
void backward_input(void* ctx, real* dX, const real* dY, const real* W, int M, int K, int N) {
  ThreadPool* pool = pool_for(ctx, 2.0 * M * K * N, kMinFlops);
  if (!pool) return matmul_backward_input_fast(dX, dY, W, M, K, N);
  Job j{dX, nullptr, nullptr, dY, W, nullptr, nullptr, nullptr, 0, M, K, N};
  pool_run(*pool, backward_input_task, &j);
}

void backward_params_task(void* ctx, int part, int parts) {
  const Job& j = *static_cast<const Job*>(ctx);
  int k0, k1, c0, c1;
  block(j.K, j.N, part, parts, k0, k1, c0, c1);  // dW (K, N)
  // db[c0:c1] goes with the part holding dW's first rows of those columns.
  real* db = k0 == 0 ? j.out2 : nullptr;
  matmul_backward_params_fast_block(j.out, db, j.in1, j.in2, j.M, j.K, j.N, k0, k1, c0, c1);
}
void backward_params(void* ctx, real* dW, real* db, const real* X, const real* dY, int M, int K, int N) {
  ThreadPool* pool = pool_for(ctx, 2.0 * M * K * N, kMinFlops);
  if (!pool) return matmul_backward_params_fast(dW, db, X, dY, M, K, N);
  Job j{dW, db, nullptr, X, dY, nullptr, nullptr, nullptr, 0, M, K, N};
  pool_run(*pool, backward_params_task, &j);
}

// ---- GELU: element ranges in units of 64 (whole vectors on any target)

void gelu_fwd_task(void* ctx, int part, int parts) {
  const Job& j = *static_cast<const Job*>(ctx);
  int e0, e1;
  split(static_cast<int>(j.n), 64, part, parts, e0, e1);
  gelu_forward_fma(j.out + e0, j.in1 + e0, e1 - e0);
}
void gelu_fwd(void* ctx, real* y, const real* x, long n) {
  ThreadPool* pool = pool_for(ctx, static_cast<double>(n), kMinElements);
  if (!pool) return gelu_forward_fma(y, x, n);
  Job j{y, nullptr, nullptr, x, nullptr, nullptr, nullptr, nullptr, n, 0, 0, 0};
  pool_run(*pool, gelu_fwd_task, &j);
}

void gelu_bwd_task(void* ctx, int part, int parts) {
  const Job& j = *static_cast<const Job*>(ctx);
  int e0, e1;
  split(static_cast<int>(j.n), 64, part, parts, e0, e1);
  gelu_backward_exp(j.out + e0, j.in1 + e0, j.in2 + e0, e1 - e0);
}
void gelu_bwd(void* ctx, real* dx, const real* dy, const real* x, long n) {
  ThreadPool* pool = pool_for(ctx, static_cast<double>(n), kMinElements);
  if (!pool) return gelu_backward_exp(dx, dy, x, n);
  Job j{dx, nullptr, nullptr, dy, x, nullptr, nullptr, nullptr, n, 0, 0, 0};
  pool_run(*pool, gelu_bwd_task, &j);
}

// ---- LayerNorm: rows of y and dx; columns of dg, dbeta

void ln_fwd_task(void* ctx, int part, int parts) {
  const Job& j = *static_cast<const Job*>(ctx);
  int r0, r1;
  split(j.M, 1, part, parts, r0, r1);
  layernorm_forward_fast_rows(j.out, j.out2, j.out3, j.in1, j.in2, j.in3, j.M, j.N, r0, r1);
}
void ln_fwd(void* ctx, real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta, int M, int N) {
  ThreadPool* pool = pool_for(ctx, static_cast<double>(M) * N, kMinElements);
  if (!pool) return layernorm_forward_fast(y, mean, rstd, x, g, beta, M, N);
  Job j{y, mean, rstd, x, g, beta, nullptr, nullptr, 0, M, 0, N};
  pool_run(*pool, ln_fwd_task, &j);
}

// out = dx, out2 = dg, out3 = dbeta; in1 dy, in2 x, in3 mean, in4 rstd, in5 g
void ln_bwd_task(void* ctx, int part, int parts) {
  const Job& j = *static_cast<const Job*>(ctx);
  int r0, r1, c0, c1;
  split(j.M, 1, part, parts, r0, r1);
  layernorm_backward_fast_rows(j.out, j.in1, j.in2, j.in3, j.in4, j.in5, j.M, j.N, r0, r1);
  if (j.out2 || j.out3) {
    split(j.N, 16, part, parts, c0, c1);
    layernorm_backward_fast_params(j.out2, j.out3, j.in1, j.in2, j.in3, j.in4, j.M, j.N, c0, c1);
  }
}
void ln_bwd(void* ctx, real* dx, real* dg, real* dbeta, const real* dy, const real* x, const real* mean,
            const real* rstd, const real* g, int M, int N) {
  ThreadPool* pool = pool_for(ctx, static_cast<double>(M) * N, kMinElements);
  if (!pool) return layernorm_backward_fast(dx, dg, dbeta, dy, x, mean, rstd, g, M, N);
  Job j{dx, dg, dbeta, dy, x, mean, rstd, g, 0, M, 0, N};
  pool_run(*pool, ln_bwd_task, &j);
}

// ---- Adam and Polyak: element ranges in units of 64 (element-wise loops;
// compiled without FMA contraction, so vector and scalar code give the same
// bits and any split does too)

struct AdamJob {
  real* p;
  real* m;
  real* v;
  const real* g;
  long n, t;
  const AdamConfig* c;
};
void adam_task(void* ctx, int part, int parts) {
  const AdamJob& j = *static_cast<const AdamJob*>(ctx);
  long e0, e1;
  split_long(j.n, part, parts, e0, e1);
  adam_step(j.p + e0, j.m + e0, j.v + e0, j.g + e0, e1 - e0, j.t, *j.c);
}
void adam(void* ctx, real* p, real* m, real* v, const real* g, long n, long t, const AdamConfig& c) {
  ThreadPool* pool = pool_for(ctx, static_cast<double>(n), kMinFlatElements);
  if (!pool) return adam_step(p, m, v, g, n, t, c);
  AdamJob j{p, m, v, g, n, t, &c};
  pool_run(*pool, adam_task, &j);
}

struct PolyakJob {
  real* target;
  const real* source;
  long n;
  PolyakCoefficients c;
};
void polyak_task(void* ctx, int part, int parts) {
  const PolyakJob& j = *static_cast<const PolyakJob*>(ctx);
  long e0, e1;
  split_long(j.n, part, parts, e0, e1);
  polyak_update(j.target + e0, j.source + e0, e1 - e0, j.c);
}
void polyak(void* ctx, real* target, const real* source, long n, PolyakCoefficients c) {
  ThreadPool* pool = pool_for(ctx, static_cast<double>(n), kMinFlatElements);
  if (!pool) return polyak_update(target, source, n, c);
  PolyakJob j{target, source, n, c};
  pool_run(*pool, polyak_task, &j);
}

const Kernels kFast = {"fast",   nullptr,  forward, backward_input, backward_params, gelu_fwd,
                       gelu_bwd, ln_fwd,   ln_bwd,  adam,           polyak};

}  // namespace

const Kernels& kernels_fast() { return kFast; }

void fast_kernels_start(FastKernels& fk, int threads) {
  pool_start(fk.pool, threads);
  fk.table = kFast;
  fk.table.name = "fast, threaded";
  fk.table.ctx = &fk;
}

const Kernels& kernels_default() {
#if defined(RQL_FAST_KERNELS) && RQL_FAST_KERNELS
  return kFast;
#else
  return kernels_reference();
#endif
}

const Kernels& kernels_default(FastKernels& fk, int threads) {
#if defined(RQL_FAST_KERNELS) && RQL_FAST_KERNELS
  fast_kernels_start(fk, threads);
  return fk.table;
#else
  (void)fk;
  (void)threads;
  return kernels_reference();
#endif
}

int default_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace rql
