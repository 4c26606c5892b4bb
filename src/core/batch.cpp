// batch.cpp: preprocessing, episodes and the chunked batch sampler of
// docs/spec.md §3 (batch.h).
#include "batch.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <numeric>

namespace rql {

void dataset_preprocess(Dataset& d, bool sparse) {
  // The authors clip float32 actions with np.clip(a, -1 + 1e-5, 1 - 1e-5):
  // the bound is the double 1 - 1e-5 rounded to the array's type.
  const real hi = static_cast<real>(1.0 - 1e-5);
  for (real& a : d.actions) a = std::min(std::max(a, -hi), hi);
  // -1 * (r != 0). NumPy gives -0.0 where r == 0 (False * -1.0); +0.0 here:
  // equal in every comparison and sum the update makes.
  if (sparse)
    for (real& r : d.rewards) r = r != real(0) ? real(-1) : real(0);
}

std::vector<Episode> dataset_episodes(const Dataset& d) {
  std::vector<Episode> eps;
  long initial = 0;
  for (long i = 0; i < d.n; ++i) {
    if (d.terminals[static_cast<size_t>(i)] > real(0)) {
      eps.push_back({initial, i});
      initial = i + 1;
    }
  }
  return eps;
}

std::string batch_sampler_make(BatchSampler& s, const Dataset& d) {
  s.episodes.clear();
  for (const Episode& e : dataset_episodes(d))
    if (e.terminal > e.initial) s.episodes.push_back(e);
  if (s.episodes.empty())
    return "dataset: no episode has two or more transitions, so no chunk start t0 < terminal exists (docs/spec.md §3)";
  s.perm.resize(s.episodes.size());
  std::iota(s.perm.begin(), s.perm.end(), 0L);
  return "";
}

void batch_alloc(Batch& b, int h, int batch_size, int obs_dim, int action_dim) {
  b.h = h;
  b.batch_size = batch_size;
  b.obs_dim = obs_dim;
  b.action_dim = action_dim;
  const size_t rows = static_cast<size_t>(h + 1) * static_cast<size_t>(batch_size);
  b.observations.assign(rows * static_cast<size_t>(obs_dim), real(0));
  b.actions.assign(rows * static_cast<size_t>(action_dim), real(0));
  b.rewards.assign(rows, real(0));
  b.terminals.assign(rows, real(0));
  b.masks.assign(rows, real(0));
}

void batch_fill_row(const Dataset& d, const Episode& ep, long t0, long b, Batch& out) {
  const size_t od = static_cast<size_t>(d.obs_dim), ad = static_cast<size_t>(d.action_dim);
  const size_t B = static_cast<size_t>(out.batch_size);
  for (int i = 0; i <= out.h; ++i) {
    // Clamped at the episode's last index: a chunk that runs past the end
    // repeats the last stored transition (docs/spec.md §7: s' is then not the true
    // next state; the terminal shift in the TD target handles it).
    const size_t j = static_cast<size_t>(std::min(t0 + i, ep.terminal));
    const size_t row = static_cast<size_t>(i) * B + static_cast<size_t>(b);  // [i, b]
    std::memcpy(&out.observations[row * od], &d.observations[j * od], od * sizeof(real));
    std::memcpy(&out.actions[row * ad], &d.actions[j * ad], ad * sizeof(real));
    out.rewards[row] = d.rewards[j];
    out.terminals[row] = d.terminals[j];
    out.masks[row] = d.masks[j];
  }
}

void batch_sample(const Dataset& d, BatchSampler& s, Rng& rng, Batch& out) {
  const long E = static_cast<long>(s.episodes.size());
  const long B = out.batch_size;
  assert(out.obs_dim == d.obs_dim && out.action_dim == d.action_dim);
  assert(out.observations.size() == static_cast<size_t>((out.h + 1) * B) * static_cast<size_t>(d.obs_dim));
  const bool replace = B >= E;  // docs/spec.md §3: with replacement when B >= #episodes
  for (long b = 0; b < B; ++b) {
    long e;
    if (replace) {
      e = static_cast<long>(rng_below(rng, static_cast<uint64_t>(E)));
    } else {
      // Partial Fisher-Yates: perm[0 .. b) holds the episodes already drawn.
      const long j = b + static_cast<long>(rng_below(rng, static_cast<uint64_t>(E - b)));
      std::swap(s.perm[static_cast<size_t>(b)], s.perm[static_cast<size_t>(j)]);
      e = s.perm[static_cast<size_t>(b)];
    }
    const Episode& ep = s.episodes[static_cast<size_t>(e)];
    // The last transition is never a start: t0 in [initial, terminal).
    const long t0 = ep.initial + static_cast<long>(rng_below(rng, static_cast<uint64_t>(ep.terminal - ep.initial)));
    batch_fill_row(d, ep, t0, b, out);
  }
  if (!replace) {
    // Restore the identity in O(B): a value v >= B in perm[0 .. B) left home
    // position v (the only place it can have come from), and every touched
    // position >= B is the home of such a value.
    for (long b = 0; b < B; ++b) {
      const long v = s.perm[static_cast<size_t>(b)];
      if (v >= B) s.perm[static_cast<size_t>(v)] = v;
      s.perm[static_cast<size_t>(b)] = b;
    }
  }
}

}  // namespace rql
