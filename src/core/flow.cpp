// flow.cpp: velocity field, Euler sampler, the two reversals, BC loss.
// SPEC 2 and 5; see flow.h for the equations and docs/flow.md for the
// reasoning (why the authors' reversal is not an exact inverse).
#include "flow.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace rql {

namespace {

// Layout of `work` for `rows` rows (offsets in reals):
//   input   (rows, in_dim)    concat[s, x, t] of the last velocity call
//   cache   mlp_cache_size    the actor's activations
//   scratch mlp_scratch_size  the actor's backward
//   t       (rows)            flow times
//   v       (rows, A)         velocities
//   x       (rows, A)         iterate of the exact reversal
//   div     (rows)            exact reversal: this round's step is v / div
//   live    (rows)            exact reversal: 1 while the row iterates
//   failed  (rows)            exact reversal: 1 once a round of the row failed
// (the three per-row flags are reals so that one block serves everything).
struct FlowWork {
  real* input;
  real* cache;
  real* scratch;
  real* t;
  real* v;
  real* x;
  real* div;
  real* live;
  real* failed;
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
  w.div = w.x + static_cast<long>(rows) * fs.A;
  w.live = w.div + rows;
  w.failed = w.live + rows;
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

long flow_work_size(const FlowShape& fs, int rows) {
  return static_cast<long>(rows) * fs.net.in_dim + mlp_cache_size(fs.net, rows) + mlp_scratch_size(fs.net, rows) +
         rows + 2L * rows * fs.A + 3L * rows;
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

// f = 1 - d as the authors' loop computes it: F subtractions of d/F. Both
// methods return this f, so the critic sees the same flow time either way.
void reversed_time(const real* d, int B, int F, real* f) {
  for (int b = 0; b < B; ++b) {
    const real delta = d[b] / static_cast<real>(F);
    f[b] = 1;
    for (int i = 0; i < F; ++i) f[b] -= delta;
  }
}

// d F = k + r with k whole and 0 <= r < 1. A d within a few ulps of a grid
// point k/F counts as on it (r = 0): the float nearest k/F is not exactly
// k/F, and without the snap it would leave a sliver step of size ~1e-8.
// d is clamped to [0, 1].
void grid_split(real d, int F, int* k, double* r) {
  const double D = static_cast<double>(d) * F;
  if (!(D > 0)) {  // also d = NaN: nothing to undo
    *k = 0;
    *r = 0;
    return;
  }
  if (D >= F) {
    *k = F;
    *r = 0;
    return;
  }
  const double nearest = std::floor(D + 0.5);
  const double snap = 8.0 * static_cast<double>(std::numeric_limits<real>::epsilon()) * (1.0 + D);
  if (std::fabs(D - nearest) <= snap) {
    *k = static_cast<int>(nearest);
    *r = 0;
    return;
  }
  *k = static_cast<int>(std::floor(D));
  *r = D - *k;
}

// The exact inverse of the sampler (SPEC 7's alternative). With d F = k + r
// (grid_split), round i = 0, 1, .. of row b undoes
//   i <  k:          the sampler's step j = F-1-i, solving
//                      x + v(s, x, j/F) / F = x_cur            (div = F)
//   i == k, r > 0:   a partial step of size r/F from flow time f = 1 - d,
//                      x + v(s, x, f) / (F/r) = x_cur          (div = F/r)
//   otherwise:       nothing (div = 0; the row is done)
// each by the fixed-point iteration x <- x_cur - v(s, x, t) / div started at
// x = x_cur (its first iterate is an explicit Euler step back, like the
// euler reversal's, but with v at the earlier time t). Dividing by F,
// as the sampler does, rather than multiplying by 1/F keeps the round trip
// exact up to the iteration's tolerance. A full-step time is computed as
// flow_sample computes it, j / F, so forward(reverse(a)) evaluates v at the
// same points.
//
// Off the grid the path from x^{1-d} to a is: one partial Euler step to the
// grid point 1 - k/F, then the sampler's own steps. It is continuous in d
// (r -> 0 and r -> 1 both give the grid case) and, on the grid, undoes
// exactly k sampler steps.
//
// The batch is iterated together (one velocity call per iteration for all B
// rows, idle ones included: simple, and rows converge at similar rates), but
// each row has its own convergence test and stops updating once it passes
// it, so a row's result never depends on the other rows.
// The iteration contracts when Lip_x(v) / div < 1.
int reverse_exact(const FlowShape& fs, const ExactReversalConfig& cfg, const real* params, const real* s,
                  const real* a, const real* d, int B, real* x, real* f, real* work) {
  const FlowWork w = flow_work(fs, B, work);
  const int A = fs.A, F = fs.flow_steps;
  const real tol = static_cast<real>(cfg.tol);
  reversed_time(d, B, F, f);
  std::memcpy(x, a, sizeof(real) * static_cast<size_t>(B) * A);  // x holds x_cur, row by row
  for (int b = 0; b < B; ++b) w.failed[b] = 0;
  for (int i = 0; i < F; ++i) {
    int live = 0;
    for (int b = 0; b < B; ++b) {
      int k;
      double r;
      grid_split(d[b], F, &k, &r);
      w.t[b] = f[b];  // any finite time for idle rows
      w.div[b] = 0;
      if (i < k) {
        w.t[b] = static_cast<real>(F - 1 - i) / static_cast<real>(F);  // j / F, j = F-1-i
        w.div[b] = static_cast<real>(F);
      } else if (i == k && r > 0) {
        w.div[b] = static_cast<real>(F / r);
      }
      w.live[b] = w.div[b] != 0 ? real(1) : real(0);
      live += w.div[b] != 0;
    }
    if (live == 0) break;  // a row active in round i was active in every earlier round
    std::memcpy(w.x, x, sizeof(real) * static_cast<size_t>(B) * A);  // iterate, started at x_cur
    for (int it = 0; it < cfg.max_iter && live > 0; ++it) {
      flow_velocity(fs, params, s, w.x, w.t, B, w.v, work);
      for (int b = 0; b < B; ++b) {
        if (w.live[b] == 0) continue;
        real change = 0, scale = 0;  // max_j |x_new - x|, max_j |x_new| over row b
        bool finite = true;
        for (int j = 0; j < A; ++j) {
          const long q = static_cast<long>(b) * A + j;
          const real next = x[q] - w.v[q] / w.div[b];
          const real dj = std::fabs(next - w.x[q]), xj = std::fabs(next);
          change = dj > change ? dj : change;
          scale = xj > scale ? xj : scale;
          finite = finite && std::isfinite(next);
          w.x[q] = next;
        }
        // A diverged row (inf or NaN; std::fmax would skip a NaN) stays live
        // and is reported below.
        if (finite && change <= tol * (real(1) + scale)) {
          w.live[b] = 0;
          --live;
        }
      }
    }
    for (int b = 0; b < B; ++b)
      if (w.live[b] != 0) w.failed[b] = 1;
    std::memcpy(x, w.x, sizeof(real) * static_cast<size_t>(B) * A);
  }
  int failed = 0;
  for (int b = 0; b < B; ++b) failed += w.failed[b] != 0;
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
  double sum = 0;
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < A; ++j) {
      const long k = static_cast<long>(b) * A + j;
      const real m = real(1) - rt[static_cast<long>(j / action_dim) * B + b];  // rt (h+1, B)
      const real e = p[k] - (a[k] - x0[k]);
      sum += static_cast<double>(e * e * m);
    }
  return static_cast<real>(sum / (static_cast<double>(B) * A));
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
