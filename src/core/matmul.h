// matmul.h: the matrix products the networks need, over caller-owned,
// row-major memory. No allocation, no validation (the hot path).
//
// Shapes: X is (M, K), W is (K, N) (a Flax kernel, y = x W + b), Y and dY are
// (M, N), b and db are (N).
//
// These are the reference kernels: plain triple loops, the readable
// definition of the contract (matmul_ref.cpp). The networks call them through
// the kernel table of kernels.h; the fast kernels (fast/matmul_fast.h) meet
// the same contract and tests/fast/test_matmul.cpp holds the two equal.
//
// Convention (whole library): a forward overwrites its output; a backward
// ACCUMULATES (`<-` below means +=) into every gradient it is given.
#pragma once

#include "scalar.h"

namespace rql {

// Y = X W + b               (b may be null: Y = X W)
void matmul_forward_ref(real* Y, const real* X, const real* W, const real* b, int M, int K, int N);
// dX <- dY W^T              dX is (M, K)
void matmul_backward_input_ref(real* dX, const real* dY, const real* W, int M, int K, int N);
// dW <- X^T dY, db <- sum_rows(dY)   (db may be null)
void matmul_backward_params_ref(real* dW, real* db, const real* X, const real* dY, int M, int K, int N);

}  // namespace rql
