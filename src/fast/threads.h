// threads.h: a pool of worker threads (the threaded kernel set of
// kernels_fast.h computes on one), and the matrix products of matmul.h split
// over it by rows (used by `rql bench matmul --threads`).
//
//   1. The pool is started once, at setup (pool_start allocates the threads),
//      and stopped once; running a job allocates nothing.
//   2. A job is one function called as task(ctx, part, parts) for every part
//      in [0, parts), parts = the pool's thread count; part 0 runs on the
//      calling thread, the others on the workers. pool_run returns when all
//      parts are done. Between jobs a worker spins for about 40 microseconds
//      before it sleeps on the condition variable, and the caller spins
//      while it waits: an update posts a job every few tens of
//      microseconds, and a sleep/wake-up round trip costs about as much.
//   3. forward and backward_input split the M rows of their output (disjoint
//      rows, so no two threads write one element). backward_params sums over
//      the M rows, so each thread sums its own rows into its own partial dW
//      and db (part 0 straight into the caller's, the others into scratch the
//      caller sizes with matmul_threaded_scratch_size), and the partials are
//      then added in part order. The result equals the single-threaded one up
//      to summation order (tests/fast/test_matmul.cpp, MatmulThreadedTest);
//      the kernel set of kernels_fast.h instead splits dW by its rows or
//      columns, which keeps results bit-identical for any thread count.
// Not in the embedded core (it needs std::thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "core/scalar.h"

namespace rql {

// Stops its workers when destroyed (pool_stop), so a pool may simply go out of scope.
struct ThreadPool {
  ThreadPool() = default;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();

  int threads = 1;                   // parts per job, the calling thread included
  std::vector<std::thread> workers;  // threads - 1 workers
  std::mutex mutex;
  std::condition_variable wake;      // a new job, or stop
  std::atomic<std::uint64_t> job{0};  // number of jobs posted so far
  std::atomic<int> pending{0};        // worker parts of the current job not yet done
  bool stopping = false;
  void (*task)(void* ctx, int part, int parts) = nullptr;
  void* ctx = nullptr;
};

// Starts threads - 1 workers (threads >= 1; 1 means no workers: every job
// runs on the caller). Call once, at setup.
void pool_start(ThreadPool& pool, int threads);
// Stops and joins the workers. The pool may be started again.
void pool_stop(ThreadPool& pool);
// Runs task(ctx, part, pool.threads) for every part; returns when all are done.
void pool_run(ThreadPool& pool, void (*task)(void* ctx, int part, int parts), void* ctx);

// Rows [begin, end) of part `part` when `rows` rows are split into `parts`
// contiguous ranges, each a multiple of 6 rows (the fast kernels' tile height)
// except the last. Empty ranges are possible (begin == end).
void split_rows(int rows, int part, int parts, int& begin, int& end);

// Same contracts and shapes as matmul.h.
void matmul_forward_threaded(ThreadPool& pool, real* Y, const real* X, const real* W, const real* b, int M, int K,
                             int N);
void matmul_backward_input_threaded(ThreadPool& pool, real* dX, const real* dY, const real* W, int M, int K, int N);
// scratch holds matmul_threaded_scratch_size(pool.threads, K, N) reals.
void matmul_backward_params_threaded(ThreadPool& pool, real* dW, real* db, const real* X, const real* dY, int M, int K,
                                     int N, real* scratch);
// (threads - 1) partial dW (K,N) and db (N).
std::size_t matmul_threaded_scratch_size(int threads, int K, int N);

}  // namespace rql
