// value.h: the value ensemble Q_phi(s, x, f) of docs/spec.md §1: K independent MLP
// members (each hidden..., 1) over ONE input batch, output q (K, B).
//
// The parameters are one block with a leading K axis on every tensor (the
// layout of the authors' vmapped Flax module, see mlp.h). Each member keeps
// its own forward cache; one scratch serves all backward passes.
//
// Convention: backward ACCUMULATES into dblock and dx.
#pragma once

#include "mlp.h"

namespace rql {

// Working memory for an ensemble forward of `rows` rows (all K caches).
long value_cache_size(const MlpShape& s, int rows);

// q[k, b] = member_k(x[b])          x (B, in_dim), q (K, B)
void value_forward(const MlpShape& s, const real* block, const real* x, int B, real* caches, real* q);

// Full backward: dblock <- dL/dphi, dx <- sum_k dL/dx through member k
// (dx may be null).  dq (K, B) = dL/dq.
void value_backward(const MlpShape& s, const real* block, real* dblock, const real* x, int B, const real* caches,
                    const real* dq, real* dx, real* scratch);

// Input-only backward: dx <- sum_k dL/dq[k] dq[k]/dx. The value parameters
// get no gradient: the stop-gradient path of the actor's Q term (docs/spec.md §5).
void value_backward_input(const MlpShape& s, const real* block, const real* x, int B, const real* caches,
                          const real* dq, real* dx, real* scratch);

}  // namespace rql
