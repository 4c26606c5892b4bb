// flow.h: the flow-matching policy (docs/spec.md §2 and the flow parts of docs/spec.md §5).
//
//   velocity     v_theta(s, x, t): the actor MLP on concat[s, x, t]
//   sampling     x <- x + v(s, x, i/F) / F for i = 0..F-1, then clip to [-1, 1]
//   reversal     from a complete action a back to the point x^f of the
//                policy's flow at f = 1 - d that leads to a:
//                  euler (the authors'): F sub-steps x <- x - v(s, x, f) d/F,
//                                         f <- f - d/F (docs/spec.md §5)
//                  exact: undo the sampler's own Euler steps (docs/spec.md §7)
//   BC loss      L_bc = mean_{B,A} (p - (a - x0))^2 m       (docs/spec.md §5)
//
// Shapes: s (B, obs_dim); x, a, x0, p, v (B, A) with A = h * action_dim (the
// chunk, row-major [h, action_dim]); t, d, f (B). Outputs must not alias
// inputs.
//
// All working memory comes from the caller (flow_work_size); nothing here
// allocates, so single-observation sampling runs on a microcontroller.
// Derivations, the off-grid definition of the exact reversal and measured
// round-trip errors: docs/flow.md.
//
// Convention (whole library): backward ACCUMULATES (`<-` means +=).
#pragma once

#include "config.h"  // Reversal: the config key `reversal` picks the method
#include "mlp.h"

namespace rql {

// The actor's geometry: its MLP and the sizes of its input parts.
struct FlowShape {
  MlpShape net;  // in_dim = obs_dim + A + 1, out_dim = A
  int obs_dim = 0;
  int A = 0;           // chunked action dimension h * action_dim
  int flow_steps = 0;  // F
};

// fs for an actor MLP(hidden + [A], layer_norm) on concat[s, x, t]
// (in_dim = obs_dim + A + 1), obs_dim >= 0, A >= 1, flow_steps >= 1.
// Returns false (fs untouched) for an impossible shape.
bool flow_shape_make(FlowShape* fs, int obs_dim, int A, const int* hidden, int n_hidden, bool layer_norm,
                     int flow_steps);


// out (B, D + A + 1) = concat[s, x, t]: the input row layout of the actor and
// of every value member (docs/spec.md §1). s (B, D), x (B, A), t (B); t == nullptr
// means t = 0 for every row; s may be null when D = 0.
void flow_input(real* out, const real* s, const real* x, const real* t, int B, int D, int A);

// Working memory, in reals, on up to `rows` rows:
//   flow_sample_work_size  flow_velocity, flow_velocity_backward,
//                          flow_sample and the euler reversal (the actor's
//                          input and activations, times and velocities)
//   flow_exact_work_size   the exact reversal's own region (per-row state
//                          and the compacted live rows, flow_exact.cpp),
//                          which follows the sample region
//   flow_work_size         any call below: the sum of the two
long flow_sample_work_size(const FlowShape& fs, int rows);
long flow_exact_work_size(const FlowShape& fs, int rows);
long flow_work_size(const FlowShape& fs, int rows);

// v (B, A) = v_theta(s, x, t): builds concat[s, x, t] (B, obs_dim + A + 1)
// in `work` and runs the actor. The input and activations stay in `work`
// for flow_velocity_backward (flow_sample and flow_reverse overwrite them).
void flow_velocity(const FlowShape& fs, const real* params, const real* s, const real* x, const real* t, int B,
                   real* v, real* work);

// dparams <- dL/dtheta for the last flow_velocity call on `work` (same B),
// given dv = dL/dv (B, A). dparams has the layout of params
// (mlp_param_count(fs.net) reals). No gradient w.r.t. s, x or t.
void flow_velocity_backward(const FlowShape& fs, const real* params, real* dparams, int B, const real* dv,
                            real* work);

// actions (B, A) = clip(Euler flow from x0 (B, A), [-1, 1]).  (docs/spec.md §2)
void flow_sample(const FlowShape& fs, const real* params, const real* s, const real* x0, int B, real* actions,
                 real* work);

// Fixed-point settings of the exact reversal. Each undone step solves
// x = x_cur - step v(s, x, t) by iteration, per row, and a row stops when
//   max_j |x_new_j - x_j| <= tol * (1 + max_j |x_new_j|)
// tol must exceed the precision of `real` (float: ~1.2e-7), or no row ever
// converges. The iteration contracts when step * Lip_x(v) < 1.
struct ExactReversalConfig {
  double tol = 1e-6;
  int max_iter = 100;    // velocity evaluations per undone step
};

// Reversal of a (B, A) by d (B), d in [0, 1]: x (B, A) = x^{1-d},
// f (B) = 1 - d, computed as the euler loop computes it (F subtractions of
// d/F), for both methods.
//   kEuler: the authors' loop (docs/spec.md §5). Returns 0.
//   kExact: with d F = k + r (k whole, 0 <= r < 1; d within a few ulps of
//           k/F counts as k/F), undoes the sampler's last k steps
//           x_{j+1} = x_j + v(s, x_j, j/F) / F, j = F-1 .. F-k, then, if
//           r > 0, a partial step x_{F-k} = x + (r/F) v(s, x, f) from flow
//           time f = 1 - d. Returns the EXACT number of rows on which some
//           step's iteration did not converge within max_iter (those rows
//           hold the last iterate, possibly non-finite). Each row stops on
//           its own test, so rows do not influence one another.
int flow_reverse(const FlowShape& fs, Reversal method, const ExactReversalConfig& exact, const real* params,
                 const real* s, const real* a, const real* d, int B, real* x, real* f, real* work);
// The two methods by name (flow_reverse dispatches to them): the euler loop
// here in flow.cpp; the exact inverse in flow_exact.cpp, which iterates
// only the rows that have not converged (compacted into a contiguous
// sub-batch, so each velocity call runs on the live rows alone).
void flow_reverse_euler(const FlowShape& fs, const real* params, const real* s, const real* a, const real* d, int B,
                        real* x, real* f, real* work);
int flow_reverse_exact(const FlowShape& fs, const ExactReversalConfig& cfg, const real* params, const real* s,
                       const real* a, const real* d, int B, real* x, real* f, real* work);

// L_bc = mean_{B,A} (p - (a - x0))^2 m,  m[b, j] = 1 - rt[j / action_dim][b]
// with rt the shifted terminals (h+1, B) of docs/spec.md §5 (only rows 0..h-1 used).
// p, a, x0 (B, A). The mean divides by B A, masked entries included. The
// sum is compensated, in real (sum.h: a float running sum over B A terms
// would lose ~B A ulps; XLA's pairwise sum loses ~log2(B A)).
real flow_bc_loss(const real* p, const real* a, const real* x0, const real* rt, int B, int A, int action_dim);
// dp <- weight * dL_bc/dp = weight * 2 (p - (a - x0)) m / (B A)
void flow_bc_loss_backward(real* dp, const real* p, const real* a, const real* x0, const real* rt, int B, int A,
                           int action_dim, real weight);

}  // namespace rql
