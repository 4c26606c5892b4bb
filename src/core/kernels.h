// kernels.h: the compute kernels the networks call, as a table of functions
// the caller chooses (CMSIS-NN and TFLite Micro do the same with their
// reference and optimised kernels).
//
// The core ships the reference set, kernels_reference(): plain triple loops
// (matmul_ref.cpp), GELU with std::tanh and LayerNorm (layers.cpp). The speed layer
// (src/fast) provides other sets held equal to this one by tests. A network
// uses the set its MlpShape points to; a null pointer means the reference
// set, so the core is complete and correct on its own (a Cortex-M build
// takes only src/core).
//
// Every kernel takes `ctx`, the set's own state (the fast set's thread pool
// and scratch); the reference set ignores it. Contracts (shapes, overwrite
// or accumulate) are those of matmul.h and layers.h. A set may compute on
// several threads, but its results must not depend on how many: every set
// gives one fixed answer for given inputs (fast/kernels_fast.h).
#pragma once

#include "adam.h"
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
  // LayerNorm over the rows of x (M, N), layers.h:
  //   y = (x - mean) rstd g + beta;  mean, rstd (M) written for the backward
  void (*layernorm_forward)(void* ctx, real* y, real* mean, real* rstd, const real* x, const real* g,
                            const real* beta, int M, int N);
  //   dx <- ..., dg <- ..., dbeta <- ...   (dg, dbeta may be null: input only)
  void (*layernorm_backward)(void* ctx, real* dx, real* dg, real* dbeta, const real* dy, const real* x,
                             const real* mean, const real* rstd, const real* g, int M, int N);
  // The flat loops over whole parameter blocks (adam.h), element by element:
  //   one Adam step on p, m, v (n) with gradient g (n), step number t
  void (*adam_step)(void* ctx, real* p, real* m, real* v, const real* g, long n, long t, const AdamConfig& c);
  //   target <- rate source + keep target      target, source (n)
  void (*polyak_update)(void* ctx, real* target, const real* source, long n, PolyakCoefficients c);
};

// The reference set: matmul_*_ref, gelu_forward/gelu_backward,
// layernorm_forward/layernorm_backward, adam_step and polyak_update.
const Kernels& kernels_reference();

}  // namespace rql
