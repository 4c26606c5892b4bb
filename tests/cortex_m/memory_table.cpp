// memory_table.cpp: the memory table of docs/porting.md, computed by the
// core's own formulas (core/memory.h), for three network sizes, and checked
// against the heap the core really allocates for each (on this machine):
//
//   Agent + agent_init               vs rql_state_bytes (+ the config copy's hidden-dims vectors)
//   batch_alloc + update_noise_alloc vs update_inputs_bytes
//   update_work_alloc                vs update_work_bytes
//   flow_sample_work_size (1 row)    vs act_work_bytes(cfg, 1)
//
// Run by `make cortex-m` (tests/cortex_m/run.sh, step 7); exit code 1 if a
// formula disagrees with an allocation. Sizes are for `real` = float.
#include <cstdio>

#include "core/memory.h"
#include "core/rql.h"
#include "heap_count.h"

using namespace rql;

namespace {

struct Size {
  const char* name;
  int width, depth, K, B;
};

// The settings every row shares: OGBench antmaze's dimensions (obs 29,
// action 8), h 1, F 10, LayerNorm in the value nets only (the defaults).
RqlConfig config_of(const Size& s) {
  RqlConfig c;
  c.obs_dim = 29;
  c.action_dim = 8;
  c.h = 1;
  c.flow_steps = 10;
  c.ensemble_ct = s.K;
  c.batch_size = s.B;
  c.actor_hidden_dims.assign(static_cast<size_t>(s.depth), s.width);
  c.value_hidden_dims.assign(static_cast<size_t>(s.depth), s.width);
  return c;
}

double kib(unsigned long long bytes) { return static_cast<double>(bytes) / 1024.0; }

int failures = 0;
void agree(const char* what, long measured, unsigned long long formula) {
  if (measured != static_cast<long>(formula)) {
    std::printf("  MISMATCH %s: allocated %ld B, formula %llu B\n", what, measured, formula);
    ++failures;
  }
}

}  // namespace

int main() {
  const Size sizes[] = {{"2x64", 64, 2, 2, 64}, {"2x256", 256, 2, 2, 256}, {"4x512 (authors')", 512, 4, 10, 256}};
  std::printf("| network (actor = value) | K | B | parameters | inference: actor params | inference: act work "
              "| training: params+targets+Adam | training: update work | training: batch+noise | training total |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Size& s : sizes) {
    const RqlConfig c = config_of(s);
    const MemSize params = rql_param_count(c), state = rql_state_bytes(c), act = act_work_bytes(c, 1);
    const MemSize update = update_work_bytes(c), inputs = update_inputs_bytes(c);
    if (!params.ok || !state.ok || !act.ok || !update.ok || !inputs.ok) {
      std::printf("  %s: a formula overflowed\n", s.name);
      return 1;
    }

    // Build it, counting what the core allocates.
    long before = heap_count::live;
    Agent agent;
    if (!agent_init(agent, c).empty()) {
      std::printf("  %s: agent_init failed\n", s.name);
      return 1;
    }
    // Besides the parameter blocks the agent holds only its config copy's
    // two hidden-dims vectors (their capacity, which Agent's default config
    // of 4 layers may exceed the size of).
    const long hidden_ints = static_cast<long>(
        (agent.cfg.actor_hidden_dims.capacity() + agent.cfg.value_hidden_dims.capacity()) * sizeof(int));
    agree("agent_init vs rql_state_bytes", heap_count::live - before - hidden_ints, state.n);
    before = heap_count::live;
    Batch batch;
    batch_alloc(batch, c.h, c.batch_size, c.obs_dim, c.action_dim);
    UpdateNoise noise;
    update_noise_alloc(noise, c);
    agree("batch + noise vs update_inputs_bytes", heap_count::live - before, inputs.n);
    before = heap_count::live;
    UpdateWork work;
    update_work_alloc(work, agent);
    agree("update_work_alloc vs update_work_bytes", heap_count::live - before, update.n);
    agree("flow_sample_work_size vs act_work_bytes",
          flow_sample_work_size(agent.actor_shape, 1) * static_cast<long>(sizeof(real)), act.n);
    // The inference column: one copy of the actor (the target actor, the
    // policy that acts), by the core's own parameter count for its shape.
    const unsigned long long actor_bytes =
        static_cast<unsigned long long>(mlp_param_count(agent.actor_shape.net)) * sizeof(real);

    std::printf("| %s | %d | %d | %llu | %.1f KiB | %.1f KiB | %.1f KiB | %.1f KiB | %.1f KiB | %.1f KiB |\n", s.name,
                s.K, s.B, static_cast<unsigned long long>(params.n), kib(actor_bytes), kib(act.n), kib(state.n),
                kib(update.n), kib(inputs.n), kib(state.n + update.n + inputs.n));
  }
  std::printf("(float; obs_dim 29, action_dim 8, h 1, flow_steps 10, layer_norm on in the value nets, off in the "
              "actor; every formula equal to what the core allocated: %s)\n",
              failures ? "NO" : "yes");
  return failures ? 1 : 0;
}
