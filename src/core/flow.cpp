// flow.cpp: velocity field, Euler sampler, the euler reversal, BC loss.
// docs/spec.md §2 and 5 (the exact reversal is in flow_exact.cpp); see flow.h for
// the equations and docs/flow.md for the reasoning (why the authors'
// reversal is not an exact inverse).
#include "flow.h"

#include <cmath>
#include <cstring>

#include "sum.h"

namespace rql {

namespace {

// Layout of `work` for `rows` rows (offsets in reals):
//   input   (rows, in_dim)    concat[s, x, t] of the last velocity call
//   cache   mlp_cache_size    the actor's activations
//   scratch mlp_scratch_size  the actor's backward
//   t       (rows)            flow times
//   v       (rows, A)         velocities
// then, for the exact reversal only, its own region (flow_exact.cpp).
struct FlowWork {
  real* input;
  real* cache;
  real* scratch;
  real* t;
  real* v;
};

// The layout depends on B only through the sizes; a call on B rows uses the
// prefix of each region, so the same `work` serves any B <= rows.
FlowWork flow_work(const FlowShape& fs, int rows, real* work) {
  FlowWork w;
  w.input = work;
  w.cache = w.input + static_cast<long>(rows) * fs.net.in_dim;
  w.scratch = w.cache + mlp_cache_size(fs.net, rows);
  w.t = w.scratch + mlp_scratch_size(fs.net, rows);
  w.v = w.t + rows;
  return w;
}

}  // namespace

bool flow_shape_make(FlowShape* fs, int obs_dim, int A, const int* hidden, int n_hidden, bool layer_norm,
                     int flow_steps) {
  if (obs_dim < 0 || A < 1 || flow_steps < 1) return false;
  FlowShape f;
  if (!mlp_shape_make(&f.net, obs_dim + A + 1, hidden, n_hidden, A, layer_norm, 1, false)) return false;
  f.obs_dim = obs_dim;
  f.A = A;
  f.flow_steps = flow_steps;
  *fs = f;
  return true;
}

long flow_sample_work_size(const FlowShape& fs, int rows) {
  return static_cast<long>(rows) * fs.net.in_dim + mlp_cache_size(fs.net, rows) + mlp_scratch_size(fs.net, rows) +
         rows + static_cast<long>(rows) * fs.A;
}

long flow_work_size(const FlowShape& fs, int rows) {
  return flow_sample_work_size(fs, rows) + flow_exact_work_size(fs, rows);
}

// Every call below lays `work` out for exactly B rows, so flow_velocity and
// flow_velocity_backward agree on where the activations are.
void flow_input(real* out, const real* s, const real* x, const real* t, int B, int D, int A) {
  const int in = D + A + 1;
  for (int b = 0; b < B; ++b) {
    real* row = out + static_cast<long>(b) * in;  // concat[s_b, x_b, t_b] (in)
    if (D > 0) std::memcpy(row, s + static_cast<long>(b) * D, sizeof(real) * D);
    std::memcpy(row + D, x + static_cast<long>(b) * A, sizeof(real) * A);
    row[D + A] = t ? t[b] : real(0);
  }
}

void flow_velocity(const FlowShape& fs, const real* params, const real* s, const real* x, const real* t, int B,
                   real* v, real* work) {
  const FlowWork w = flow_work(fs, B, work);
  const int A = fs.A;
  flow_input(w.input, s, x, t, B, fs.obs_dim, A);
  const real* y = mlp_forward(fs.net, mlp_params(fs.net, params, 0), w.input, B, w.cache);
  std::memcpy(v, y, sizeof(real) * static_cast<size_t>(B) * A);
}

void flow_velocity_backward(const FlowShape& fs, const real* params, real* dparams, int B, const real* dv,
                            real* work) {
  const FlowWork w = flow_work(fs, B, work);
  mlp_backward(fs.net, mlp_params(fs.net, params, 0), mlp_grads(fs.net, dparams, 0), w.input, B, w.cache, dv,
               nullptr, w.scratch);
}

void flow_sample(const FlowShape& fs, const real* params, const real* s, const real* x0, int B, real* actions,
                 real* work) {
  const FlowWork w = flow_work(fs, B, work);
  const long n = static_cast<long>(B) * fs.A;
  const int F = fs.flow_steps;
  std::memcpy(actions, x0, sizeof(real) * n);
  for (int i = 0; i < F; ++i) {
    // t = i / F (the authors compute i / flow_steps, then add v / flow_steps)
    for (int b = 0; b < B; ++b) w.t[b] = static_cast<real>(i) / static_cast<real>(F);
    flow_velocity(fs, params, s, actions, w.t, B, w.v, work);
    for (long k = 0; k < n; ++k) actions[k] += w.v[k] / static_cast<real>(F);
  }
  for (long k = 0; k < n; ++k) actions[k] = actions[k] < real(-1) ? real(-1) : (actions[k] > real(1) ? real(1) : actions[k]);
}

// The authors' reversal (docs/spec.md §5): F explicit Euler steps on the reverse ODE,
// each evaluated at the later point, of size d/F for every d.
void flow_reverse_euler(const FlowShape& fs, const real* params, const real* s, const real* a, const real* d, int B,
                        real* x, real* f, real* work) {
  const FlowWork w = flow_work(fs, B, work);
  const int A = fs.A, F = fs.flow_steps;
  std::memcpy(x, a, sizeof(real) * static_cast<size_t>(B) * A);
  for (int b = 0; b < B; ++b) f[b] = 1;
  for (int i = 0; i < F; ++i) {
    flow_velocity(fs, params, s, x, f, B, w.v, work);
    for (int b = 0; b < B; ++b) {
      const real delta = d[b] / static_cast<real>(F);  // Δ = d / F
      for (int j = 0; j < A; ++j) x[static_cast<long>(b) * A + j] -= w.v[static_cast<long>(b) * A + j] * delta;
      f[b] -= delta;
    }
  }
}

int flow_reverse(const FlowShape& fs, Reversal method, const ExactReversalConfig& exact, const real* params,
                 const real* s, const real* a, const real* d, int B, real* x, real* f, real* work) {
  if (method == Reversal::kExact) return flow_reverse_exact(fs, exact, params, s, a, d, B, x, f, work);
  flow_reverse_euler(fs, params, s, a, d, B, x, f, work);
  return 0;
}

real flow_bc_loss(const real* p, const real* a, const real* x0, const real* rt, int B, int A, int action_dim) {
  CompensatedSum sum;  // B A terms (sum.h)
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < A; ++j) {
      const long k = static_cast<long>(b) * A + j;
      const real m = real(1) - rt[static_cast<long>(j / action_dim) * B + b];  // rt (h+1, B)
      const real e = p[k] - (a[k] - x0[k]);
      csum_add(sum, e * e * m);
    }
  return csum_value(sum) / static_cast<real>(static_cast<long>(B) * A);
}

void flow_bc_loss_backward(real* dp, const real* p, const real* a, const real* x0, const real* rt, int B, int A,
                           int action_dim, real weight) {
  const real c = weight * real(2) / static_cast<real>(static_cast<long>(B) * A);
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < A; ++j) {
      const long k = static_cast<long>(b) * A + j;
      const real m = real(1) - rt[static_cast<long>(j / action_dim) * B + b];
      dp[k] += c * (p[k] - (a[k] - x0[k])) * m;
    }
}

}  // namespace rql
