// flow.cpp: velocity field, Euler sampler, the two reversals, BC loss.
// SPEC 2 and 5; see flow.h for the equations and docs/flow.md for the
// reasoning (why the authors' reversal is not an exact inverse).
#include "flow.h"

#include <cmath>
#include <cstring>

namespace rql {

namespace {

// Layout of `work` for `rows` rows (offsets in reals):
//   input  (rows, in_dim)   concat[s, x, t] of the last velocity call
//   cache  mlp_cache_size   the actor's activations
//   scratch mlp_scratch_size
//   t      (rows)           flow times
//   v      (rows, A)        velocities
//   x      (rows, A)        iterate of the exact reversal
struct FlowWork {
  real* input;
  real* cache;
  real* scratch;
  real* t;
  real* v;
  real* x;
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
  w.x = w.v + static_cast<long>(rows) * fs.A;
  return w;
}

}  // namespace

long flow_work_size(const FlowShape& fs, int rows) {
  return static_cast<long>(rows) * fs.net.in_dim + mlp_cache_size(fs.net, rows) + mlp_scratch_size(fs.net, rows) +
         rows + 2L * rows * fs.A;
}

// Every call below lays `work` out for exactly B rows, so flow_velocity and
// flow_velocity_backward agree on where the activations are.
void flow_velocity(const FlowShape& fs, const real* params, const real* s, const real* x, const real* t, int B,
                   real* v, real* work) {
  const FlowWork w = flow_work(fs, B, work);
  const int in = fs.net.in_dim, A = fs.A, D = fs.obs_dim;
  for (int b = 0; b < B; ++b) {
    real* row = w.input + static_cast<long>(b) * in;  // concat[s_b, x_b, t_b] (in)
    std::memcpy(row, s + static_cast<long>(b) * D, sizeof(real) * D);
    std::memcpy(row + D, x + static_cast<long>(b) * A, sizeof(real) * A);
    row[D + A] = t[b];
  }
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

namespace {

// The authors' reversal (SPEC 5): F explicit Euler steps on the reverse ODE,
// each evaluated at the later point, of size d/F for every d.
void reverse_euler(const FlowShape& fs, const real* params, const real* s, const real* a, const real* d, int B,
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

// The exact inverse of the sampler on its grid (SPEC 7's alternative).
// Outer step i = 0..F-1 walks back from flow time 1 - i/F by
//   step_b = clamp(d_b - i/F, 0, 1/F)
// to time t_b = 1 - i/F - step_b, solving  x + step_b v(s, x, t_b) = x_cur
// for x by the fixed-point iteration x <- x_cur - step_b v(s, x, t_b),
// started at x = x_cur. On the grid (d = k/F) this undoes exactly the k last
// Euler steps of flow_sample; off the grid the last step is a partial one,
// the exact inverse of an Euler step of size (d F - floor(d F)) / F from 1 - d.
// The iteration is a contraction when step * Lip_x(v) < 1.
int reverse_exact(const FlowShape& fs, const ExactReversalConfig& cfg, const real* params, const real* s,
                  const real* a, const real* d, int B, real* x, real* f, real* work) {
  const FlowWork w = flow_work(fs, B, work);
  const int A = fs.A, F = fs.flow_steps;
  const real h = real(1) / static_cast<real>(F);
  std::memcpy(x, a, sizeof(real) * static_cast<size_t>(B) * A);  // x holds x_cur
  int failed = 0;
  for (int i = 0; i < F; ++i) {
    const real done = static_cast<real>(i) / static_cast<real>(F);
    bool any = false;
    for (int b = 0; b < B; ++b) {
      real step = d[b] - done;
      step = step < 0 ? real(0) : (step > h ? h : step);
      w.t[b] = real(1) - done - step;
      any = any || step > 0;
    }
    if (!any) break;
    std::memcpy(w.x, x, sizeof(real) * static_cast<size_t>(B) * A);  // iterate, started at x_cur
    bool converged = false;
    for (int it = 0; it < cfg.max_iter && !converged; ++it) {
      flow_velocity(fs, params, s, w.x, w.t, B, w.v, work);
      real change = 0, scale = 0;
      for (int b = 0; b < B; ++b) {
        real step = d[b] - done;
        step = step < 0 ? real(0) : (step > h ? h : step);
        for (int j = 0; j < A; ++j) {
          const long k = static_cast<long>(b) * A + j;
          const real next = x[k] - step * w.v[k];
          change = std::fmax(change, std::fabs(next - w.x[k]));
          scale = std::fmax(scale, std::fabs(next));
          w.x[k] = next;
        }
      }
      converged = change <= static_cast<real>(cfg.tol) * (real(1) + scale);
    }
    if (!converged) failed = B;  // whole-batch iteration: report every row as suspect
    std::memcpy(x, w.x, sizeof(real) * static_cast<size_t>(B) * A);
  }
  // f = 1 - d, computed as the euler reversal computes it (F subtractions of
  // d/F), so both methods hand the critic the same flow time.
  for (int b = 0; b < B; ++b) {
    f[b] = 1;
    const real delta = d[b] / static_cast<real>(F);
    for (int i = 0; i < F; ++i) f[b] -= delta;
  }
  return failed;
}

}  // namespace

int flow_reverse(const FlowShape& fs, Reversal method, const ExactReversalConfig& exact, const real* params,
                 const real* s, const real* a, const real* d, int B, real* x, real* f, real* work) {
  if (method == Reversal::kExact) return reverse_exact(fs, exact, params, s, a, d, B, x, f, work);
  reverse_euler(fs, params, s, a, d, B, x, f, work);
  return 0;
}

real flow_bc_loss(const real* p, const real* a, const real* x0, const real* rt, int B, int A, int action_dim) {
  real sum = 0;
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < A; ++j) {
      const long k = static_cast<long>(b) * A + j;
      const real m = real(1) - rt[static_cast<long>(j / action_dim) * B + b];  // rt (h+1, B)
      const real e = p[k] - (a[k] - x0[k]);
      sum += e * e * m;
    }
  return sum / static_cast<real>(static_cast<long>(B) * A);
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
