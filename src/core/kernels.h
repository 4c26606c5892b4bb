// kernels.h: the compute kernels the networks call, as a table of functions
// the caller chooses (CMSIS-NN and TFLite Micro do the same with their
// reference and optimised kernels).
//
// The core ships the reference set, kernels_reference(): plain triple loops
// (matmul_ref.cpp) and GELU with std::tanh (layers.cpp). The speed layer
// (src/fast) provides other sets held equal to this one by tests. A network
// uses the set its MlpShape points to; a null pointer means the reference
// set, so the core is complete and correct on its own (a Cortex-M build
// takes only src/core).
//
// Every kernel takes `ctx`, the set's own state (the fast set's thread pool
// and scratch); the reference set ignores it. Contracts (shapes, overwrite
// or accumulate) are those of matmul.h and layers.h.
#pragma once

#include "scalar.h"

namespace rql {

struct Kernels {
  const char* name;
  void* ctx;
  // Y = X W + b       X (M, K), W (K, N), b (N) or null, Y (M, N)
  void (*matmul_forward)(void* ctx, real* Y, const real* X, const real* W, const real* b, int M, int K, int N);
  // dX <- dY W^T      dY (M, N), dX (M, K)
  void (*matmul_backward_input)(void* ctx, real* dX, const real* dY, const real* W, int M, int K, int N);
  // dW <- X^T dY, db <- sum_rows(dY)   (db may be null)
  void (*matmul_backward_params)(void* ctx, real* dW, real* db, const real* X, const real* dY, int M, int K,
                                 int N);
  // y = gelu(x), dx <- dy gelu'(x)      all (n)
  void (*gelu_forward)(void* ctx, real* y, const real* x, long n);
  void (*gelu_backward)(void* ctx, real* dx, const real* dy, const real* x, long n);
};

// The reference set: matmul_*_ref and gelu_forward/gelu_backward.
const Kernels& kernels_reference();

}  // namespace rql
