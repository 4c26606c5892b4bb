// cli_bench_update.cpp: `rql bench update`: updates per second of the RQL
// update (docs/spec.md §5) on a synthetic batch, the FLOPs one update performs in its
// matrix products, the GFLOP/s that makes, and the peak memory.
// `rql bench act`: microseconds per action of the EMA policy for one
// observation (docs/spec.md §2: F Euler steps of the actor on a batch of 1, plus the
// draw of the starting noise), as a deployed policy runs it.
//
// The batch and noise are random but fixed-size, as in training; only
// rql_update and the noise draw are timed (the batch sampler is a memcpy
// per row and is left out).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "fast/kernels_fast.h"
#include "cli_args.h"
#include "io/error.h"
#include "core/rql.h"

namespace rql {

namespace {

// 2 M K N summed over the Dense layers of one forward pass of `s` on B rows;
// `first` gets the first layer's share (an input-gradient backward that stops
// at the parameters skips it).
double forward_flops(const MlpShape& s, int B, double* first) {
  double total = 0;
  for (int i = 0; i < s.n_layers; ++i) {
    const double in = i == 0 ? s.in_dim : s.dims[i - 1];
    const double f = 2.0 * B * in * s.dims[i];
    if (i == 0) *first = f;
    total += f;
  }
  return total;
}

}  // namespace

// Matrix-product FLOPs of one update (rql.h's steps; a backward costs one
// forward for dW and one for dX, less the first layer's dX when the input
// gradient is not needed).
double update_flops(const Agent& a) {
  const int B = a.cfg.batch_size, K = a.cfg.ensemble_ct, F = a.cfg.flow_steps;
  double fa0 = 0, fv0 = 0;
  const double fa = forward_flops(a.actor_shape.net, B, &fa0);
  const double fv = forward_flops(a.value_shape, B, &fv0);  // one member
  return F * fa                          // 1. reversal: F actor forwards
         + K * fv                        // 2. target ensemble at (s', x0', 0)
         + K * (fv + fv + (fv - fv0))    // 3. critic: forward, dW, dX (not into the input)
         + (fa + fa + (fa - fa0))        // 4. actor: forward, dW, dX
         + K * (fv + fv);                // 4. one step ahead: forward, dX into the input
}

int bench_update(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"obs_dim", "D", "observation size", "29"},
      {"action_dim", "A", "action size", "8"},
      {"h", "H", "action-chunk length", "1"},
      {"actor_hidden_dims", "L", "actor hidden sizes", "512,512,512,512"},
      {"value_hidden_dims", "L", "value hidden sizes", "512,512,512,512"},
      {"ensemble_ct", "K", "value ensemble size", "10"},
      {"batch_size", "B", "batch size", "256"},
      {"flow_steps", "F", "flow steps", "10"},
      {"reversal", "M", "euler or exact", "euler"},
      {"steps", "N", "timed updates (after 2 warm-up updates)", "20"},
      {"threads", "T", "threads computing the update (default: the number of cores)", ""},
  };
  try {
    const ParsedArgs args = parse_flags(argc, argv, 1, specs);
    if (args.has("help")) {
      std::printf("usage: rql bench update [FLAGS]\n\nTimes the RQL update on a synthetic batch and prints "
                  "`updates_per_s X`, the FLOPs of its matrix\nproducts, the GFLOP/s they make, and the peak "
                  "resident memory. Defaults: the authors' network\n(docs/spec.md §6) at OGBench's antmaze size "
                  "(obs 29, action 8, h 1).\n\n%s",
                  flags_help(specs).c_str());
      return 0;
    }
    if (!args.positional.empty()) throw UsageError("unexpected argument '" + args.positional[0] + "'");
    const int threads = static_cast<int>(flag_int(args, "threads", default_threads(), 1, 256));
    RqlConfig c;
    c.obs_dim = 29;
    c.action_dim = 8;
    c.h = 1;
    for (const FlagSpec& f : specs)
      if (args.has(f.name) && f.name != "steps" && f.name != "threads") {
        const std::string err = config_set(c, f.name, args.get(f.name, ""));
        if (!err.empty()) throw UsageError(err);
      }
    const long steps = flag_int(args, "steps", 20, 1, 1000000);
    Agent agent;
    const std::string err = agent_init(agent, c);
    if (!err.empty()) throw UsageError(err);
    FastKernels fast;
    const Kernels& kernels = kernels_default(fast, threads);
    agent_set_kernels(agent, &kernels);

    // A synthetic batch: random observations and actions, rewards -1, no
    // episode ends (every chunk valid).
    Batch batch;
    const long H = c.h + 1, B = c.batch_size;
    Rng r = rng_make(1, kStreamData);
    batch.h = c.h;
    batch.batch_size = c.batch_size;
    batch.obs_dim = c.obs_dim;
    batch.action_dim = c.action_dim;
    batch.observations.resize(H * B * c.obs_dim);
    batch.actions.resize(H * B * c.action_dim);
    for (real& x : batch.observations) x = static_cast<real>(rng_normal(r));
    for (real& x : batch.actions) x = static_cast<real>(rng_range(r, -1, 1));
    batch.rewards.assign(H * B, real(-1));
    batch.terminals.assign(H * B, real(0));
    batch.masks.assign(H * B, real(1));
    UpdateNoise noise;
    update_noise_alloc(noise, c);
    UpdateWork work;
    update_work_alloc(work, agent);

    bench_print_machine();
    const double flops = update_flops(agent);
    std::printf("config    obs_dim %d action_dim %d h %d actor %s value %s K %d B %d F %d reversal %s\n", c.obs_dim,
                c.action_dim, c.h, config_get(c, "actor_hidden_dims").c_str(),
                config_get(c, "value_hidden_dims").c_str(), c.ensemble_ct, c.batch_size, c.flow_steps,
                config_get(c, "reversal").c_str());
    std::printf("kernels   %s, %d thread%s\n", kernels.name, kernels.ctx ? threads : 1,
                kernels.ctx && threads > 1 ? "s" : "");
    std::printf("params    actor %zu, value %zu (x2 with the targets; Adam moments x2 more)\n", agent.actor.size(),
                agent.value.size());
    for (int i = 0; i < 2; ++i) {  // warm-up
      update_noise_sample(noise, c, agent.rng_update);
      rql_update(agent, batch, noise, work);
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < steps; ++i) {
      update_noise_sample(noise, c, agent.rng_update);
      rql_update(agent, batch, noise, work);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double ups = static_cast<double>(steps) / secs;
    std::printf("flops_per_update %.4g (matrix products only)\n", flops);
    std::printf("updates_per_s %.3f\n", ups);
    std::printf("gflops %.1f\n", flops * ups * 1e-9);
    std::printf("peak_rss_mb %.1f\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql bench update: %s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql bench update: %s\n", e.what());
    return 1;
  }
}

int bench_act(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"obs_dim", "D", "observation size", "29"},
      {"action_dim", "A", "action size", "8"},
      {"h", "H", "action-chunk length", "1"},
      {"actor_hidden_dims", "L", "actor hidden sizes", "512,512,512,512"},
      {"actor_layer_norm", "B", "LayerNorm in the actor", "(config default)"},
      {"flow_steps", "F", "flow steps", "10"},
      {"reps", "N", "repetitions of at least 50 ms each; the median is reported", "9"},
      {"threads", "T", "threads (default: the number of cores; a batch of 1 is below the size the kernels split)",
       ""},
  };
  try {
    const ParsedArgs args = parse_flags(argc, argv, 1, specs);
    if (args.has("help")) {
      std::printf("usage: rql bench act [FLAGS]\n\nTimes one action of the EMA policy for one observation "
                  "(batch 1: the starting noise,\nthen F Euler steps of the actor, then the clip) and prints "
                  "`us_per_action X`.\nDefaults: the authors' actor (docs/spec.md §6) at OGBench's antmaze size.\n\n%s",
                  flags_help(specs).c_str());
      return 0;
    }
    if (!args.positional.empty()) throw UsageError("unexpected argument '" + args.positional[0] + "'");
    const int threads = static_cast<int>(flag_int(args, "threads", default_threads(), 1, 256));
    const int reps = static_cast<int>(flag_int(args, "reps", 9, 1, 1001));
    RqlConfig c;
    c.obs_dim = 29;
    c.action_dim = 8;
    c.h = 1;
    c.value_hidden_dims = {1};  // the value nets are not used: keep them tiny
    c.ensemble_ct = 1;
    for (const FlagSpec& f : specs)
      if (args.has(f.name) && f.name != "reps" && f.name != "threads") {
        const std::string err = config_set(c, f.name, args.get(f.name, ""));
        if (!err.empty()) throw UsageError(err);
      }
    Agent agent;
    const std::string err = agent_init(agent, c);
    if (!err.empty()) throw UsageError(err);
    FastKernels fast;
    const Kernels& kernels = kernels_default(fast, threads);
    agent_set_kernels(agent, &kernels);
    const int A = agent.actor_shape.A;
    std::vector<real> obs(static_cast<std::size_t>(c.obs_dim)), x0(static_cast<std::size_t>(A)),
        action(static_cast<std::size_t>(A)), work(flow_sample_work_size(agent.actor_shape, 1));
    Rng r = rng_make(1, kStreamData);
    for (real& x : obs) x = static_cast<real>(rng_normal(r));
    Rng noise = rng_make(1, kStreamEval);
    auto act = [&] {
      for (real& x : x0) x = static_cast<real>(rng_normal(noise));
      agent_act(agent, obs.data(), x0.data(), 1, action.data(), work.data());
    };

    bench_print_machine();
    std::printf("config    obs_dim %d action_dim %d h %d actor %s%s F %d, batch 1, EMA (target) actor\n", c.obs_dim,
                c.action_dim, c.h, config_get(c, "actor_hidden_dims").c_str(),
                c.actor_layer_norm ? " with LayerNorm" : "", c.flow_steps);
    std::printf("kernels   %s, %d thread%s\n", kernels.name, kernels.ctx ? threads : 1,
                kernels.ctx && threads > 1 ? "s" : "");
    using Clock = std::chrono::steady_clock;
    auto t0 = Clock::now();
    long calls = 0;
    while (std::chrono::duration<double>(Clock::now() - t0).count() < 0.05) {  // warm-up; calls per 50 ms
      act();
      ++calls;
    }
    std::vector<double> us(static_cast<std::size_t>(reps));
    for (double& u : us) {
      t0 = Clock::now();
      for (long i = 0; i < calls; ++i) act();
      u = std::chrono::duration<double>(Clock::now() - t0).count() * 1e6 / static_cast<double>(calls);
    }
    std::sort(us.begin(), us.end());
    std::printf("actions_timed %ld x %d repetitions\n", calls, reps);
    std::printf("us_per_action %.3f\n", us[us.size() / 2]);
    std::printf("us_per_action_min %.3f\n", us.front());
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql bench act: %s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql bench act: %s\n", e.what());
    return 1;
  }
}

}  // namespace rql
