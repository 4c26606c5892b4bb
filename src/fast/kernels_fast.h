// kernels_fast.h: the fast kernel sets (core/kernels.h) and the set the
// program uses by default.
//
//   kernels_fast()       matmul_fast.h's products, gelu_fast.h's GELU
//                        (backward in its exp form), layernorm_fast.h's
//                        LayerNorm, on the calling thread
//   FastKernels          the same kernels on a pool of threads (threads.h)
//                        that the struct owns; its `table` has ctx = the
//                        struct. Built once, at setup (fast_kernels_start).
//   kernels_default()    kernels_fast(), or kernels_reference() in a build
//                        configured with -DRQL_FAST_KERNELS=OFF (then every
//                        network runs the reference loops and std::tanh)
//   kernels_default(fk, threads)   the same choice, on `threads` threads
//
// Threads never change a result. Each kernel cuts its OUTPUT into blocks
// (rows or columns of Y, dX, dW; rows of GELU and LayerNorm outputs; columns
// of dg, dbeta), and every element of a block is computed by the same
// operations, in the same order, as in the single-threaded call
// (matmul_fast.h's *_block functions). No thread adds partial sums of
// another, so the results are bit-identical for every thread count
// (tests/fast/test_kernels_fast.cpp runs whole updates on 1, 2 and 3 threads
// and compares them byte for byte). Products or layers too small to gain
// (below about 2 MFLOP or 32k elements) run on the calling thread.
#pragma once

#include "core/kernels.h"
#include "threads.h"

namespace rql {

const Kernels& kernels_fast();
const Kernels& kernels_default();

struct FastKernels {
  FastKernels() = default;
  FastKernels(const FastKernels&) = delete;
  FastKernels& operator=(const FastKernels&) = delete;
  ThreadPool pool;
  Kernels table{};  // ctx = this
};

// Starts `threads` - 1 workers (threads >= 1) and fills fk.table. Setup only.
void fast_kernels_start(FastKernels& fk, int threads);

// kernels_default() on `threads` threads: fk's table after
// fast_kernels_start(fk, threads), or kernels_reference() in a
// -DRQL_FAST_KERNELS=OFF build (which computes on one thread).
const Kernels& kernels_default(FastKernels& fk, int threads);

// The number of hardware threads (at least 1): the default of --threads.
int default_threads();

}  // namespace rql
