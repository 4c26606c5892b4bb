// config.h: the RQL configuration. Keys are the authors' names, verbatim
// (docs/spec.md §6), plus `obs_dim`, `action_dim` (docs/spec.md §8), `reversal` (flow.h) and
// `seed`, so a config.txt can be diffed against the authors' flags.
//
// Parsing and validation report errors by return value (an empty string
// means success): the numeric core compiles without exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scalar.h"

namespace rql {

// The flow reversal of the update (flow.h, flow_reverse): the authors'
// Euler loop, or the exact inverse of the sampler (a documented alternative).
enum class Reversal { kEuler, kExact };

struct RqlConfig {
  int obs_dim = 0;
  int action_dim = 0;
  int h = 3;                 // action-chunk length
  double alpha = 1.0;        // weight of the flow-matching (BC) loss
  double expectile = 0.5;    // critic expectile tau
  int ensemble_ct = 10;      // value ensemble size K
  double rho = 0.0;          // pessimism: mean - rho * std over the ensemble
  double lr = 3e-4;          // Adam learning rate
  double discount = 0.99;    // gamma
  int batch_size = 256;      // B
  std::vector<int> actor_hidden_dims = {512, 512, 512, 512};
  std::vector<int> value_hidden_dims = {512, 512, 512, 512};
  bool layer_norm = true;          // LayerNorm in the value nets
  bool actor_layer_norm = false;   // LayerNorm in the actor
  double tau = 0.005;        // target value Polyak rate
  double ema = 0.999;        // target actor EMA
  int flow_steps = 10;       // F
  Reversal reversal = Reversal::kEuler;
  uint64_t seed = 0;
  // Project extension, not an authors' key: train the actor on the
  // flow-matching loss alone (L_q gets no gradient; the critic still trains
  // and is logged). This is the "flow BC" baseline of docs/results.md. The
  // update itself never reads it: trainer_step passes q_weight = 0.
  bool bc_only = false;
};

// Every key, in the order config_to_text writes them: the authors' names,
// then obs_dim/action_dim (docs/spec.md §8), reversal, seed and bc_only.
const std::vector<std::string>& config_keys();

// Set one key from its text value ("512,512", "true", "0.7", "euler").
// Returns "" or an error naming the key, the value and what was expected.
std::string config_set(RqlConfig& c, const std::string& key, const std::string& value);

// The value of one key as text (round-trips through config_set).
std::string config_get(const RqlConfig& c, const std::string& key);

// "key=value" lines, one per key.
std::string config_to_text(const RqlConfig& c);

// Parse "key=value" lines ('#' comments and blank lines allowed) on top of
// `c`. `source` names the file in errors ("config.txt line 3: ...").
std::string config_parse(RqlConfig& c, const std::string& text, const std::string& source);

// Range checks: finite doubles, batch_size even and >= 2, h >= 1,
// flow_steps >= 1, ensemble_ct >= 1, expectile in (0, 1), discount in
// [0, 1], dims >= 1, non-empty hidden dims, rates in [0, 1], lr > 0,
// alpha >= 0, rho >= 0; then sizes: every buffer of the core within
// kMaxBufferReals and kMaxBufferBytes (memory.h, config_check_sizes), so that no index
// arithmetic overflows int.
//
// bc_only is not read by the update: the caller maps it to
// UpdateOptions::q_weight = 0 (rql.h; trainer_step does).
std::string config_validate(const RqlConfig& c);

}  // namespace rql
