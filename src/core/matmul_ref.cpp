// matmul_ref.cpp: reference matrix products, one plain triple loop each.
// They define the contract of matmul.h; the fast kernels must agree with them
// (up to summation order). Accumulation is in `real`, in index order.
#include "matmul.h"

namespace rql {

void matmul_forward_ref(real* Y, const real* X, const real* W, const real* b, int M, int K, int N) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      real acc = b ? b[j] : real(0);
      for (int k = 0; k < K; ++k) acc += X[i * K + k] * W[k * N + j];  // X (M,K), W (K,N)
      Y[i * N + j] = acc;                                              // Y (M,N)
    }
  }
}

void matmul_backward_input_ref(real* dX, const real* dY, const real* W, int M, int K, int N) {
  for (int i = 0; i < M; ++i) {
    for (int k = 0; k < K; ++k) {
      real acc = 0;
      for (int j = 0; j < N; ++j) acc += dY[i * N + j] * W[k * N + j];  // (dY W^T)[i,k]
      dX[i * K + k] += acc;
    }
  }
}

void matmul_backward_params_ref(real* dW, real* db, const real* X, const real* dY, int M, int K, int N) {
  for (int k = 0; k < K; ++k) {
    for (int j = 0; j < N; ++j) {
      real acc = 0;
      for (int i = 0; i < M; ++i) acc += X[i * K + k] * dY[i * N + j];  // (X^T dY)[k,j]
      dW[k * N + j] += acc;
    }
  }
  if (db) {
    for (int j = 0; j < N; ++j) {
      real acc = 0;
      for (int i = 0; i < M; ++i) acc += dY[i * N + j];
      db[j] += acc;
    }
  }
}

}  // namespace rql
