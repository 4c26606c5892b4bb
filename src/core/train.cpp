// train.cpp: the training loop's state and step (train.h).
#include "train.h"

namespace rql {

std::string trainer_init_with_agent(Trainer& t, Agent agent, Dataset data) {
  const RqlConfig c = agent.cfg;  // a copy: `agent` is moved below
  if (c.obs_dim != data.obs_dim || c.action_dim != data.action_dim)
    return "the dataset has obs_dim " + std::to_string(data.obs_dim) + ", action_dim " +
           std::to_string(data.action_dim) + " but the config says obs_dim " + std::to_string(c.obs_dim) +
           ", action_dim " + std::to_string(c.action_dim);
  const std::string err = batch_sampler_make(t.sampler, data);
  if (!err.empty()) return err;
  t.agent = std::move(agent);
  t.data = std::move(data);
  batch_alloc(t.batch, c.h, c.batch_size, c.obs_dim, c.action_dim);
  update_noise_alloc(t.noise, c);
  update_work_alloc(t.work, t.agent);
  return "";
}

std::string trainer_init(Trainer& t, const RqlConfig& cfg, Dataset data) {
  Agent a;
  const std::string err = agent_init(a, cfg);
  if (!err.empty()) return err;
  return trainer_init_with_agent(t, std::move(a), std::move(data));
}

UpdateMetrics trainer_step(Trainer& t, bool grad_metrics) {
  batch_sample(t.data, t.sampler, t.agent.rng_batch, t.batch);
  update_noise_sample(t.noise, t.agent.cfg, t.agent.rng_update);
  UpdateOptions options;
  options.q_weight = t.agent.cfg.bc_only ? real(0) : real(1);
  options.grad_metrics = grad_metrics;
  return rql_update(t.agent, t.batch, t.noise, t.work, options);
}

}  // namespace rql
