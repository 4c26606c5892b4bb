// main.cpp: the numeric core on a Cortex-M4F, run under qemu-system-arm
// (machine mps2-an386) with semihosting for output: `make cortex-m`.
//
// It builds a small agent (sizes below), then
//   1. samples one action (agent_act, batch of one observation),
//   2. runs one RQL update (rql_update) on a batch of random transitions,
// and for each checks that no heap allocation happens inside the call and
// measures the deepest stack the call used, by painting the stack with a
// pattern before the call and finding the lowest word that changed after it.
// The painted figure includes every library call (libm, memset) that the
// static sum of tools/stack_depth.py counts as 0.
//
// The setup compares every allocation with the core's memory formulas
// (memory.h) for this config: agent_init's heap with rql_state_bytes, the
// batch and noise with update_inputs_bytes, the update's arena with
// update_work_bytes and the action's working memory with act_work_bytes.
// The update runs on a static arena (update_work_init), the action sample
// on a static buffer: caller-supplied memory, as on a microcontroller.
// The action and the losses are printed so the same program built for the
// host (tests/cortex_m/run.sh builds both) can be compared number by number.
//
// Exit code 0 when every check holds; the output ends with "cortex-m: ok".
#include <cstdint>
#include <cstdio>

#include "core/memory.h"
#include "core/rql.h"
#include "heap_count.h"

using namespace rql;

namespace {

// ---- Stack painting (only on the target: the host's stack is not ours) ----
#if defined(__arm__)
constexpr uint32_t kPaint = 0xC5A5C5A5u;
constexpr long kPaintBytes = 24 * 1024;  // below the caller's sp; the stack is 64 KB (run.sh)

__attribute__((noinline)) uintptr_t stack_pointer() {
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

__attribute__((noinline)) void paint(uint32_t* lo, uint32_t* hi) {
  for (volatile uint32_t* p = lo; p < hi; ++p) *p = kPaint;
}

// Bytes of stack below this function's sp that `f` used (its own frame and
// everything it called).
template <class F>
__attribute__((noinline)) long stack_used(F f) {
  const uintptr_t sp = stack_pointer();
  uint32_t* lo = reinterpret_cast<uint32_t*>((sp - kPaintBytes) & ~uintptr_t(3));
  uint32_t* hi = reinterpret_cast<uint32_t*>((sp - 64) & ~uintptr_t(3));  // paint()'s frame stays above hi
  paint(lo, hi);
  f();
  const uint32_t* p = lo;
  while (p < hi && *p == kPaint) ++p;
  if (p == lo) return -1;  // the whole painted area was used: figure unknown
  return static_cast<long>(sp - reinterpret_cast<uintptr_t>(p));
}
#else
template <class F>
long stack_used(F f) {
  f();
  return -1;  // not measured on the host
}
#endif

int g_failures = 0;
void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "  ok  " : "  FAIL", what);
  if (!ok) ++g_failures;
}

void print_reals(const char* key, const real* x, int n) {
  std::printf("value %s", key);
  for (int i = 0; i < n; ++i) std::printf(" %.9g", static_cast<double>(x[i]));
  std::printf("\n");
}

// The small configuration of this run (obs 4, action 2, h 2: A = 4).
RqlConfig small_config() {
  RqlConfig c;
  c.obs_dim = 4;
  c.action_dim = 2;
  c.h = 2;
  c.batch_size = 8;
  c.ensemble_ct = 2;
  c.actor_hidden_dims = {16, 16};
  c.value_hidden_dims = {16, 16};
  c.flow_steps = 4;
  c.alpha = 1.0;
  c.rho = 0.5;
  c.expectile = 0.7;
  c.seed = 3;
  return c;
}

// Random transitions with a few episode ends and mask = 0 rows; no sampler
// (the dataset layer is not part of this program).
void random_batch(Batch& b, const RqlConfig& c, Rng& r) {
  batch_alloc(b, c.h, c.batch_size, c.obs_dim, c.action_dim);
  const long H = c.h + 1, B = c.batch_size;
  for (real& x : b.observations) x = rng_normal(r);
  for (real& x : b.actions) x = rng_range(r, real(-0.99), real(0.99));
  for (long s = 0; s < B; ++s) {
    const long end = static_cast<long>(rng_below(r, H + 2));
    for (long i = 0; i < H; ++i) {
      b.rewards[i * B + s] = rng_range(r, real(-1), real(0));
      b.terminals[i * B + s] = i >= end ? 1 : 0;
      b.masks[i * B + s] = (i == end && s % 3 == 0) ? 0 : 1;
    }
  }
}

}  // namespace

// Caller-supplied working memory (update_work_init, agent_act), static as
// on a microcontroller; main() checks the formulas fit in them.
alignas(64) real g_update_arena[16 * 1024];
real g_act_work[1024];

int main() {
  std::printf("cortex-m: RQL core, %s, sizeof(real) = %d, sizeof(long) = %d\n",
#if defined(__arm__)
              "arm",
#else
              "host",
#endif
              static_cast<int>(sizeof(real)), static_cast<int>(sizeof(long)));
  const RqlConfig cfg = small_config();
  const int A = cfg.h * cfg.action_dim;

  // ---- Setup: every allocation of the run happens here, each compared
  // with the core's formula for it (memory.h) ----
  const MemSize f_state = rql_state_bytes(cfg), f_act = act_work_bytes(cfg, 1);
  const MemSize f_update = update_work_bytes(cfg), f_inputs = update_inputs_bytes(cfg);
  check(f_state.ok && f_act.ok && f_update.ok && f_inputs.ok, "memory formulas computed");
  long before = heap_count::live;
  Agent agent;
  check(agent_init(agent, cfg).empty(), "agent_init");
  const long heap_agent = heap_count::live - before;
  // The agent holds the 4 copies of the parameters (rql_state_bytes) and
  // its config copy's two hidden-dims vectors of ints (their capacity: the
  // default config's 4 layers may exceed the size).
  const long hidden_ints = static_cast<long>(
      (agent.cfg.actor_hidden_dims.capacity() + agent.cfg.value_hidden_dims.capacity()) * sizeof(int));
  std::printf("memory: agent_init heap %ld B = rql_state_bytes %llu B + hidden dims %ld B\n", heap_agent,
              static_cast<unsigned long long>(f_state.n), hidden_ints);
  check(heap_agent == static_cast<long>(f_state.n) + hidden_ints, "agent_init heap = rql_state_bytes");

  before = heap_count::live;
  Batch batch;
  UpdateNoise noise;
  Rng data_rng = rng_make(cfg.seed, kStreamData);
  random_batch(batch, cfg, data_rng);
  update_noise_alloc(noise, cfg);
  const long heap_inputs = heap_count::live - before;
  std::printf("memory: batch + noise heap %ld B, update_inputs_bytes %llu B\n", heap_inputs,
              static_cast<unsigned long long>(f_inputs.n));
  check(heap_inputs == static_cast<long>(f_inputs.n), "batch + noise heap = update_inputs_bytes");

  const long arena_reals = update_work_size(agent);
  std::printf("memory: update arena %ld B (update_work_size), update_work_bytes %llu B\n",
              arena_reals * static_cast<long>(sizeof(real)), static_cast<unsigned long long>(f_update.n));
  check(static_cast<unsigned long long>(arena_reals) * sizeof(real) == f_update.n,
        "update_work_size = update_work_bytes");
  const long act_reals = flow_sample_work_size(agent.actor_shape, 1);
  std::printf("memory: action work %ld B (flow_sample_work_size), act_work_bytes %llu B\n",
              act_reals * static_cast<long>(sizeof(real)), static_cast<unsigned long long>(f_act.n));
  check(static_cast<unsigned long long>(act_reals) * sizeof(real) == f_act.n,
        "flow_sample_work_size = act_work_bytes");
  const bool fits = arena_reals <= static_cast<long>(sizeof g_update_arena / sizeof(real)) &&
                    act_reals <= static_cast<long>(sizeof g_act_work / sizeof(real));
  check(fits, "working memory fits the static buffers");
  if (!fits) return 1;
  UpdateWork work;
  before = heap_count::calls;
  update_work_init(work, agent, g_update_arena);
  check(heap_count::calls == before, "update_work_init on caller memory allocates nothing");

  // ---- 1. One action sample ----
  real obs[4], x0[8], action[8];
  for (int i = 0; i < cfg.obs_dim; ++i) obs[i] = rng_normal(data_rng);
  for (int i = 0; i < A; ++i) x0[i] = rng_normal(data_rng);
  long calls = heap_count::calls;
  const long act_stack = stack_used([&] { agent_act(agent, obs, x0, 1, action, g_act_work); });
  check(heap_count::calls == calls, "agent_act allocates nothing");
  bool in_box = true;
  for (int i = 0; i < A; ++i) in_box = in_box && action[i] >= -1 && action[i] <= 1;
  check(in_box, "action in [-1, 1]");
  print_reals("action", action, A);

  // ---- 2. One update ----
  Rng noise_rng = rng_make(cfg.seed, kStreamUpdate);
  update_noise_sample(noise, cfg, noise_rng);
  UpdateOptions options;
  options.grad_metrics = true;  // the longest path: every gradient walked
  UpdateMetrics m{};
  calls = heap_count::calls;
  const long upd_stack = stack_used([&] { m = rql_update(agent, batch, noise, work, options); });
  check(heap_count::calls == calls, "rql_update allocates nothing");
  check(agent.step == 1, "step count 1 after one update");
  const double losses[4] = {m.critic_loss, m.bc_loss, m.actor_loss, m.grad_norm};
  bool finite = true;
  for (double x : losses) finite = finite && x == x && x - x == 0;  // not NaN, not inf
  check(finite, "losses and gradient norm finite");
  std::printf("value losses %.9g %.9g %.9g %.9g\n", m.critic_loss, m.bc_loss, m.actor_loss, m.grad_norm);
  print_reals("actor[0:4]", agent.actor.data(), 4);
  print_reals("value[0:4]", agent.value.data(), 4);
  print_reals("target_value[0:4]", agent.target_value.data(), 4);

  if (act_stack >= 0)
    std::printf("stack: agent_act %ld B, rql_update %ld B (painted: measured, library calls included)\n",
                act_stack, upd_stack);
  std::printf("heap: peak %ld B over the whole run\n", heap_count::peak);
  std::printf("cortex-m: %s\n", g_failures ? "FAILED" : "ok");
  return g_failures ? 1 : 0;
}
