// dataset.h: an offline dataset in memory, its validation and preprocessing
// (SPEC 3), and the chunked batch sampler.
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

// A chunked batch (SPEC 3): every field has a leading axis of length h + 1,
// the layout of the golden `batch.*` tensors.
struct Batch {
  int h = 0, batch_size = 0, obs_dim = 0, action_dim = 0;
  std::vector<real> observations;  // (h+1, B, obs_dim)
  std::vector<real> actions;       // (h+1, B, action_dim)
  std::vector<real> rewards;       // (h+1, B)
  std::vector<real> terminals;     // (h+1, B)
  std::vector<real> masks;         // (h+1, B)
};

// ---- Loading, saving, preprocessing (dataset.cpp; throw rql::Error naming
// the file and key on bad input) ----

// Load from a folder of .npy files or from a .npz archive (stored or
// DEFLATE-compressed). Extra keys are ignored. Validates everything.
Dataset dataset_load(const std::string& path);
// Save as a .npz archive (path ends in .npz) or a folder of .npy files.
void dataset_save(const Dataset& d, const std::string& path);
// The authors' preprocessing: actions clipped to +-(1 - 1e-5); with `sparse`,
// rewards become -1 * (r != 0).
void dataset_preprocess(Dataset& d, bool sparse);
// Episodes delimited by terminals (SPEC 3).
std::vector<Episode> dataset_episodes(const Dataset& d);

}  // namespace rql
