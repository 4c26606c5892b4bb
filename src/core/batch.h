// batch.h: an offline dataset held in memory, its preprocessing, and the
// chunked batch sampler (docs/spec.md §3). No files here: io/dataset.h loads,
// validates and saves datasets.
//
// Arrays follow the dataset format users have (OGBench, D4RL): flat
// transitions, episodes delimited by `terminals`.
#pragma once

#include <string>
#include <vector>

#include "rng.h"
#include "scalar.h"

namespace rql {

struct Dataset {
  long n = 0;          // transitions
  int obs_dim = 0;
  int action_dim = 0;
  std::vector<real> observations;  // (n, obs_dim)
  std::vector<real> actions;       // (n, action_dim)
  std::vector<real> rewards;       // (n)
  std::vector<real> terminals;     // (n), 1 on the last transition of an episode
  std::vector<real> masks;         // (n), 0 on a true termination (no bootstrap)
};

// One episode: transitions initial .. terminal (inclusive).
struct Episode {
  long initial;
  long terminal;
};

// A chunked batch (docs/spec.md §3): every field has a leading axis of length h + 1,
// the layout of the golden `batch.*` tensors.
struct Batch {
  int h = 0, batch_size = 0, obs_dim = 0, action_dim = 0;
  std::vector<real> observations;  // (h+1, B, obs_dim)
  std::vector<real> actions;       // (h+1, B, action_dim)
  std::vector<real> rewards;       // (h+1, B)
  std::vector<real> terminals;     // (h+1, B)
  std::vector<real> masks;         // (h+1, B)
};

// ---- Preprocessing and episodes ----

// The authors' preprocessing: actions clipped to +-(1 - 1e-5); with `sparse`,
// rewards become -1 * (r != 0).
void dataset_preprocess(Dataset& d, bool sparse);
// Episodes delimited by terminals (docs/spec.md §3): episode k runs from the index
// after the (k-1)-th terminal to the k-th terminal, inclusive, as the
// authors' `terminal_locs = nonzero(terminals > 0)`. Transitions after the
// last terminal belong to no episode (dataset_validate refuses them).
std::vector<Episode> dataset_episodes(const Dataset& d);

// ---- The chunked batch sampler (docs/spec.md §3) ----

// Built once from a dataset. Owns the scratch of sampling without
// replacement, so batch_sample allocates nothing.
struct BatchSampler {
  std::vector<Episode> episodes;  // the episodes longer than one transition
  std::vector<long> perm;         // (episodes.size()) the identity between calls;
                                  // partial Fisher-Yates scratch during a call
};

// Build the sampler over the episodes of `d` longer than one transition.
// Returns "" or an error if no episode has two or more transitions.
std::string batch_sampler_make(BatchSampler& s, const Dataset& d);
// Size every field of `b` for (h+1, batch_size, ...) once.
void batch_alloc(Batch& b, int h, int batch_size, int obs_dim, int action_dim);
// Fill `out` (sized by batch_alloc for this dataset's dims) with one batch:
// for each row b, an episode uniform over s.episodes (with replacement when
// B >= episodes, else without: a partial Fisher-Yates over s.perm), then
// t0 uniform in [initial, terminal), then for i = 0..h the fields of
// transition min(t0 + i, terminal) at [i, b]. Two draws per row, in that
// order: rng_below(E or E - b), rng_below(terminal - initial). No heap
// allocation; s.perm is back to the identity on return, so a batch depends
// only on the rng state (a resumed run draws the same batches).
void batch_sample(const Dataset& d, BatchSampler& s, Rng& rng, Batch& out);
// Row b of `out` from a given choice (docs/spec.md §3 step 3): for i = 0..h the
// fields of transition min(t0 + i, ep.terminal) at [i, b]. batch_sample
// calls it for every row it draws; the golden sampler cases (docs/spec.md §8) call it
// with the choices a case gives. Expects ep.initial <= t0 < ep.terminal and
// 0 <= b < out.batch_size (not re-checked). No heap allocation.
void batch_fill_row(const Dataset& d, const Episode& ep, long t0, long b, Batch& out);

}  // namespace rql
