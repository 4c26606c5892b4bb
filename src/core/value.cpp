// value.cpp: the value ensemble as a loop over members of the MLP.
#include "value.h"

#include <cstring>

namespace rql {

long value_cache_size(const MlpShape& s, int rows) { return s.members * mlp_cache_size(s, rows); }

void value_forward(const MlpShape& s, const real* block, const real* x, int B, real* caches, real* q) {
  const long stride = mlp_cache_size(s, B);
  for (int k = 0; k < s.members; ++k) {
    const real* y = mlp_forward(s, mlp_params(s, block, k), x, B, caches + k * stride);  // (B, 1)
    std::memcpy(q + static_cast<long>(k) * B, y, sizeof(real) * static_cast<size_t>(B));
  }
}

void value_backward(const MlpShape& s, const real* block, real* dblock, const real* x, int B, const real* caches,
                    const real* dq, real* dx, real* scratch) {
  const long stride = mlp_cache_size(s, B);
  for (int k = 0; k < s.members; ++k)
    mlp_backward(s, mlp_params(s, block, k), mlp_grads(s, dblock, k), x, B, caches + k * stride,
                 dq + static_cast<long>(k) * B, dx, scratch);
}

void value_backward_input(const MlpShape& s, const real* block, const real* x, int B, const real* caches,
                          const real* dq, real* dx, real* scratch) {
  const long stride = mlp_cache_size(s, B);
  for (int k = 0; k < s.members; ++k)
    mlp_backward_input(s, mlp_params(s, block, k), x, B, caches + k * stride, dq + static_cast<long>(k) * B, dx,
                       scratch);
}

}  // namespace rql
