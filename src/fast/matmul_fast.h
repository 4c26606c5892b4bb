// matmul_fast.h: the fast matrix products (matmul_fast.cpp): cache-blocked,
// register-tiled loops written so that the compiler vectorises them. Same
// contract and shapes as the reference kernels of core/matmul.h, equal to
// them up to summation order (tests/fast/test_matmul.cpp).
//
// Host-side: the kernel keeps a 32 KiB packing buffer on the stack, so a
// microcontroller build uses the core's reference kernels instead.
#pragma once

#include "core/scalar.h"

namespace rql {

// Y = X W + b               X (M, K), W (K, N), b (N) or null, Y (M, N)
void matmul_forward_fast(real* Y, const real* X, const real* W, const real* b, int M, int K, int N);
// dX <- dY W^T              dY (M, N), dX (M, K)
void matmul_backward_input_fast(real* dX, const real* dY, const real* W, int M, int K, int N);
// dW <- X^T dY, db <- sum_rows(dY)   (db may be null)
void matmul_backward_params_fast(real* dW, real* db, const real* X, const real* dY, int M, int K, int N);

// The same products restricted to one block of the output, for splitting a
// product over threads. (M, K, N) is the WHOLE product's shape; every element
// of the block comes out bit-identical to what the whole call gives it, so
// any split into blocks reproduces the single call exactly.
//   Y[i0:i1, j0:j1]                        (forward)
//   dX[i0:i1, k0:k1]                       (backward_input)
//   dW[k0:k1, j0:j1], db[j0:j1] if db      (backward_params; the db sum runs
//                                            over all M rows)
void matmul_forward_fast_block(real* Y, const real* X, const real* W, const real* b, int M, int K, int N, int i0,
                               int i1, int j0, int j1);
void matmul_backward_input_fast_block(real* dX, const real* dY, const real* W, int M, int K, int N, int i0, int i1,
                                      int k0, int k1);
void matmul_backward_params_fast_block(real* dW, real* db, const real* X, const real* dY, int M, int K, int N, int k0,
                                       int k1, int j0, int j1);

}  // namespace rql
