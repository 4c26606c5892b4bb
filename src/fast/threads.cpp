// threads.cpp: the worker pool and the threaded products (see threads.h).
#include "threads.h"

#include "matmul_fast.h"

namespace rql {
namespace {

using Index = std::ptrdiff_t;

// Spin-wait rounds before sleeping: one round is a pause instruction and an
// atomic load, 20.5 ns on the benchmark machine (docs/benchmarks.md), so
// about 40 us in all. Kept short: on a machine with more runnable threads
// than cores, spinning only delays the thread waited for. 8,000 and 20,000
// rounds were tried at the default size on 2 threads and changed nothing
// beyond the machine's noise (docs/benchmarks.md).
constexpr int kSpinRounds = 2000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// A worker: waits for a job it has not run yet (spinning a while, then
// sleeping), runs its part, reports.
void worker_loop(ThreadPool* pool, int part, std::uint64_t seen) {
  for (;;) {
    for (int i = 0; i < kSpinRounds && pool->job.load(std::memory_order_acquire) == seen; ++i) cpu_relax();
    if (pool->job.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(pool->mutex);
      pool->wake.wait(lock, [&] { return pool->stopping || pool->job.load(std::memory_order_acquire) != seen; });
    }
    {
      std::lock_guard<std::mutex> lock(pool->mutex);
      if (pool->stopping) return;
    }
    seen = pool->job.load(std::memory_order_acquire);
    // task and ctx were written before job was incremented (release).
    pool->task(pool->ctx, part, pool->threads);
    pool->pending.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace

void pool_start(ThreadPool& pool, int threads) {
  pool_stop(pool);
  pool.threads = threads < 1 ? 1 : threads;
  pool.workers.reserve(static_cast<std::size_t>(pool.threads - 1));
  const std::uint64_t job = pool.job.load();
  for (int part = 1; part < pool.threads; ++part) pool.workers.emplace_back(worker_loop, &pool, part, job);
}

void pool_stop(ThreadPool& pool) {
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    pool.stopping = true;
    pool.job.fetch_add(1, std::memory_order_release);  // wakes spinning workers too
  }
  pool.wake.notify_all();
  for (std::thread& t : pool.workers) t.join();
  pool.workers.clear();
  pool.threads = 1;
  pool.stopping = false;
}

ThreadPool::~ThreadPool() { pool_stop(*this); }

void pool_run(ThreadPool& pool, void (*task)(void* ctx, int part, int parts), void* ctx) {
  if (pool.workers.empty()) {
    task(ctx, 0, 1);
    return;
  }
  pool.task = task;
  pool.ctx = ctx;
  pool.pending.store(pool.threads - 1, std::memory_order_relaxed);
  {
    // Under the mutex, so that a worker about to sleep either sees the new
    // job in its wait predicate or is already waiting when notified.
    std::lock_guard<std::mutex> lock(pool.mutex);
    pool.job.fetch_add(1, std::memory_order_release);
  }
  pool.wake.notify_all();
  task(ctx, 0, pool.threads);
  for (int i = 0; pool.pending.load(std::memory_order_acquire) != 0; ++i) {
    if (i < kSpinRounds) {
      cpu_relax();
    } else {
      std::this_thread::yield();  // a worker may be waiting for a core
    }
  }
}

void split_rows(int rows, int part, int parts, int& begin, int& end) {
  const int tile = 6;  // matmul_fast.cpp's kRows: keep each part's tiles full
  const int per = ((rows + parts - 1) / parts + tile - 1) / tile * tile;
  begin = part * per < rows ? part * per : rows;
  end = begin + per < rows ? begin + per : rows;
}

// ------------------------------------------------------------------ matmul --

namespace {

struct ProductArgs {
  real* out;        // Y, dX, or dW
  real* out_bias;   // db (backward_params), may be null
  const real* a;    // X (forward, backward_params) or dY (backward_input)
  const real* b;    // W (forward, backward_input) or dY (backward_params)
  const real* bias; // b (forward), may be null
  real* scratch;    // partial dW, db of parts 1.. (backward_params)
  int M, K, N;
};

void forward_part(void* ctx, int part, int parts) {
  const ProductArgs& p = *static_cast<const ProductArgs*>(ctx);
  int i0, i1;
  split_rows(p.M, part, parts, i0, i1);
  // rows i0..i1 of Y (M,N) = rows i0..i1 of X (M,K) times W (K,N), plus b
  if (i1 > i0) matmul_forward_fast(p.out + Index(i0) * p.N, p.a + Index(i0) * p.K, p.b, p.bias, i1 - i0, p.K, p.N);
}

void backward_input_part(void* ctx, int part, int parts) {
  const ProductArgs& p = *static_cast<const ProductArgs*>(ctx);
  int i0, i1;
  split_rows(p.M, part, parts, i0, i1);
  // rows i0..i1 of dX (M,K) <- + rows i0..i1 of dY (M,N) times W^T
  if (i1 > i0) matmul_backward_input_fast(p.out + Index(i0) * p.K, p.a + Index(i0) * p.N, p.b, i1 - i0, p.K, p.N);
}

void backward_params_part(void* ctx, int part, int parts) {
  const ProductArgs& p = *static_cast<const ProductArgs*>(ctx);
  const Index size = Index(p.K) * p.N + p.N;  // one partial: dW (K,N) then db (N)
  real* dW = p.out;
  real* db = p.out_bias;
  if (part > 0) {
    dW = p.scratch + (part - 1) * size;
    db = p.out_bias ? dW + Index(p.K) * p.N : nullptr;
    for (Index e = 0; e < size; ++e) dW[e] = real(0);
  }
  int i0, i1;
  split_rows(p.M, part, parts, i0, i1);
  // dW <- dW + X[i0..i1]^T dY[i0..i1], db <- db + sum of dY[i0..i1]
  if (i1 > i0) matmul_backward_params_fast(dW, db, p.a + Index(i0) * p.K, p.b + Index(i0) * p.N, i1 - i0, p.K, p.N);
}

// dW rows k0..k1 (and db, on part 0) <- + the partials of parts 1.., in part order.
void reduce_part(void* ctx, int part, int parts) {
  const ProductArgs& p = *static_cast<const ProductArgs*>(ctx);
  const Index size = Index(p.K) * p.N + p.N;
  int k0, k1;
  split_rows(p.K, part, parts, k0, k1);
  for (int q = 1; q < parts; ++q) {
    const real* partial = p.scratch + (q - 1) * size;
    for (Index e = Index(k0) * p.N; e < Index(k1) * p.N; ++e) p.out[e] += partial[e];
    if (part == 0 && p.out_bias)
      for (int j = 0; j < p.N; ++j) p.out_bias[j] += partial[Index(p.K) * p.N + j];
  }
}

}  // namespace

void matmul_forward_threaded(ThreadPool& pool, real* Y, const real* X, const real* W, const real* b, int M, int K,
                             int N) {
  ProductArgs args{Y, nullptr, X, W, b, nullptr, M, K, N};
  pool_run(pool, forward_part, &args);
}

void matmul_backward_input_threaded(ThreadPool& pool, real* dX, const real* dY, const real* W, int M, int K, int N) {
  ProductArgs args{dX, nullptr, dY, W, nullptr, nullptr, M, K, N};
  pool_run(pool, backward_input_part, &args);
}

void matmul_backward_params_threaded(ThreadPool& pool, real* dW, real* db, const real* X, const real* dY, int M, int K,
                                     int N, real* scratch) {
  if (pool.workers.empty()) {
    matmul_backward_params_fast(dW, db, X, dY, M, K, N);
    return;
  }
  ProductArgs args{dW, db, X, dY, nullptr, scratch, M, K, N};
  pool_run(pool, backward_params_part, &args);
  pool_run(pool, reduce_part, &args);
}

std::size_t matmul_threaded_scratch_size(int threads, int K, int N) {
  return threads > 1 ? std::size_t(threads - 1) * (std::size_t(K) * N + std::size_t(N)) : 0;
}

}  // namespace rql
