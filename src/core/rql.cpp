// rql.cpp: agent creation, update noise and the RQL update (rql.h; docs/spec.md §4,
// 5). rql_update is the sequence of named steps below; each step's comment
// gives its equation and the shapes it reads and writes (B batch, A = h
// action_dim, K ensemble members, D obs_dim, vin = D + A + 1).
#include "rql.h"

#include <cmath>
#include <cstring>

#include "critic.h"
#include "sum.h"
#include "value.h"

namespace rql {

std::string agent_init(Agent& agent, const RqlConfig& cfg) {
  const std::string err = config_validate(cfg);
  if (!err.empty()) return err;
  Agent g;
  g.cfg = cfg;
  const int A = cfg.h * cfg.action_dim, in = cfg.obs_dim + A + 1;
  if (!flow_shape_make(&g.actor_shape, cfg.obs_dim, A, cfg.actor_hidden_dims.data(),
                       static_cast<int>(cfg.actor_hidden_dims.size()), cfg.actor_layer_norm, cfg.flow_steps))
    return "actor_hidden_dims: invalid network shape";
  if (!mlp_shape_make(&g.value_shape, in, cfg.value_hidden_dims.data(),
                      static_cast<int>(cfg.value_hidden_dims.size()), 1, cfg.layer_norm, cfg.ensemble_ct, true))
    return "value_hidden_dims: invalid network shape";
  const long na = mlp_param_count(g.actor_shape.net), nv = mlp_param_count(g.value_shape);
  g.actor.assign(na, 0);
  g.value.assign(nv, 0);
  Rng init = rng_make(cfg.seed, kStreamInit);
  mlp_init(g.actor_shape.net, g.actor.data(), init);
  mlp_init(g.value_shape, g.value.data(), init);
  g.target_actor = g.actor;  // targets start as copies (docs/spec.md §1)
  g.target_value = g.value;
  g.actor_m.assign(na, 0);
  g.actor_v.assign(na, 0);
  g.value_m.assign(nv, 0);
  g.value_v.assign(nv, 0);
  g.step = 0;
  g.rng_batch = rng_make(cfg.seed, kStreamBatch);
  g.rng_update = rng_make(cfg.seed, kStreamUpdate);
  g.rng_eval = rng_make(cfg.seed, kStreamEval);
  agent = std::move(g);
  return "";
}

void agent_set_kernels(Agent& agent, const Kernels* k) {
  agent.actor_shape.net.kernels = k;
  agent.value_shape.kernels = k;
}

const char* agent_net_name(int net) {
  static const char* const kNames[kAgentNets] = {"actor", "value", "target_actor", "target_value"};
  return kNames[net];
}

const MlpShape& agent_net_shape(const Agent& agent, int net) {
  return (net % 2 == 0) ? agent.actor_shape.net : agent.value_shape;
}

const std::vector<real>& agent_net_block(const Agent& agent, int net) {
  const std::vector<real>* const blocks[kAgentNets] = {&agent.actor, &agent.value, &agent.target_actor,
                                                        &agent.target_value};
  return *blocks[net];
}

std::vector<real>& agent_net_block(Agent& agent, int net) {
  return const_cast<std::vector<real>&>(agent_net_block(static_cast<const Agent&>(agent), net));
}

void update_noise_alloc(UpdateNoise& n, const RqlConfig& cfg) {
  const long B = cfg.batch_size, A = static_cast<long>(cfg.h) * cfg.action_dim;
  n.next_x0.assign(B * A, 0);
  n.d.assign(B, 0);
  n.bc_x0.assign(B * A, 0);
  n.bc_t.assign(B, 0);
}

void update_noise_sample(UpdateNoise& n, const RqlConfig& cfg, Rng& rng) {
  const int B = cfg.batch_size, F = cfg.flow_steps;
  for (real& x : n.next_x0) x = rng_normal(rng);
  for (int b = 0; b < B / 2; ++b) n.d[b] = rng_uniform(rng);
  for (int b = B / 2; b < B; ++b) {
    const uint64_t k = rng_below(rng, static_cast<uint64_t>(F) + 1);  // k in {0..F}
    n.d[b] = static_cast<real>(k) / static_cast<real>(F);
  }
  for (real& x : n.bc_x0) x = rng_normal(rng);
  for (real& t : n.bc_t) t = rng_uniform(rng);
}

// ---- Working memory: one arena, carved in the order of the fields ----------

namespace {

// The views of UpdateWork in arena order (the copy constructor re-points
// them all through this list).
RealSpan UpdateWork::* const kWorkViews[] = {
    &UpdateWork::a,        &UpdateWork::rt,        &UpdateWork::R,          &UpdateWork::valid,
    &UpdateWork::next_q,   &UpdateWork::target,    &UpdateWork::next_qk,    &UpdateWork::reversed_x,
    &UpdateWork::reversed_f, &UpdateWork::q,       &UpdateWork::dq,         &UpdateWork::x_t,
    &UpdateWork::p,        &UpdateWork::dp,        &UpdateWork::x_next,     &UpdateWork::t_next,
    &UpdateWork::step,     &UpdateWork::q_ahead,   &UpdateWork::dq_ahead,   &UpdateWork::value_in,
    &UpdateWork::dvalue_in, &UpdateWork::value_cache, &UpdateWork::value_scratch, &UpdateWork::flow_work,
    &UpdateWork::dactor,   &UpdateWork::dvalue};
constexpr int kWorkViewCount = static_cast<int>(sizeof kWorkViews / sizeof kWorkViews[0]);

// Reals of each view, in the order of kWorkViews.
void work_sizes(const Agent& agent, long* n) {
  const RqlConfig& c = agent.cfg;
  const long B = c.batch_size, A = static_cast<long>(c.h) * c.action_dim, K = c.ensemble_ct;
  const long vin = c.obs_dim + A + 1, BA = B * A, KB = K * B;
  const long sizes[kWorkViewCount] = {
      BA, (c.h + 1) * B, B, B,
      B, B, KB, BA,
      B, KB, KB, BA,
      BA, BA, BA, B,
      B, KB, KB, B * vin,
      B * vin, value_cache_size(agent.value_shape, c.batch_size), mlp_scratch_size(agent.value_shape, c.batch_size),
      flow_work_size(agent.actor_shape, c.batch_size),
      static_cast<long>(agent.actor.size()), static_cast<long>(agent.value.size())};
  for (int i = 0; i < kWorkViewCount; ++i) n[i] = sizes[i];
}

long align_up(long n) { return (n + kWorkAlign - 1) / kWorkAlign * kWorkAlign; }

}  // namespace

long update_work_size(const Agent& agent) {
  long n[kWorkViewCount], total = 0;
  work_sizes(agent, n);
  for (int i = 0; i < kWorkViewCount; ++i) total += align_up(n[i]);
  return total;
}

void update_work_init(UpdateWork& w, const Agent& agent, real* arena) {
  const RqlConfig& c = agent.cfg;
  w.B = c.batch_size;
  w.A = c.h * c.action_dim;
  w.K = c.ensemble_ct;
  w.vin = c.obs_dim + w.A + 1;
  long n[kWorkViewCount], offset = 0;
  work_sizes(agent, n);
  for (int i = 0; i < kWorkViewCount; ++i) {
    w.*kWorkViews[i] = RealSpan{arena + offset, n[i]};
    offset += align_up(n[i]);
  }
  std::memset(arena, 0, sizeof(real) * static_cast<size_t>(offset));
}

void update_work_alloc(UpdateWork& w, const Agent& agent) {
  UpdateWork fresh;
  fresh.owned.assign(static_cast<size_t>(update_work_size(agent)), 0);
  update_work_init(fresh, agent, fresh.owned.data());
  w = std::move(fresh);
}

UpdateWork::UpdateWork(const UpdateWork& other) { *this = other; }

UpdateWork& UpdateWork::operator=(const UpdateWork& other) {
  if (this == &other) return *this;
  B = other.B;
  A = other.A;
  K = other.K;
  vin = other.vin;
  owned = other.owned;
  for (RealSpan UpdateWork::* v : kWorkViews) {
    const RealSpan& o = other.*v;
    // Views into the other's own arena move to ours; views into caller
    // memory stay shared with the other (the caller owns that memory).
    this->*v = other.owned.empty() ? o : RealSpan{owned.data() + (o.ptr - other.owned.data()), o.n};
  }
  return *this;
}

// ---- The update, step by step ----------------------------------------------

namespace {

// The config's doubles as the reals the update computes with, each rounded
// once here rather than in every loop (so that nothing below does double
// arithmetic).
struct UpdateCoefficients {
  real discount, rho, alpha, q_weight;
  ExpectileWeights expectile;
  PolyakCoefficients value_target;  // rate tau
  PolyakCoefficients actor_target;  // rate 1 - ema
};

UpdateCoefficients update_coefficients(const RqlConfig& c, const UpdateOptions& o) {
  UpdateCoefficients k;
  k.discount = static_cast<real>(c.discount);
  k.rho = static_cast<real>(c.rho);
  k.alpha = static_cast<real>(c.alpha);
  k.q_weight = o.q_weight;
  k.expectile = expectile_weights(c.expectile);
  k.value_target = polyak_coefficients(c.tau);
  k.actor_target = polyak_coefficients(1.0 - c.ema);
  return k;
}

// a[b, i*adim + j] = actions[i, b, j]: the chunk concat(act[0], .., act[h-1]).
// actions (h+1, B, adim) -> a (B, A)
void chunk_actions(real* a, const real* actions, int h, int B, int adim) {
  const int A = h * adim;
  for (int i = 0; i < h; ++i)
    for (int b = 0; b < B; ++b)
      std::memcpy(&a[static_cast<long>(b) * A + i * adim], &actions[(static_cast<long>(i) * B + b) * adim],
                  sizeof(real) * adim);
}

// Step 1. Flow reversal (no gradient): x^f = reverse_theta(s, a, d), f = 1 - d.
// s (B, D), a (B, A), d (B) -> w.reversed_x (B, A), w.reversed_f (B).
// Returns the exact reversal's failed rows (0 for euler).
int reversal_step(const Agent& ag, const real* s, const UpdateNoise& noise, UpdateWork& w) {
  const ExactReversalConfig exact;
  return flow_reverse(ag.actor_shape, ag.cfg.reversal, exact, ag.actor.data(), s, w.a.data(), noise.d.data(), w.B,
                      w.reversed_x.data(), w.reversed_f.data(), w.flow_work.data());
}

// Step 2. Collapsed-horizon TD target:
//   y = R + gamma^h (mean_K - rho std_K) Qbar(s', x0', 0) mask[h-1]
// with R = sum_i gamma^i r_i (1 - rt_i), valid = 1(sum rt <= 1).
// batch (h+1, B, ..), s' (B, D), x0' (B, A) -> w.rt (h+1, B), w.R, w.valid,
// w.next_q, w.target (B), w.next_qk (K, B).
void td_target_step(const Agent& ag, const UpdateCoefficients& k, const Batch& batch, const real* s_next,
                    const UpdateNoise& noise, UpdateWork& w) {
  const int B = w.B, h = ag.cfg.h;
  shifted_terminals(w.rt.data(), batch.terminals.data(), h, B);
  chunk_reward(w.R.data(), batch.rewards.data(), w.rt.data(), h, B, k.discount);
  chunk_valid(w.valid.data(), w.rt.data(), h, B);
  flow_input(w.value_in.data(), s_next, noise.next_x0.data(), nullptr, B, ag.cfg.obs_dim, w.A);
  value_forward(ag.value_shape, ag.target_value.data(), w.value_in.data(), B, w.value_cache.data(),
                w.next_qk.data());
  ensemble_pessimistic(w.next_q.data(), w.next_qk.data(), w.K, B, k.rho);
  td_target(w.target.data(), w.R.data(), w.next_q.data(), batch.masks.data() + static_cast<long>(h - 1) * B, B,
            k.discount, h);
}

// Step 3. Critic loss and its gradient into the value nets:
//   q = Q_phi(s, x^f, f),  u = y - q,  L_critic = mean_{K,B} |tau - 1(u<0)| u^2 valid
//   dvalue <- dL_critic/dphi
// s (B, D), x^f (B, A), f (B), y (B) -> w.q, w.dq (K, B), w.dvalue.
real critic_step(const Agent& ag, const UpdateCoefficients& k, const real* s, UpdateWork& w) {
  const int B = w.B, K = w.K;
  flow_input(w.value_in.data(), s, w.reversed_x.data(), w.reversed_f.data(), B, ag.cfg.obs_dim, w.A);
  value_forward(ag.value_shape, ag.value.data(), w.value_in.data(), B, w.value_cache.data(), w.q.data());
  const real loss = critic_loss(w.q.data(), w.target.data(), w.valid.data(), K, B, k.expectile);
  std::memset(w.dq.data(), 0, sizeof(real) * w.dq.size());
  critic_loss_backward(w.dq.data(), w.q.data(), w.target.data(), w.valid.data(), K, B, k.expectile);
  value_backward(ag.value_shape, ag.value.data(), w.dvalue.data(), w.value_in.data(), B, w.value_cache.data(),
                 w.dq.data(), nullptr, w.value_scratch.data());
  return loss;
}

// Step 4a. Flow-matching loss:
//   x_t = (1 - t) x0 + t a,  p = v_theta(s, x_t, t),  L_bc = mean_{B,A} (p - (a - x0))^2 m
// s (B, D), x0 (B, A), t (B) -> w.x_t, w.p (B, A); the actor's activations
// stay in w.flow_work for actor_backward_step.
real flow_matching_step(const Agent& ag, const real* s, const UpdateNoise& noise, UpdateWork& w) {
  const int B = w.B, A = w.A;
  for (int b = 0; b < B; ++b) {
    const real t = noise.bc_t[b];
    for (int j = 0; j < A; ++j) {
      const long i = static_cast<long>(b) * A + j;
      w.x_t[i] = (real(1) - t) * noise.bc_x0[i] + t * w.a[i];
    }
  }
  flow_velocity(ag.actor_shape, ag.actor.data(), s, w.x_t.data(), noise.bc_t.data(), B, w.p.data(),
                w.flow_work.data());
  return flow_bc_loss(w.p.data(), w.a.data(), noise.bc_x0.data(), w.rt.data(), B, A, ag.cfg.action_dim);
}

// Step 4b. The one-step-ahead Q term:
//   step = min(1/F, 1 - t),  t+ = min(t + 1/F, 1),  x+ = x_t + p step
//   L_q = -mean_B(mean_K Q_phi(s, x+, t+) valid)
// s (B, D), x_t, p (B, A), t (B) -> w.step, w.t_next (B), w.x_next (B, A),
// w.value_in (B, vin) and the value caches (kept for the backward),
// w.q_ahead (K, B).
real q_ahead_step(const Agent& ag, const real* s, const UpdateNoise& noise, UpdateWork& w) {
  const int B = w.B, A = w.A, K = w.K;
  const real inv_f = real(1) / static_cast<real>(ag.cfg.flow_steps);
  for (int b = 0; b < B; ++b) {
    const real t = noise.bc_t[b];
    w.step[b] = std::fmin(inv_f, real(1) - t);
    w.t_next[b] = std::fmin(t + inv_f, real(1));
    for (int j = 0; j < A; ++j) {
      const long i = static_cast<long>(b) * A + j;
      w.x_next[i] = w.x_t[i] + w.p[i] * w.step[b];
    }
  }
  flow_input(w.value_in.data(), s, w.x_next.data(), w.t_next.data(), B, ag.cfg.obs_dim, A);
  value_forward(ag.value_shape, ag.value.data(), w.value_in.data(), B, w.value_cache.data(), w.q_ahead.data());
  CompensatedSum sum;  // K B terms (sum.h)
  for (int k = 0; k < K; ++k)
    for (int b = 0; b < B; ++b) csum_add(sum, w.q_ahead[static_cast<long>(k) * B + b] * w.valid[b]);
  return -csum_value(sum) / static_cast<real>(static_cast<long>(K) * B);
}

// Step 4c. The input-only backward of the Q term: the stop-gradient.
//   dq_ahead[k, b] = q_weight dL_q/dq_ahead = -q_weight valid[b] / (K B)
//   dx+ = sum_k dq_ahead[k] dQ_k/dx+   (value_backward_input: phi gets NO gradient)
//   dp = dx+ step                      (x+ = x_t + p step; x_t does not depend on theta)
// -> w.dq_ahead (K, B), w.dvalue_in (B, vin), w.dp (B, A) (overwritten).
// q_weight 0 (flow BC) skips the backward: dp = 0.
void q_ahead_backward_input(const Agent& ag, const UpdateCoefficients& k, UpdateWork& w) {
  const int B = w.B, A = w.A, K = w.K, D = ag.cfg.obs_dim;
  if (k.q_weight == 0) {
    std::memset(w.dp.data(), 0, sizeof(real) * w.dp.size());
    return;
  }
  const real kb = static_cast<real>(static_cast<long>(K) * B);
  for (int m = 0; m < K; ++m)
    for (int b = 0; b < B; ++b) w.dq_ahead[static_cast<long>(m) * B + b] = -k.q_weight * w.valid[b] / kb;
  std::memset(w.dvalue_in.data(), 0, sizeof(real) * w.dvalue_in.size());
  value_backward_input(ag.value_shape, ag.value.data(), w.value_in.data(), B, w.value_cache.data(),
                       w.dq_ahead.data(), w.dvalue_in.data(), w.value_scratch.data());
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < A; ++j)
      w.dp[static_cast<long>(b) * A + j] = w.dvalue_in[static_cast<long>(b) * w.vin + D + j] * w.step[b];
}

// Step 4d. The actor's gradient:
//   dp <- alpha dL_bc/dp = alpha 2 (p - (a - x0)) m / (B A)
//   dactor <- dp dp/dtheta            (flow_velocity_backward over step 4a's activations)
void actor_backward_step(const Agent& ag, const UpdateCoefficients& k, const UpdateNoise& noise, UpdateWork& w) {
  flow_bc_loss_backward(w.dp.data(), w.p.data(), w.a.data(), noise.bc_x0.data(), w.rt.data(), w.B, w.A,
                        ag.cfg.action_dim, k.alpha);
  flow_velocity_backward(ag.actor_shape, ag.actor.data(), w.dactor.data(), w.B, w.dp.data(), w.flow_work.data());
}

// Step 5. Target updates from the PRE-step parameters (before Adam):
//   phibar <- tau phi + (1 - tau) phibar,  thetabar <- (1 - ema) theta + ema thetabar
// (Through the agent's kernel set, kernels.h: the fast set splits these
// element-wise loops over its threads.)
void target_update_step(Agent& ag, const UpdateCoefficients& k) {
  const Kernels& kern = ag.value_shape.kernels ? *ag.value_shape.kernels : kernels_reference();
  kern.polyak_update(kern.ctx, ag.target_value.data(), ag.value.data(), static_cast<long>(ag.value.size()),
                     k.value_target);
  kern.polyak_update(kern.ctx, ag.target_actor.data(), ag.actor.data(), static_cast<long>(ag.actor.size()),
                     k.actor_target);
}

// Step 6. One Adam step (optax form, adam.h) on theta and on phi, t = step + 1.
void adam_update_step(Agent& ag, const UpdateWork& w) {
  ag.step += 1;
  AdamConfig adam;
  adam.lr = ag.cfg.lr;
  const Kernels& kern = ag.value_shape.kernels ? *ag.value_shape.kernels : kernels_reference();
  kern.adam_step(kern.ctx, ag.actor.data(), ag.actor_m.data(), ag.actor_v.data(), w.dactor.data(),
                 static_cast<long>(ag.actor.size()), ag.step, adam);
  kern.adam_step(kern.ctx, ag.value.data(), ag.value_m.data(), ag.value_v.data(), w.dvalue.data(),
                 static_cast<long>(ag.value.size()), ag.step, adam);
}

// mean, max, min of x (n), n >= 1; the mean by a compensated sum (sum.h).
void stats(const RealSpan& x, double* mean, double* mx, double* mn) {
  CompensatedSum s;
  real hi = x[0], lo = x[0];
  for (long i = 0; i < x.n; ++i) {
    csum_add(s, x[i]);
    hi = x[i] > hi ? x[i] : hi;
    lo = x[i] < lo ? x[i] : lo;
  }
  *mean = static_cast<double>(csum_value(s) / static_cast<real>(x.n));
  *mx = static_cast<double>(hi);
  *mn = static_cast<double>(lo);
}

// Step 7. Metrics as the authors log them (besides the losses): Q statistics,
// the valid fraction and, when asked, max / min / L2 norm over every online
// gradient (sqrt of a compensated sum of squares: up to millions of terms).
void metrics_step(const UpdateWork& w, bool grad_metrics, UpdateMetrics* m) {
  stats(w.q, &m->q_mean, &m->q_max, &m->q_min);
  stats(w.q_ahead, &m->q_ahead_mean, &m->q_ahead_max, &m->q_ahead_min);
  real nv = 0;  // a count of ones: exact in real up to 2^24 (float)
  for (int b = 0; b < w.B; ++b) nv += w.valid[b];
  m->valid_frac = static_cast<double>(nv / static_cast<real>(w.B));
  m->grad_max = m->grad_min = m->grad_norm = 0;
  if (!grad_metrics) return;
  real gmax = w.dactor[0], gmin = gmax;
  CompensatedSum sq;
  for (const RealSpan* g : {&w.dactor, &w.dvalue})
    for (real x : *g) {
      gmax = x > gmax ? x : gmax;
      gmin = x < gmin ? x : gmin;
      csum_add(sq, x * x);
    }
  m->grad_max = static_cast<double>(gmax);
  m->grad_min = static_cast<double>(gmin);
  m->grad_norm = static_cast<double>(std::sqrt(csum_value(sq)));
}

}  // namespace

UpdateMetrics rql_update(Agent& ag, const Batch& batch, const UpdateNoise& noise, UpdateWork& w,
                         const UpdateOptions& options) {
  const RqlConfig& c = ag.cfg;
  const UpdateCoefficients k = update_coefficients(c, options);
  const long obs_plane = static_cast<long>(w.B) * c.obs_dim;
  const real* s = batch.observations.data();                                 // obs[0] (B, D)
  const real* s_next = batch.observations.data() + c.h * obs_plane;          // obs[h] (B, D)
  chunk_actions(w.a.data(), batch.actions.data(), c.h, w.B, c.action_dim);
  std::memset(w.dactor.data(), 0, sizeof(real) * w.dactor.size());
  std::memset(w.dvalue.data(), 0, sizeof(real) * w.dvalue.size());

  UpdateMetrics m{};
  m.exact_failures = reversal_step(ag, s, noise, w);                  // 1
  td_target_step(ag, k, batch, s_next, noise, w);                      // 2
  const real l_critic = critic_step(ag, k, s, w);                      // 3
  const real l_bc = flow_matching_step(ag, s, noise, w);               // 4a
  const real l_q = q_ahead_step(ag, s, noise, w);                      // 4b
  q_ahead_backward_input(ag, k, w);                                    // 4c
  actor_backward_step(ag, k, noise, w);                                // 4d
  target_update_step(ag, k);                                           // 5
  adam_update_step(ag, w);                                             // 6
  metrics_step(w, options.grad_metrics, &m);                           // 7

  m.actor_loss = static_cast<double>(l_q);
  m.bc_loss = static_cast<double>(l_bc);
  m.critic_loss = static_cast<double>(l_critic);
  m.total_loss = static_cast<double>(l_q + k.alpha * l_bc + l_critic);
  return m;
}

void agent_act(const Agent& agent, const real* obs, const real* x0, int B, real* actions, real* work) {
  flow_sample(agent.actor_shape, agent.target_actor.data(), obs, x0, B, actions, work);
}

}  // namespace rql
