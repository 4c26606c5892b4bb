// rql.h: the RQL agent and its update, docs/spec.md §4 and 5, line by line.
//
//   Agent          the four networks (actor, value, target_actor,
//                  target_value), Adam moments, step count, RNG streams
//   UpdateNoise    the randomness of one update (docs/spec.md §4), drawn by
//                  update_noise_sample or given (golden vectors)
//   UpdateWork     every buffer an update touches, carved once from one
//                  arena (the caller's memory, or a vector update_work_alloc
//                  owns): an update allocates nothing
//   UpdateOptions  what the caller decides per update: the weight of the Q
//                  term (1 for RQL, 0 for the flow-BC baseline) and whether
//                  to walk every gradient for grad_max/min/norm
//   rql_update     (agent, batch, noise, options) -> (agent', metrics)
//
// The update, in the order rql.cpp runs its named steps:
//   1. reversal  x^f = reverse(a, d), f = 1 - d               (flow.h)
//   2. target    y = R + gamma^h (mean_K - rho std_K) Qbar(s', x0', 0) mask[h-1]
//   3. critic    L_critic = mean |tau - 1(u<0)| u^2 valid, u = y - Q(s, x^f, f)
//   4. actor     p = v(s, x_t, t), x_t = (1-t) x0 + t a
//                L_bc = mean (p - (a - x0))^2 m
//                L_q  = -mean_B(mean_K Q(s, x_t + p min(1/F, 1-t), min(t+1/F, 1)) valid)
//                (L_q reaches theta only through p: value_backward_input)
//   5. targets   phibar <- tau phi + (1-tau) phibar,
//                thetabar <- (1-ema) theta + ema thetabar, from the
//                parameters BEFORE this step (the authors' one-step lag)
//   6. Adam      one step on theta (from q_weight L_q + alpha L_bc) and phi
//                (from L_critic)
// Doing 5 before 6 is what "pre-step parameters" means, and needs no copy.
// Memory of all of this as formulas of the config: memory.h.
#pragma once

#include <string>
#include <vector>

#include "adam.h"
#include "batch.h"
#include "config.h"
#include "flow.h"
#include "mlp.h"
#include "rng.h"

namespace rql {

struct Agent {
  RqlConfig cfg;
  FlowShape actor_shape;   // actor MLP: [s, x, t] -> A
  MlpShape value_shape;    // one value member: [s, x, f] -> 1, K members
  // Parameter blocks and Adam moments stay std::vector: they are set up
  // once (agent_init, checkpoint load); memory.h gives their size.
  std::vector<real> actor, value, target_actor, target_value;  // parameter blocks
  std::vector<real> actor_m, actor_v, value_m, value_v;        // Adam moments
  long step = 0;           // updates done
  // rng_batch: batch sampling; rng_update: update noise (docs/spec.md §4); rng_eval:
  // for callers that sample actions and want the stream saved with the
  // agent (`rql train` instead seeds one stream per evaluation, so that
  // evaluating never changes the agent).
  Rng rng_batch, rng_update, rng_eval;
};

// The four parameter blocks by index, in the order of docs/spec.md §8:
// 0 actor, 1 value, 2 target_actor, 3 target_value. Tensor j of net i has
// the golden name  agent_net_name(i) + "." + mlp_tensor(agent_net_shape(a, i), j).name
// ("actor.dense0.kernel", "value.ln0.scale"), used by golden vectors and by
// checkpoint export/import (checkpoint.h).
constexpr int kAgentNets = 4;
const char* agent_net_name(int net);
const MlpShape& agent_net_shape(const Agent& agent, int net);
const std::vector<real>& agent_net_block(const Agent& agent, int net);
std::vector<real>& agent_net_block(Agent& agent, int net);

// Validate `cfg` and build a fresh agent: Glorot init from the init stream
// (actor first, then the value ensemble member by member), targets copies
// of the online nets, zero Adam moments. Returns "" or the config error.
std::string agent_init(Agent& agent, const RqlConfig& cfg);

// Compute the agent's networks with `k` (kernels.h); null: the reference
// kernels, which agent_init starts with. `k` must outlive the agent's use.
void agent_set_kernels(Agent& agent, const Kernels* k);

// docs/spec.md §4: the noise of one update.
struct UpdateNoise {
  std::vector<real> next_x0;  // (B, A)   noise at the next state
  std::vector<real> d;        // (B)      reversal amount
  std::vector<real> bc_x0;    // (B, A)   flow-matching noise
  std::vector<real> bc_t;     // (B)      flow-matching time
};
void update_noise_alloc(UpdateNoise& n, const RqlConfig& cfg);
// Draws, in this order: next_x0 (row-major), d (first B/2 U[0,1), last B/2
// k/F with k uniform in {0..F}), bc_x0, bc_t. No allocation.
void update_noise_sample(UpdateNoise& n, const RqlConfig& cfg, Rng& rng);

// n reals of memory owned elsewhere (the arena of an UpdateWork).
struct RealSpan {
  real* ptr = nullptr;
  long n = 0;
  real* data() const { return ptr; }
  size_t size() const { return static_cast<size_t>(n); }
  real& operator[](long i) const { return ptr[i]; }
  real* begin() const { return ptr; }
  real* end() const { return ptr + n; }
};

// Everything one update writes besides the agent. Public so that the golden
// runner and tests can read every intermediate of docs/spec.md §8. Every buffer is a
// view into one arena, each starting at a multiple of kWorkAlign reals.
struct UpdateWork {
  int B = 0, A = 0, K = 0, vin = 0;  // vin = obs_dim + A + 1
  RealSpan a;            // (B, A)   the chunk concat(act[0..h-1])
  RealSpan rt;           // (h+1, B) shifted terminals
  RealSpan R, valid, next_q, target;  // (B)
  RealSpan next_qk;      // (K, B)   target ensemble at (s', x0', 0)
  RealSpan reversed_x;   // (B, A)
  RealSpan reversed_f;   // (B)
  RealSpan q, dq;        // (K, B)   critic at (s, x^f, f)
  RealSpan x_t, p, dp;   // (B, A)
  RealSpan x_next;       // (B, A)   x+ = x_t + p step
  RealSpan t_next, step; // (B)
  RealSpan q_ahead, dq_ahead;  // (K, B)
  RealSpan value_in;     // (B, vin) concat[s, x, f]
  RealSpan dvalue_in;    // (B, vin)
  RealSpan value_cache;  // K forward caches
  RealSpan value_scratch;
  RealSpan flow_work;    // actor working memory
  RealSpan dactor, dvalue;  // gradients, layouts of actor / value
  // The arena when update_work_alloc made it; empty when the caller
  // supplied the memory (update_work_init).
  std::vector<real> owned;

  UpdateWork() = default;
  UpdateWork(UpdateWork&&) = default;             // the vector's buffer moves with it
  UpdateWork& operator=(UpdateWork&&) = default;
  UpdateWork(const UpdateWork& other);            // copies `owned`, views re-pointed into the copy
  UpdateWork& operator=(const UpdateWork& other);
};

// Each buffer of UpdateWork starts at a multiple of this many reals (64
// bytes in float: one cache line, a full AVX-512 vector).
constexpr long kWorkAlign = 16;

// Reals of the arena an update of `agent` needs (= update_work_bytes(cfg) /
// sizeof(real), memory.h).
long update_work_size(const Agent& agent);
// Carve `w` from caller memory `arena` of update_work_size(agent) reals
// (best aligned to 64 bytes); `arena` must outlive `w`. Zeroes it.
void update_work_init(UpdateWork& w, const Agent& agent, real* arena);
// The std::vector convenience: w.owned becomes the arena.
void update_work_alloc(UpdateWork& w, const Agent& agent);

// What the caller decides for one update.
struct UpdateOptions {
  // Weight of L_q in the actor's gradient: 1 is RQL (docs/spec.md §5); 0 trains the
  // actor on the flow-matching loss alone (the flow-BC baseline, config key
  // bc_only, not in docs/spec.md): L_q is still computed and logged, its backward is
  // skipped.
  real q_weight = 1;
  // Compute grad_max, grad_min, grad_norm (a pass over every online
  // gradient). Off: those three metrics are 0. A loop that logs every N
  // steps asks for them on those steps only.
  bool grad_metrics = false;
};

// What the authors log per update, converted to double for the caller (the
// update computes in real; these are the only conversions).
struct UpdateMetrics {
  double total_loss;   // actor_loss + alpha bc_loss + critic_loss
  double actor_loss;   // L_q = -mean_B(mean_K Q(s, x+, t+) valid): the Q term alone (the
                       // authors' actor_loss = -(q_pe * valids).mean()), whatever q_weight is
  double bc_loss;      // L_bc, unweighted
  double critic_loss;  // L_critic
  double q_mean, q_max, q_min;                   // critic Q(s, x^f, f)
  double q_ahead_mean, q_ahead_max, q_ahead_min; // Q(s, x+, t+)
  double grad_max, grad_min, grad_norm;          // over all online gradients (grad_metrics only; else 0)
  double valid_frac;
  int exact_failures;                            // rows the exact reversal did not converge on
};

// One RQL update (docs/spec.md §5). `batch` and `noise` must match agent.cfg and `w`
// must be made for this agent (sizes are not re-checked: this is the hot
// path). Allocation-free.
UpdateMetrics rql_update(Agent& agent, const Batch& batch, const UpdateNoise& noise, UpdateWork& w,
                         const UpdateOptions& options = UpdateOptions());

// Euler-sample actions from the TARGET actor (the EMA policy, docs/spec.md §2):
// obs (B, obs_dim), x0 (B, A) -> actions (B, A) in [-1, 1]; work: caller
// memory of flow_sample_work_size(agent.actor_shape, B) reals
// (= act_work_bytes(cfg, B) bytes, memory.h). Allocation-free.
void agent_act(const Agent& agent, const real* obs, const real* x0, int B, real* actions, real* work);

}  // namespace rql
