// train.h: the offline training loop's state and one step of it: sample a
// chunked batch (docs/spec.md §3), draw the update noise (docs/spec.md §4), run the update
// (docs/spec.md §5). Everything a resumed run needs is in Trainer::agent (parameters,
// Adam state, step, RNG streams) and the dataset; checkpoint.h saves it.
#pragma once

#include <string>

#include "batch.h"
#include "rql.h"

namespace rql {

struct Trainer {
  Agent agent;
  Dataset data;
  BatchSampler sampler;
  Batch batch;
  UpdateNoise noise;
  UpdateWork work;
};

// Build a trainer from a fresh agent for `cfg` (obs_dim and action_dim must
// match the dataset). Returns "" or an error (bad config, dims mismatch, no
// episode long enough).
std::string trainer_init(Trainer& t, const RqlConfig& cfg, Dataset data);
// Same, but keep an agent already built or loaded (resume).
std::string trainer_init_with_agent(Trainer& t, Agent agent, Dataset data);

// One training step; allocation-free. The config key bc_only becomes
// UpdateOptions::q_weight = 0 (the flow-BC baseline), else 1 (RQL).
// grad_metrics: also compute grad_max/min/norm (a pass over every
// gradient; ask on the steps that log them).
UpdateMetrics trainer_step(Trainer& t, bool grad_metrics = false);

}  // namespace rql
