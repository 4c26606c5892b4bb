// layernorm_fast.h: LayerNorm (core/layers.h's contract, eps 1e-6) with its
// row sums vectorised.
//
// The reference sums each row left to right, one dependent addition per
// element, which no compiler may reorder without -ffast-math: at width 64
// that chain, not the arithmetic, bounds its speed. Here each row sum is kept
// as 16 partial sums (element j goes to partial j mod 16; one or a few SIMD
// registers) that are added up in a fixed order at the end: a different,
// fixed summation order, so results differ from the reference in the last
// bits (tests/fast/test_layernorm_fast.cpp bounds it) and never depend on
// how rows are split over threads.
//
// The *_rows / *_params pieces let the threaded set (kernels_fast.h) give
// each thread some rows of dx and some columns of dg, dbeta; each element is
// computed exactly as in the single call.
#pragma once

#include "core/scalar.h"

namespace rql {

// y (M,N) = (x - mean) rstd g + beta, per row; mean, rstd (M) written.
void layernorm_forward_fast(real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta, int M,
                            int N);
// dx <- ..., dg <- sum_rows(dy xhat), dbeta <- sum_rows(dy)  (layers.h);
// dg and dbeta may be null.
void layernorm_backward_fast(real* dx, real* dg, real* dbeta, const real* dy, const real* x, const real* mean,
                             const real* rstd, const real* g, int M, int N);

// The forward for rows [r0, r1) only.
void layernorm_forward_fast_rows(real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta,
                                 int M, int N, int r0, int r1);
// dx for rows [r0, r1) only.
void layernorm_backward_fast_rows(real* dx, const real* dy, const real* x, const real* mean, const real* rstd,
                                  const real* g, int M, int N, int r0, int r1);
// dg, dbeta (either may be null) for columns [j0, j1) only, summed over all M rows in row order.
void layernorm_backward_fast_params(real* dg, real* dbeta, const real* dy, const real* x, const real* mean,
                                    const real* rstd, int M, int N, int j0, int j1);

}  // namespace rql
