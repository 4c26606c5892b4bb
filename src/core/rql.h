// rql.h: the RQL agent and its update, SPEC 4 and 5, line by line.
//
//   Agent          the four networks (actor, value, target_actor,
//                  target_value), Adam moments, step count, RNG streams
//   UpdateNoise    the randomness of one update (SPEC 4), drawn by
//                  update_noise_sample or given (golden vectors)
//   UpdateWork     every buffer an update touches, sized once: an update
//                  allocates nothing
//   rql_update     (agent, batch, noise) -> (agent', metrics)
//
// The update, in the order the code runs it:
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
//   6. Adam      one step on theta (from L_q + alpha L_bc) and phi (from
//                L_critic)
// Doing 5 before 6 is what "pre-step parameters" means, and needs no copy.
#pragma once

#include <string>
#include <vector>

#include "adam.h"
#include "config.h"
#include "batch.h"
#include "flow.h"
#include "mlp.h"
#include "rng.h"

namespace rql {

struct Agent {
  RqlConfig cfg;
  FlowShape actor_shape;   // actor MLP: [s, x, t] -> A
  MlpShape value_shape;    // one value member: [s, x, f] -> 1, K members
  std::vector<real> actor, value, target_actor, target_value;  // parameter blocks
  std::vector<real> actor_m, actor_v, value_m, value_v;        // Adam moments
  long step = 0;           // updates done
  // rng_batch: batch sampling; rng_update: update noise (SPEC 4); rng_eval:
  // for callers that sample actions and want the stream saved with the
  // agent (`rql train` instead seeds one stream per evaluation, so that
  // evaluating never changes the agent).
  Rng rng_batch, rng_update, rng_eval;
};

// The four parameter blocks by index, in the order of SPEC 8:
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

// SPEC 4: the noise of one update.
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

// Everything one update writes besides the agent. Public so that the golden
// runner and tests can read every intermediate of SPEC 8.
struct UpdateWork {
  int B = 0, A = 0, K = 0, vin = 0;  // vin = obs_dim + A + 1
  std::vector<real> a;            // (B, A)   the chunk concat(act[0..h-1])
  std::vector<real> rt;           // (h+1, B) shifted terminals
  std::vector<real> R, valid, next_q, target;  // (B)
  std::vector<real> next_qk;      // (K, B)   target ensemble at (s', x0', 0)
  std::vector<real> reversed_x;   // (B, A)
  std::vector<real> reversed_f;   // (B)
  std::vector<real> q, dq;        // (K, B)   critic at (s, x^f, f)
  std::vector<real> x_t, p, dp;   // (B, A)
  std::vector<real> x_next;       // (B, A)   x+ = x_t + p step
  std::vector<real> t_next, step; // (B)
  std::vector<real> q_ahead, dq_ahead;  // (K, B)
  std::vector<real> value_in;     // (B, vin) concat[s, x, f]
  std::vector<real> dvalue_in;    // (B, vin)
  std::vector<real> value_cache;  // K forward caches
  std::vector<real> value_scratch;
  std::vector<real> flow_work;    // actor working memory
  std::vector<real> dactor, dvalue;  // gradients, layouts of actor / value
};
void update_work_alloc(UpdateWork& w, const Agent& agent);

struct UpdateMetrics {
  double total_loss, actor_loss, bc_loss, q_loss, critic_loss;  // actor_loss = q_loss + alpha bc_loss
  double q_mean, q_max, q_min;                   // critic Q(s, x^f, f)
  double q_ahead_mean, q_ahead_max, q_ahead_min; // Q(s, x+, t+)
  double grad_max, grad_min, grad_norm;          // over all online gradients
  double valid_frac;
  int exact_failures;                            // rows the exact reversal did not converge on
};

// One RQL update (SPEC 5). `batch` and `noise` must match agent.cfg (sizes
// are not re-checked: this is the hot path). Allocation-free.
UpdateMetrics rql_update(Agent& agent, const Batch& batch, const UpdateNoise& noise, UpdateWork& w);

// Euler-sample actions from the TARGET actor (the EMA policy, SPEC 2):
// obs (B, obs_dim), x0 (B, A) -> actions (B, A) in [-1, 1]; work sized by
// flow_work_size(agent.actor_shape, B).
void agent_act(const Agent& agent, const real* obs, const real* x0, int B, real* actions, real* work);

}  // namespace rql
