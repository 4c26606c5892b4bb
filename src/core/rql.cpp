// rql.cpp: agent creation, update noise and the RQL update (rql.h; SPEC 4, 5).
#include "rql.h"

#include <cmath>
#include <cstring>

#include "critic.h"
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
  g.target_actor = g.actor;  // targets start as copies (SPEC 1)
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
  for (real& x : n.next_x0) x = static_cast<real>(rng_normal(rng));
  for (int b = 0; b < B / 2; ++b) n.d[b] = static_cast<real>(rng_uniform(rng));
  for (int b = B / 2; b < B; ++b) {
    const uint64_t k = rng_below(rng, static_cast<uint64_t>(F) + 1);  // k in {0..F}
    n.d[b] = static_cast<real>(k) / static_cast<real>(F);
  }
  for (real& x : n.bc_x0) x = static_cast<real>(rng_normal(rng));
  for (real& t : n.bc_t) t = static_cast<real>(rng_uniform(rng));
}

void update_work_alloc(UpdateWork& w, const Agent& agent) {
  const RqlConfig& c = agent.cfg;
  const int B = c.batch_size, A = c.h * c.action_dim, K = c.ensemble_ct;
  w.B = B;
  w.A = A;
  w.K = K;
  w.vin = c.obs_dim + A + 1;
  const long BA = static_cast<long>(B) * A, KB = static_cast<long>(K) * B;
  w.a.assign(BA, 0);
  w.rt.assign(static_cast<long>(c.h + 1) * B, 0);
  for (auto* v : {&w.R, &w.valid, &w.next_q, &w.target, &w.reversed_f, &w.t_next, &w.step}) v->assign(B, 0);
  for (auto* v : {&w.next_qk, &w.q, &w.dq, &w.q_ahead, &w.dq_ahead}) v->assign(KB, 0);
  for (auto* v : {&w.reversed_x, &w.x_t, &w.p, &w.dp, &w.x_next}) v->assign(BA, 0);
  w.value_in.assign(static_cast<long>(B) * w.vin, 0);
  w.dvalue_in.assign(static_cast<long>(B) * w.vin, 0);
  w.value_cache.assign(value_cache_size(agent.value_shape, B), 0);
  w.value_scratch.assign(mlp_scratch_size(agent.value_shape, B), 0);
  w.flow_work.assign(flow_work_size(agent.actor_shape, B), 0);
  w.dactor.assign(agent.actor.size(), 0);
  w.dvalue.assign(agent.value.size(), 0);
}

namespace {

void stats(const real* x, long n, double* mean, double* mx, double* mn) {
  double s = 0, hi = static_cast<double>(x[0]), lo = hi;
  for (long i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    s += v;
    hi = v > hi ? v : hi;
    lo = v < lo ? v : lo;
  }
  *mean = s / static_cast<double>(n);
  *mx = hi;
  *mn = lo;
}

}  // namespace

UpdateMetrics rql_update(Agent& ag, const Batch& batch, const UpdateNoise& noise, UpdateWork& w) {
  const RqlConfig& c = ag.cfg;
  const int B = w.B, A = w.A, K = w.K, D = c.obs_dim, adim = c.action_dim, h = c.h, F = c.flow_steps;
  const real* s = batch.observations.data();                                       // obs[0] (B, D)
  const real* s_next = batch.observations.data() + static_cast<long>(h) * B * D;   // obs[h] (B, D)
  UpdateMetrics m{};

  // a = concat(act[0], .., act[h-1]):  a[b, i*adim + j] = actions[i, b, j]
  for (int i = 0; i < h; ++i)
    for (int b = 0; b < B; ++b)
      std::memcpy(&w.a[static_cast<long>(b) * A + i * adim], &batch.actions[(static_cast<long>(i) * B + b) * adim],
                  sizeof(real) * adim);
  std::memset(w.dactor.data(), 0, sizeof(real) * w.dactor.size());
  std::memset(w.dvalue.data(), 0, sizeof(real) * w.dvalue.size());

  // 1. Flow reversal (no gradient): x^f, f = 1 - d.
  const ExactReversalConfig exact;
  m.exact_failures = flow_reverse(ag.actor_shape, c.reversal, exact, ag.actor.data(), s, w.a.data(), noise.d.data(),
                                  B, w.reversed_x.data(), w.reversed_f.data(), w.flow_work.data());

  // 2. Collapsed-horizon TD target, from the target value at (s', x0', 0).
  shifted_terminals(w.rt.data(), batch.terminals.data(), h, B);
  chunk_reward(w.R.data(), batch.rewards.data(), w.rt.data(), h, B, c.discount);
  chunk_valid(w.valid.data(), w.rt.data(), h, B);
  flow_input(w.value_in.data(), s_next, noise.next_x0.data(), nullptr, B, D, A);
  value_forward(ag.value_shape, ag.target_value.data(), w.value_in.data(), B, w.value_cache.data(),
                w.next_qk.data());
  ensemble_pessimistic(w.next_q.data(), w.next_qk.data(), K, B, c.rho);
  td_target(w.target.data(), w.R.data(), w.next_q.data(), batch.masks.data() + static_cast<long>(h - 1) * B, B,
            c.discount, h);

  // 3. Critic: q = Q(s, x^f, f), expectile loss, gradient into dvalue.
  flow_input(w.value_in.data(), s, w.reversed_x.data(), w.reversed_f.data(), B, D, A);
  value_forward(ag.value_shape, ag.value.data(), w.value_in.data(), B, w.value_cache.data(), w.q.data());
  m.critic_loss = critic_loss(w.q.data(), w.target.data(), w.valid.data(), K, B, c.expectile);
  std::memset(w.dq.data(), 0, sizeof(real) * w.dq.size());
  critic_loss_backward(w.dq.data(), w.q.data(), w.target.data(), w.valid.data(), K, B, c.expectile);
  value_backward(ag.value_shape, ag.value.data(), w.dvalue.data(), w.value_in.data(), B, w.value_cache.data(),
                 w.dq.data(), nullptr, w.value_scratch.data());

  // 4. Actor: p = v(s, x_t, t) with x_t = (1 - t) x0 + t a.
  for (int b = 0; b < B; ++b) {
    const real t = noise.bc_t[b];
    for (int j = 0; j < A; ++j) {
      const long k = static_cast<long>(b) * A + j;
      w.x_t[k] = (real(1) - t) * noise.bc_x0[k] + t * w.a[k];
    }
  }
  flow_velocity(ag.actor_shape, ag.actor.data(), s, w.x_t.data(), noise.bc_t.data(), B, w.p.data(),
                w.flow_work.data());  // the activations stay in flow_work for the backward below
  m.bc_loss = flow_bc_loss(w.p.data(), w.a.data(), noise.bc_x0.data(), w.rt.data(), B, A, adim);

  // One Euler step ahead: x+ = x_t + p min(1/F, 1 - t), t+ = min(t + 1/F, 1).
  const real inv_f = real(1) / static_cast<real>(F);
  for (int b = 0; b < B; ++b) {
    const real t = noise.bc_t[b];
    w.step[b] = std::fmin(inv_f, real(1) - t);
    w.t_next[b] = std::fmin(t + inv_f, real(1));
    for (int j = 0; j < A; ++j) {
      const long k = static_cast<long>(b) * A + j;
      w.x_next[k] = w.x_t[k] + w.p[k] * w.step[b];
    }
  }
  flow_input(w.value_in.data(), s, w.x_next.data(), w.t_next.data(), B, D, A);
  value_forward(ag.value_shape, ag.value.data(), w.value_in.data(), B, w.value_cache.data(), w.q_ahead.data());
  // L_q = -mean_B(mean_K q_ahead valid);  dL_q/dq_ahead[k, b] = -valid[b] / (K B)
  double lq = 0;
  for (int k = 0; k < K; ++k)
    for (int b = 0; b < B; ++b) {
      const long i = static_cast<long>(k) * B + b;
      lq += static_cast<double>(w.q_ahead[i] * w.valid[b]);
      // bc_only (the flow-BC baseline, not SPEC): L_q is logged, not trained.
      w.dq_ahead[i] = c.bc_only ? real(0) : -w.valid[b] / static_cast<real>(static_cast<long>(K) * B);
    }
  m.q_loss = -lq / (static_cast<double>(K) * B);
  // Stop-gradient: dQ/dx+ through the value net, with no value gradient.
  std::memset(w.dvalue_in.data(), 0, sizeof(real) * w.dvalue_in.size());
  value_backward_input(ag.value_shape, ag.value.data(), w.value_in.data(), B, w.value_cache.data(),
                       w.dq_ahead.data(), w.dvalue_in.data(), w.value_scratch.data());
  // dp = dL_q/dx+ * step + alpha dL_bc/dp
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < A; ++j)
      w.dp[static_cast<long>(b) * A + j] = w.dvalue_in[static_cast<long>(b) * w.vin + D + j] * w.step[b];
  flow_bc_loss_backward(w.dp.data(), w.p.data(), w.a.data(), noise.bc_x0.data(), w.rt.data(), B, A, adim,
                        static_cast<real>(c.alpha));
  flow_velocity_backward(ag.actor_shape, ag.actor.data(), w.dactor.data(), B, w.dp.data(), w.flow_work.data());

  m.actor_loss = m.q_loss + c.alpha * m.bc_loss;
  m.total_loss = m.actor_loss + m.critic_loss;

  // 5. Targets from the pre-step parameters (before Adam touches them).
  polyak_update(ag.target_value.data(), ag.value.data(), static_cast<long>(ag.value.size()), c.tau);
  polyak_update(ag.target_actor.data(), ag.actor.data(), static_cast<long>(ag.actor.size()), 1.0 - c.ema);

  // 6. One Adam step on all online parameters.
  ag.step += 1;
  AdamConfig adam;
  adam.lr = c.lr;
  adam_step(ag.actor.data(), ag.actor_m.data(), ag.actor_v.data(), w.dactor.data(),
            static_cast<long>(ag.actor.size()), ag.step, adam);
  adam_step(ag.value.data(), ag.value_m.data(), ag.value_v.data(), w.dvalue.data(),
            static_cast<long>(ag.value.size()), ag.step, adam);

  // Metrics as the authors log them.
  stats(w.q.data(), static_cast<long>(K) * B, &m.q_mean, &m.q_max, &m.q_min);
  stats(w.q_ahead.data(), static_cast<long>(K) * B, &m.q_ahead_mean, &m.q_ahead_max, &m.q_ahead_min);
  double gmax = static_cast<double>(w.dactor[0]), gmin = gmax, gsq = 0;
  for (const std::vector<real>* g : {&w.dactor, &w.dvalue})
    for (real r : *g) {
      const double x = static_cast<double>(r);
      gmax = x > gmax ? x : gmax;
      gmin = x < gmin ? x : gmin;
      gsq += x * x;
    }
  m.grad_max = gmax;
  m.grad_min = gmin;
  m.grad_norm = std::sqrt(gsq);
  double nv = 0;
  for (int b = 0; b < B; ++b) nv += static_cast<double>(w.valid[b]);
  m.valid_frac = nv / B;
  return m;
}

void agent_act(const Agent& agent, const real* obs, const real* x0, int B, real* actions, real* work) {
  flow_sample(agent.actor_shape, agent.target_actor.data(), obs, x0, B, actions, work);
}

}  // namespace rql
