// flow_exact.cpp: the exact inverse of the sampler (flow.h,
// flow_reverse_exact; docs/spec.md §7's alternative to the authors' reversal).
// Derivation and measured round-trip errors: docs/flow.md.
//
// Each round undoes one sampler step per row by a fixed-point iteration.
// Only the rows that have not converged are iterated: before every velocity
// evaluation their inputs are gathered into a contiguous sub-batch, so a
// round costs (live rows) x (iterations), not B x (slowest row's
// iterations). Each row's arithmetic is the same whatever the other rows
// do, so a row's result is bit for bit the one it would get alone (given
// matmul kernels that compute every row alike, as both kernel sets do).
#include <cmath>
#include <cstring>
#include <limits>

#include "flow.h"

namespace rql {

namespace {

// The exact reversal's region of `work`, after flow_sample_work_size(fs,
// rows) reals, for `rows` rows (offsets in reals):
//   t       (rows)        the flow time of this round's step, per row
//   div     (rows)        this round's step is v / div (0: nothing to do)
//   live    (rows)        1 while the row iterates
//   failed  (rows)        1 once a round of the row failed
//   x       (rows, A)     the iterate, per row (x_cur stays in the output)
//   s_live  (rows, D)     the live rows' observations,  gathered
//   x_live  (rows, A)     the live rows' iterates,      gathered
//   t_live  (rows)        the live rows' times,         gathered
//   v       (rows, A)     the live rows' velocities
// (the per-row flags are reals so that one block serves everything).
struct ExactWork {
  real* t;
  real* div;
  real* live;
  real* failed;
  real* x;
  real* s_live;
  real* x_live;
  real* t_live;
  real* v;
};

ExactWork exact_work(const FlowShape& fs, int rows, real* work) {
  ExactWork w;
  const long A = fs.A, D = fs.obs_dim;
  w.t = work + flow_sample_work_size(fs, rows);
  w.div = w.t + rows;
  w.live = w.div + rows;
  w.failed = w.live + rows;
  w.x = w.failed + rows;
  w.s_live = w.x + rows * A;
  w.x_live = w.s_live + rows * D;
  w.t_live = w.x_live + rows * A;
  w.v = w.t_live + rows;
  return w;
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

// d F = k + r with k whole and 0 <= r < 1, in real. A d within a few ulps
// of a grid point k/F counts as on it (r = 0): the float nearest k/F is not
// exactly k/F, and without the snap it would leave a sliver step of size
// ~1e-8. d is clamped to [0, 1]. (D = d F is rounded once; the snap's
// 8 eps (1 + D) covers that rounding.)
void grid_split(real d, int F, int* k, real* r) {
  const real D = d * static_cast<real>(F);
  if (!(D > 0)) {  // also d = NaN: nothing to undo
    *k = 0;
    *r = 0;
    return;
  }
  if (D >= static_cast<real>(F)) {
    *k = F;
    *r = 0;
    return;
  }
  const real nearest = std::floor(D + real(0.5));
  const real snap = real(8) * std::numeric_limits<real>::epsilon() * (real(1) + D);
  if (std::fabs(D - nearest) <= snap) {
    *k = static_cast<int>(nearest);
    *r = 0;
    return;
  }
  *k = static_cast<int>(std::floor(D));
  *r = D - static_cast<real>(*k);
}

// Round i of row b: with d F = k + r (grid_split),
//   i <  k:          the sampler's step j = F-1-i, solving
//                      x + v(s, x, j/F) / F = x_cur            (div = F)
//   i == k, r > 0:   a partial step of size r/F from flow time f = 1 - d,
//                      x + v(s, x, f) / (F/r) = x_cur          (div = F/r)
//   otherwise:       nothing (div = 0; the row is done)
// A full step's time is computed as flow_sample computes it, j / F, so
// forward(reverse(a)) evaluates v at the same points. Returns the number
// of rows with something to do.
int plan_round(const real* d, const real* f, int B, int F, int i, const ExactWork& w) {
  int live = 0;
  for (int b = 0; b < B; ++b) {
    int k;
    real r;
    grid_split(d[b], F, &k, &r);
    w.t[b] = f[b];
    w.div[b] = 0;
    if (i < k) {
      w.t[b] = static_cast<real>(F - 1 - i) / static_cast<real>(F);  // j / F, j = F-1-i
      w.div[b] = static_cast<real>(F);
    } else if (i == k && r > 0) {
      w.div[b] = static_cast<real>(F) / r;
    }
    w.live[b] = w.div[b] != 0 ? real(1) : real(0);
    live += w.div[b] != 0;
  }
  return live;
}

// Gather the live rows' (s, x, t) into the contiguous sub-batch
// s_live (L, D), x_live (L, A), t_live (L), in row order. Returns L.
int gather_live(const FlowShape& fs, const real* s, int B, const ExactWork& w) {
  const int A = fs.A, D = fs.obs_dim;
  int L = 0;
  for (int b = 0; b < B; ++b) {
    if (w.live[b] == 0) continue;
    if (D > 0) std::memcpy(w.s_live + static_cast<long>(L) * D, s + static_cast<long>(b) * D, sizeof(real) * D);
    std::memcpy(w.x_live + static_cast<long>(L) * A, w.x + static_cast<long>(b) * A, sizeof(real) * A);
    w.t_live[L] = w.t[b];
    ++L;
  }
  return L;
}

}  // namespace

long flow_exact_work_size(const FlowShape& fs, int rows) {
  return 5L * rows + 3L * rows * fs.A + static_cast<long>(rows) * fs.obs_dim;
}

// Each round solves x = x_cur - v(s, x, t) / div by the fixed-point
// iteration x <- x_cur - v(s, x, t) / div started at x = x_cur (its first
// iterate is an explicit Euler step back, like the euler reversal's, but
// with v at the earlier time t). Dividing by F, as the sampler does, rather
// than multiplying by 1/F keeps the round trip exact up to the iteration's
// tolerance. The iteration contracts when Lip_x(v) / div < 1.
//
// Off the grid the path from x^{1-d} to a is: one partial Euler step to the
// grid point 1 - k/F, then the sampler's own steps. It is continuous in d
// (r -> 0 and r -> 1 both give the grid case) and, on the grid, undoes
// exactly k sampler steps.
int flow_reverse_exact(const FlowShape& fs, const ExactReversalConfig& cfg, const real* params, const real* s,
                       const real* a, const real* d, int B, real* x, real* f, real* work) {
  const ExactWork w = exact_work(fs, B, work);
  const int A = fs.A, F = fs.flow_steps;
  const real tol = static_cast<real>(cfg.tol);
  reversed_time(d, B, F, f);
  std::memcpy(x, a, sizeof(real) * static_cast<size_t>(B) * A);  // x holds x_cur, row by row
  for (int b = 0; b < B; ++b) w.failed[b] = 0;
  for (int i = 0; i < F; ++i) {
    int live = plan_round(d, f, B, F, i, w);
    if (live == 0) break;  // a row active in round i was active in every earlier round
    std::memcpy(w.x, x, sizeof(real) * static_cast<size_t>(B) * A);  // iterate, started at x_cur
    for (int it = 0; it < cfg.max_iter && live > 0; ++it) {
      // v (L, A) for the live rows only; the velocity call lays its own
      // input and activations out for L rows, inside the sample region.
      const int L = gather_live(fs, s, B, w);
      flow_velocity(fs, params, w.s_live, w.x_live, w.t_live, L, w.v, work);
      int r = 0;  // row b's place in the sub-batch
      for (int b = 0; b < B; ++b) {
        if (w.live[b] == 0) continue;
        const real* vr = w.v + static_cast<long>(r) * A;
        ++r;
        real change = 0, scale = 0;  // max_j |x_new - x|, max_j |x_new| over row b
        bool finite = true;
        for (int j = 0; j < A; ++j) {
          const long q = static_cast<long>(b) * A + j;
          const real next = x[q] - vr[j] / w.div[b];
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

}  // namespace rql
