// flow.h: the flow-matching policy (SPEC 2 and the flow parts of SPEC 5).
//
//   velocity     v_theta(s, x, t): the actor MLP on concat[s, x, t]
//   sampling     x <- x + v(s, x, i/F) / F for i = 0..F-1, then clip to [-1, 1]
//   reversal     from a complete action a back to the point x^f of the
//                policy's flow at f = 1 - d that leads to a:
//                  euler (the authors'): F sub-steps x <- x - v(s, x, f) d/F,
//                                         f <- f - d/F (SPEC 5)
//                  exact: undo the sampler's own Euler steps (SPEC 7)
//   BC loss      L_bc = mean_{B,A} (p - (a - x0))^2 m       (SPEC 5)
//
// Shapes: s (B, obs_dim); x, a, x0, p, v (B, A) with A = h * action_dim (the
// chunk, row-major [h, action_dim]); t, d, f (B).
//
// All working memory comes from the caller (flow_work_size); nothing here
// allocates, so single-observation sampling runs on a microcontroller.
#pragma once

#include "mlp.h"

namespace rql {

// The actor's geometry: its MLP and the sizes of its input parts.
struct FlowShape {
  MlpShape net;  // in_dim = obs_dim + A + 1, out_dim = A
  int obs_dim = 0;
  int A = 0;           // chunked action dimension h * action_dim
  int flow_steps = 0;  // F
};

enum class Reversal { kEuler, kExact };

// Working memory, in reals, for any call below on up to `rows` rows.
long flow_work_size(const FlowShape& fs, int rows);

// v (B, A) = v_theta(s, x, t): builds concat[s, x, t] in `work` and runs the
// actor. The activations stay in work (offset flow_cache_offset) for a
// backward; flow_velocity_backward uses them.
void flow_velocity(const FlowShape& fs, const real* params, const real* s, const real* x, const real* t, int B,
                   real* v, real* work);

// dparams <- dL/dtheta for the last flow_velocity call on `work` (same s, x,
// t, B), given dv = dL/dv (B, A).
void flow_velocity_backward(const FlowShape& fs, const real* params, real* dparams, int B, const real* dv,
                            real* work);

// actions (B, A) = clip(Euler flow from x0 (B, A), [-1, 1]).  (SPEC 2)
void flow_sample(const FlowShape& fs, const real* params, const real* s, const real* x0, int B, real* actions,
                 real* work);

// Fixed-point settings of the exact reversal.
struct ExactReversalConfig {
  double tol = 1e-6;     // stop when max |x_new - x| <= tol * (1 + max |x|)
  int max_iter = 100;
};

// Reversal of a (B, A) by d (B): x (B, A) = x^{1-d}, f (B) = 1 - d (computed
// as the euler loop computes it). Returns the number of rows whose exact
// fixed-point iteration did not converge (always 0 for kEuler); those rows
// hold the last iterate.
int flow_reverse(const FlowShape& fs, Reversal method, const ExactReversalConfig& exact, const real* params,
                 const real* s, const real* a, const real* d, int B, real* x, real* f, real* work);

// L_bc = mean_{B,A} (p - (a - x0))^2 m,  m[b, j] = 1 - rt[j / action_dim][b]
// with rt the shifted terminals (h+1, B) of SPEC 5 (only rows 0..h-1 used).
// p, a, x0 (B, A).
real flow_bc_loss(const real* p, const real* a, const real* x0, const real* rt, int B, int A, int action_dim);
// dp <- weight * dL_bc/dp = weight * 2 (p - (a - x0)) m / (B A)
void flow_bc_loss_backward(real* dp, const real* p, const real* a, const real* x0, const real* rt, int B, int A,
                           int action_dim, real weight);

}  // namespace rql
