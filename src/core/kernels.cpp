// kernels.cpp: the reference kernel table (kernels.h).
#include "kernels.h"

#include "layers.h"
#include "matmul.h"

namespace rql {

namespace {

void forward(void*, real* Y, const real* X, const real* W, const real* b, int M, int K, int N) {
  matmul_forward_ref(Y, X, W, b, M, K, N);
}
void backward_input(void*, real* dX, const real* dY, const real* W, int M, int K, int N) {
  matmul_backward_input_ref(dX, dY, W, M, K, N);
}
void backward_params(void*, real* dW, real* db, const real* X, const real* dY, int M, int K, int N) {
  matmul_backward_params_ref(dW, db, X, dY, M, K, N);
}
void gelu_fwd(void*, real* y, const real* x, long n) { gelu_forward(y, x, n); }
void gelu_bwd(void*, real* dx, const real* dy, const real* x, long n) { gelu_backward(dx, dy, x, n); }

const Kernels kReference = {"reference", nullptr, forward, backward_input, backward_params, gelu_fwd, gelu_bwd};

}  // namespace

const Kernels& kernels_reference() { return kReference; }

}  // namespace rql
