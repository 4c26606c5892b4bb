// kernels_fast.cpp: the fast kernel table (kernels_fast.h).
#include "kernels_fast.h"

#include "gelu_fast.h"
#include "matmul_fast.h"

namespace rql {

namespace {

void forward(void*, real* Y, const real* X, const real* W, const real* b, int M, int K, int N) {
  matmul_forward_fast(Y, X, W, b, M, K, N);
}
void backward_input(void*, real* dX, const real* dY, const real* W, int M, int K, int N) {
  matmul_backward_input_fast(dX, dY, W, M, K, N);
}
void backward_params(void*, real* dW, real* db, const real* X, const real* dY, int M, int K, int N) {
  matmul_backward_params_fast(dW, db, X, dY, M, K, N);
}
void gelu_fwd(void*, real* y, const real* x, long n) { gelu_forward_fast(y, x, n); }
void gelu_bwd(void*, real* dx, const real* dy, const real* x, long n) { gelu_backward_fast(dx, dy, x, n); }

const Kernels kFast = {"fast", nullptr, forward, backward_input, backward_params, gelu_fwd, gelu_bwd};

}  // namespace

const Kernels& kernels_fast() { return kFast; }

const Kernels& kernels_default() {
#if defined(RQL_FAST_KERNELS) && RQL_FAST_KERNELS
  return kFast;
#else
  return kernels_reference();
#endif
}

}  // namespace rql
