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
void ln_fwd(void*, real* y, real* mean, real* rstd, const real* x, const real* g, const real* beta, int M, int N) {
  layernorm_forward(y, mean, rstd, x, g, beta, M, N);
}
void ln_bwd(void*, real* dx, real* dg, real* dbeta, const real* dy, const real* x, const real* mean, const real* rstd,
            const real* g, int M, int N) {
  layernorm_backward(dx, dg, dbeta, dy, x, mean, rstd, g, M, N);
}
void adam(void*, real* p, real* m, real* v, const real* g, long n, long t, const AdamConfig& c) {
  adam_step(p, m, v, g, n, t, c);
}
void polyak(void*, real* target, const real* source, long n, PolyakCoefficients c) {
  polyak_update(target, source, n, c);
}

const Kernels kReference = {"reference", nullptr, forward, backward_input, backward_params, gelu_fwd,
                            gelu_bwd,    ln_fwd,  ln_bwd,  adam,           polyak};

}  // namespace

const Kernels& kernels_reference() { return kReference; }

}  // namespace rql
