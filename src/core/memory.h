// memory.h: the memory of the core as formulas of a config, in the style of
// CMSIS-NN's *_get_buffer_size: a porter computes RAM from a config before
// building anything, then hands the core memory of that size.
//
//   rql_param_count       parameters of the actor + the value ensemble (one copy)
//   rql_state_bytes       parameters + targets + Adam moments: 4 copies
//   act_work_bytes        one action sample (agent_act / flow_sample) on `rows` rows
//   update_work_bytes     one update's arena (UpdateWork, rql.h), exact reversal included
//   update_inputs_bytes   one update's batch (docs/spec.md §3) + noise (docs/spec.md §4)
//
// Every size is computed in 64 bits from the config alone (no network is
// built) with overflow detection: a result that does not fit, or a config
// with a negative size, comes back with ok = false, never undefined
// behaviour. The formulas restate, dimension by dimension, what mlp.cpp,
// flow.cpp, flow_exact.cpp and rql.cpp lay out; tests/core/test_memory.cpp
// holds them equal to what agent_init and update_work_alloc allocate.
//
// Let D = obs_dim, A = h action_dim, vin = D + A + 1, B = batch_size,
// K = ensemble_ct, r = rows, and for an MLP with input n_0, hidden widths
// d_1..d_L (LayerNorm on or off) and output d_{L+1}:
//   params  = sum_i (n_{i-1} d_i + d_i) + [LN] sum_{i<=L} 2 d_i     (per member)
//   cache r = sum_{i<=L} (2 r d_i + [LN] (r d_i + 2 r)) + r d_{L+1}  (per member)
//   scratch r = 2 r max_i d_i
//   act work r   = r vin + cache_actor r + scratch_actor r + r + r A
//   exact work r = 5 r + 3 r A + r D
//   update work  = the 26 buffers of UpdateWork, each rounded up to
//                  kWorkAlign (16) reals: 6 of (B, A), 1 of (h+1, B),
//                  7 of (B), 5 of (K, B), 2 of (B, vin), K value caches
//                  of B rows, one value scratch of B rows, the actor's
//                  act work B + exact work B, one actor and one value
//                  parameter block (the gradients)
// Bytes are reals times sizeof(real) (4 in float, 8 in double).
#pragma once

#include <cstdint>
#include <string>

#include "config.h"

namespace rql {

// A size (elements or bytes) in 64 bits; ok == false once any step of its
// computation overflowed or met a negative dimension.
struct MemSize {
  uint64_t n = 0;
  bool ok = true;
};

MemSize rql_param_count(const RqlConfig& c);
MemSize rql_state_bytes(const RqlConfig& c);
MemSize act_work_bytes(const RqlConfig& c, int rows);
MemSize update_work_bytes(const RqlConfig& c);
MemSize update_inputs_bytes(const RqlConfig& c);

// The largest buffer the core may index: the core indexes reals with int
// and long, both 32 bits on a Cortex-M (at most 2^31 - 1 reals), and passes
// byte counts as size_t, 32 bits there too (at most 2^32 - 1 bytes).
// config_validate refuses a config any of whose buffers exceeds either.
constexpr uint64_t kMaxBufferReals = 2147483647u;  // 2^31 - 1
constexpr uint64_t kMaxBufferBytes = 4294967295u;  // 2^32 - 1

// "" when every buffer of `c` (each parameter block, the update's arena,
// the batch, one action sample) is within kMaxBufferReals and
// kMaxBufferBytes; else a message naming the buffer and its computed size.
// Called by config_validate after the range checks.
std::string config_check_sizes(const RqlConfig& c);

}  // namespace rql
