// matmul_fast.cpp: the kernels the library uses. Same contract as the
// reference (matmul.h); loops are ordered so that the innermost one runs
// along contiguous memory and vectorises.
//
// (First version: loop-reordered, not yet register-blocked. See
// docs/benchmarks.md for the measured speed.)
#include "matmul.h"

namespace rql {

void matmul_forward(real* Y, const real* X, const real* W, const real* b, int M, int K, int N) {
  for (int i = 0; i < M; ++i) {
    real* y = Y + static_cast<long>(i) * N;  // row i of Y (N)
    for (int j = 0; j < N; ++j) y[j] = b ? b[j] : real(0);
    for (int k = 0; k < K; ++k) {
      const real x = X[static_cast<long>(i) * K + k];
      const real* w = W + static_cast<long>(k) * N;  // row k of W (N)
      for (int j = 0; j < N; ++j) y[j] += x * w[j];
    }
  }
}

void matmul_backward_input(real* dX, const real* dY, const real* W, int M, int K, int N) {
  for (int i = 0; i < M; ++i) {
    const real* dy = dY + static_cast<long>(i) * N;
    for (int k = 0; k < K; ++k) {
      const real* w = W + static_cast<long>(k) * N;
      real acc = 0;
      for (int j = 0; j < N; ++j) acc += dy[j] * w[j];
      dX[static_cast<long>(i) * K + k] += acc;
    }
  }
}

void matmul_backward_params(real* dW, real* db, const real* X, const real* dY, int M, int K, int N) {
  for (int i = 0; i < M; ++i) {
    const real* dy = dY + static_cast<long>(i) * N;
    for (int k = 0; k < K; ++k) {
      const real x = X[static_cast<long>(i) * K + k];
      real* dw = dW + static_cast<long>(k) * N;
      for (int j = 0; j < N; ++j) dw[j] += x * dy[j];
    }
    if (db)
      for (int j = 0; j < N; ++j) db[j] += dy[j];
  }
}

}  // namespace rql
