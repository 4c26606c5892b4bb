// test_rql.cpp: the RQL update (rql.h, docs/spec.md §4-5): gradient routing,
// directional finite-difference checks of each loss with respect to each
// parameter block, hand-worked end-to-end cases, the noise sampler, the
// pre-step target updates and zero heap allocation per update.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "support/alloc_counter.h"
#include "core/rql.h"

namespace rql {
namespace {

RqlConfig small_config(int h, int K) {
  RqlConfig c;
  c.obs_dim = 3;
  c.action_dim = 2;
  c.h = h;
  c.ensemble_ct = K;
  c.batch_size = 8;
  c.flow_steps = 4;
  c.actor_hidden_dims = {7, 5};
  c.value_hidden_dims = {6, 5};
  c.actor_layer_norm = true;
  c.layer_norm = true;
  c.alpha = 0.7;
  c.rho = 0.5;
  c.expectile = 0.7;
  c.seed = 11;
  return c;
}

// A batch with random observations/actions/rewards, episode ends at various
// positions (terminals stay 1 after the end, as the clamped sampler gives)
// and a few mask = 0 rows.
Batch random_batch(const RqlConfig& c, uint64_t seed) {
  Rng r = rng_make(seed, 99);
  Batch b;
  b.h = c.h;
  b.batch_size = c.batch_size;
  b.obs_dim = c.obs_dim;
  b.action_dim = c.action_dim;
  const long H = c.h + 1, B = c.batch_size;
  b.observations.resize(H * B * c.obs_dim);
  b.actions.resize(H * B * c.action_dim);
  b.rewards.resize(H * B);
  b.terminals.resize(H * B);
  b.masks.resize(H * B);
  for (real& x : b.observations) x = static_cast<real>(rng_normal(r));
  for (real& x : b.actions) x = static_cast<real>(rng_range(r, -0.99, 0.99));
  for (long s = 0; s < B; ++s) {
    const long end = static_cast<long>(rng_below(r, H + 2));  // >= H: no end in the chunk
    for (long i = 0; i < H; ++i) {
      b.rewards[i * B + s] = static_cast<real>(rng_range(r, -1, 0));
      b.terminals[i * B + s] = i >= end ? 1 : 0;
      b.masks[i * B + s] = (i == end && s % 3 == 0) ? 0 : 1;
    }
  }
  return b;
}

struct UpdateCase {
  Agent agent;
  Batch batch;
  UpdateNoise noise;
};

UpdateCase make_setup(const RqlConfig& c) {
  UpdateCase s;
  EXPECT_EQ(agent_init(s.agent, c), "");
  // Targets different from the online nets, so routing mistakes show.
  Rng r = rng_make(5, 77);
  for (real& x : s.agent.target_value) x += real(0.1) * rng_normal(r);
  for (real& x : s.agent.target_actor) x += real(0.1) * rng_normal(r);
  s.batch = random_batch(c, 3);
  update_noise_alloc(s.noise, c);
  Rng nr = rng_make(c.seed, kStreamUpdate);
  update_noise_sample(s.noise, c, nr);
  return s;
}

// Runs one update on a copy of `agent` and returns (metrics, work).
UpdateMetrics run(const Agent& agent, const Batch& b, const UpdateNoise& n, UpdateWork* w_out = nullptr,
                  Agent* after = nullptr, const UpdateOptions& options = UpdateOptions()) {
  Agent a = agent;
  UpdateWork w;
  update_work_alloc(w, a);
  const UpdateMetrics m = rql_update(a, b, n, w, options);
  if (w_out) *w_out = w;
  if (after) *after = a;
  return m;
}

// ---- Directional finite differences ----------------------------------------
// Along a random unit-norm direction u over one parameter block:
//   fd = (L(p + eps u) - L(p - eps u)) / (2 eps),   an = grad . u
// relative error |fd - an| / max(|fd|, |an|).
#ifdef RQL_DOUBLE
// double: the bound. Measured worst over these checks: 1.7e-8.
constexpr double kEps = 1e-6, kDirTol = 1e-5;
#else
// float: L carries rounding ~ 6e-8 |L| n_ops; with eps = 1e-2 the difference
// quotient's rounding error is ~1e-5 |L| / 1e-2 ~ 1e-3 relative, truncation
// ~eps^2 ~ 1e-4. Measured worst over these checks: 4.4e-3; bound 3e-2 (a
// wrong factor or a missing term gives errors of order 0.1-1).
constexpr double kEps = 1e-2, kDirTol = 3e-2;
#endif

enum class Loss { kQ, kBc, kCritic, kActor };

std::vector<real> vec(const RealSpan& x) { return std::vector<real>(x.begin(), x.end()); }
enum class Block { kActor, kValue };

// The actor's objective is L_q + alpha L_bc (alpha from the config).
double loss_of(const UpdateMetrics& m, Loss l, double alpha) {
  switch (l) {
    case Loss::kQ: return m.actor_loss;  // the authors' actor_loss is L_q alone
    case Loss::kBc: return m.bc_loss;
    case Loss::kCritic: return m.critic_loss;
    case Loss::kActor: return m.actor_loss + alpha * m.bc_loss;
  }
  return 0;
}

double directional_error(const UpdateCase& s, Loss loss, Block block, const std::vector<real>& grad) {
  std::vector<real> u(grad.size());
  Rng r = rng_make(123, 1);
  double norm = 0;
  std::vector<double> ud(grad.size());
  for (double& x : ud) {
    x = rng_normal(r);
    norm += x * x;
  }
  for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<real>(ud[i] / std::sqrt(norm));  // |u| = 1
  double an = 0;
  for (size_t i = 0; i < u.size(); ++i) an += static_cast<double>(grad[i]) * static_cast<double>(u[i]);
  Agent plus = s.agent, minus = s.agent;
  std::vector<real>& bp = block == Block::kActor ? plus.actor : plus.value;
  std::vector<real>& bm = block == Block::kActor ? minus.actor : minus.value;
  for (size_t i = 0; i < u.size(); ++i) {
    bp[i] += static_cast<real>(kEps) * u[i];
    bm[i] -= static_cast<real>(kEps) * u[i];
  }
  const double fd =
      (loss_of(run(plus, s.batch, s.noise), loss, s.agent.cfg.alpha) -
       loss_of(run(minus, s.batch, s.noise), loss, s.agent.cfg.alpha)) / (2 * kEps);
  return std::fabs(fd - an) / std::fmax(std::fabs(fd), std::fabs(an));
}

struct FdCase {
  int h, K;
};
class RqlGradientTest : public ::testing::TestWithParam<FdCase> {};

TEST_P(RqlGradientTest, CriticLossGradientIsTheValueGradient) {
  // dvalue must be dL_critic/dphi and nothing else (no L_q term: the actor's
  // Q term does not update phi).
  const UpdateCase s = make_setup(small_config(GetParam().h, GetParam().K));
  UpdateWork w;
  run(s.agent, s.batch, s.noise, &w);
  EXPECT_LT(directional_error(s, Loss::kCritic, Block::kValue, vec(w.dvalue)), kDirTol);
}

TEST_P(RqlGradientTest, ActorGradientIsQLossPlusAlphaBcLoss) {
  // dactor must be d(L_q + alpha L_bc)/dtheta; the critic loss, which depends
  // on theta through the reversal, contributes nothing (stop-gradient).
  const UpdateCase s = make_setup(small_config(GetParam().h, GetParam().K));
  UpdateWork w;
  run(s.agent, s.batch, s.noise, &w);
  EXPECT_LT(directional_error(s, Loss::kActor, Block::kActor, vec(w.dactor)), kDirTol);
}

TEST_P(RqlGradientTest, EachActorLossSeparately) {
  // alpha = 0 isolates L_q; the difference alpha = 1 minus alpha = 0 is L_bc.
  RqlConfig c = small_config(GetParam().h, GetParam().K);
  c.alpha = 0;
  UpdateCase s0 = make_setup(c);
  c.alpha = 1;
  UpdateCase s1 = make_setup(c);
  UpdateWork w0, w1;
  run(s0.agent, s0.batch, s0.noise, &w0);
  run(s1.agent, s1.batch, s1.noise, &w1);
  EXPECT_LT(directional_error(s0, Loss::kQ, Block::kActor, vec(w0.dactor)), kDirTol);
  std::vector<real> dbc(w1.dactor.size());
  for (size_t i = 0; i < dbc.size(); ++i) dbc[i] = w1.dactor[i] - w0.dactor[i];
  EXPECT_LT(directional_error(s1, Loss::kBc, Block::kActor, dbc), kDirTol);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RqlGradientTest, ::testing::Values(FdCase{1, 1}, FdCase{3, 3}, FdCase{2, 5}),
                         [](const ::testing::TestParamInfo<FdCase>& i) {
                           return "h" + std::to_string(i.param.h) + "_K" + std::to_string(i.param.K);
                         });

// ---- Routing -----------------------------------------------------------------

TEST(RqlRoutingTest, QWeightZeroTrainsTheActorOnTheFlowMatchingLossAlone) {
  // q_weight 0 (the flow-BC baseline, config bc_only): dactor = alpha
  // dL_bc/dtheta, which is the difference of the full gradients at alpha = 1
  // and alpha = 0; the critic still gets its gradient, and L_q is still
  // logged (the same value as with q_weight 1).
  RqlConfig c = small_config(3, 2);
  c.alpha = 1;
  const UpdateCase s1 = make_setup(c);
  c.alpha = 0;
  const UpdateCase s0 = make_setup(c);
  UpdateOptions bc;
  bc.q_weight = 0;
  UpdateWork w1, w0, wb;
  const UpdateMetrics m1 = run(s1.agent, s1.batch, s1.noise, &w1);
  run(s0.agent, s0.batch, s0.noise, &w0);
  const UpdateMetrics mb = run(s1.agent, s1.batch, s1.noise, &wb, nullptr, bc);
  for (size_t i = 0; i < wb.dactor.size(); ++i)
    ASSERT_NEAR(wb.dactor[i], w1.dactor[i] - w0.dactor[i], 1e-5 * (1 + std::fabs(static_cast<double>(w1.dactor[i])))) << i;
  EXPECT_EQ(vec(wb.dvalue), vec(w1.dvalue));
  EXPECT_EQ(mb.actor_loss, m1.actor_loss);
}

TEST(RqlRoutingTest, QWeightScalesTheQTermOfTheActorGradient) {
  // dactor(q_weight) = q_weight dL_q/dtheta + alpha dL_bc/dtheta, so at
  // q_weight 2: dactor(2) - dactor(1) = dactor(1) - dactor(0).
  const UpdateCase s = make_setup(small_config(2, 3));
  UpdateOptions o0, o2;
  o0.q_weight = 0;
  o2.q_weight = 2;
  UpdateWork w0, w1, w2;
  run(s.agent, s.batch, s.noise, &w0, nullptr, o0);
  run(s.agent, s.batch, s.noise, &w1);
  run(s.agent, s.batch, s.noise, &w2, nullptr, o2);
  for (size_t i = 0; i < w1.dactor.size(); ++i) {
    const double g0 = static_cast<double>(w0.dactor[i]), g1 = static_cast<double>(w1.dactor[i]);
    const double g2 = static_cast<double>(w2.dactor[i]);
    ASSERT_NEAR(g2 - g1, g1 - g0, 1e-5 * (1 + std::fabs(g1))) << i;
  }
}

TEST(RqlMetricsTest, GradientMetricsOnlyWhenAskedAndRightWhenAsked) {
  // Off (the default): grad_max/min/norm are 0 and nothing else changes.
  // On: the max, min and L2 norm of the concatenated online gradients,
  // recomputed here in double from the gradients the update left in `w`.
  const UpdateCase s = make_setup(small_config(3, 2));
  UpdateOptions on;
  on.grad_metrics = true;
  UpdateWork w_off, w_on;
  Agent a_off, a_on;
  const UpdateMetrics off = run(s.agent, s.batch, s.noise, &w_off, &a_off);
  const UpdateMetrics m = run(s.agent, s.batch, s.noise, &w_on, &a_on, on);
  EXPECT_EQ(off.grad_max, 0);
  EXPECT_EQ(off.grad_min, 0);
  EXPECT_EQ(off.grad_norm, 0);
  EXPECT_EQ(off.total_loss, m.total_loss);
  EXPECT_EQ(a_off.actor, a_on.actor);
  double mx = -1e300, mn = 1e300, sq = 0;
  for (const RealSpan* g : {&w_on.dactor, &w_on.dvalue})
    for (real x : *g) {
      mx = std::fmax(mx, static_cast<double>(x));
      mn = std::fmin(mn, static_cast<double>(x));
      sq += static_cast<double>(x) * static_cast<double>(x);
    }
  EXPECT_EQ(m.grad_max, mx);
  EXPECT_EQ(m.grad_min, mn);
  // The compensated float sum of squares is within a few ulps of the double one.
  EXPECT_NEAR(m.grad_norm, std::sqrt(sq), 4 * static_cast<double>(std::numeric_limits<real>::epsilon()) * std::sqrt(sq));
}

TEST(RqlMetricsTest, LossesAreTheAuthorsLoggedQuantities) {
  // actor_loss = L_q = -mean_B(mean_K q_ahead valid) (the authors' actor_loss),
  // recomputed here in double from w.q_ahead and w.valid; total_loss =
  // actor_loss + alpha bc_loss + critic_loss.
  const UpdateCase s = make_setup(small_config(3, 3));
  UpdateWork w;
  const UpdateMetrics m = run(s.agent, s.batch, s.noise, &w);
  double lq = 0;
  for (int k = 0; k < w.K; ++k)
    for (int b = 0; b < w.B; ++b) lq += static_cast<double>(w.q_ahead[k * w.B + b]) * static_cast<double>(w.valid[b]);
  lq = -lq / (w.K * w.B);
  EXPECT_NEAR(m.actor_loss, lq, 4 * static_cast<double>(std::numeric_limits<real>::epsilon()) * (1 + std::fabs(lq)));
  EXPECT_NEAR(m.total_loss, m.actor_loss + s.agent.cfg.alpha * m.bc_loss + m.critic_loss,
              8 * static_cast<double>(std::numeric_limits<real>::epsilon()) * (1 + std::fabs(m.total_loss)));
}

TEST(RqlRoutingTest, CriticLossAloneGivesZeroActorGradient) {
  // alpha = 0 and all samples invalid: L_q = 0 and its gradient vanishes
  // (valid multiplies it), L_bc has weight 0, so only the critic remains.
  // The actor gradient must be exactly zero.
  RqlConfig c = small_config(3, 2);
  c.alpha = 0;
  UpdateCase s = make_setup(c);
  for (int b = 0; b < c.batch_size; ++b)
    for (int i = 0; i <= c.h; ++i) s.batch.terminals[i * c.batch_size + b] = 1;  // sum rt = h > 1: invalid
  UpdateWork w;
  const UpdateMetrics m = run(s.agent, s.batch, s.noise, &w);
  EXPECT_EQ(m.valid_frac, 0);
  for (real g : w.dactor) ASSERT_EQ(g, 0);
}

TEST(RqlRoutingTest, ActorLossesGiveZeroValueGradient) {
  // With every sample invalid the critic loss is 0 and its gradient vanishes;
  // alpha > 0 keeps L_bc. The value gradient must be exactly zero (L_q and
  // L_bc never reach phi).
  RqlConfig c = small_config(3, 2);
  UpdateCase s = make_setup(c);
  for (int b = 0; b < c.batch_size; ++b)
    for (int i = 0; i <= c.h; ++i) s.batch.terminals[i * c.batch_size + b] = 1;
  UpdateWork w;
  run(s.agent, s.batch, s.noise, &w);
  double actor_norm = 0;
  for (real g : w.dactor) actor_norm += std::fabs(static_cast<double>(g));
  EXPECT_GT(actor_norm, 0);  // the BC loss still trains the actor
  for (real g : w.dvalue) ASSERT_EQ(g, 0);
}

TEST(RqlRoutingTest, TargetsChangeOnlyByPolyakFromPreStepParameters) {
  // target <- rate * online_old + (1 - rate) * target_old, rate = tau for the
  // value and 1 - ema = 0.001 for the actor; no gradient reaches them.
  const UpdateCase s = make_setup(small_config(3, 2));
  Agent after;
  run(s.agent, s.batch, s.noise, nullptr, &after);
  const double tau = s.agent.cfg.tau, ema = s.agent.cfg.ema;
#ifdef RQL_DOUBLE
  const double tol = 1e-14;
#else
  const double tol = 1e-6;
#endif
  for (size_t i = 0; i < after.target_actor.size(); ++i) {
    const double want = (1 - ema) * static_cast<double>(s.agent.actor[i]) + ema * static_cast<double>(s.agent.target_actor[i]);
    ASSERT_NEAR(after.target_actor[i], want, tol * (1 + std::fabs(want))) << i;
  }
  for (size_t i = 0; i < after.target_value.size(); ++i) {
    const double want = tau * static_cast<double>(s.agent.value[i]) + (1 - tau) * static_cast<double>(s.agent.target_value[i]);
    ASSERT_NEAR(after.target_value[i], want, tol * (1 + std::fabs(want))) << i;
  }
  // And the online nets did move (Adam step 1 moves each by about lr).
  double moved = 0;
  for (size_t i = 0; i < after.actor.size(); ++i) moved = std::fmax(moved, std::fabs(static_cast<double>(after.actor[i] - s.agent.actor[i])));
  EXPECT_NEAR(moved, s.agent.cfg.lr, 0.1 * s.agent.cfg.lr);
}

// ---- Hand-worked end-to-end cases ----------------------------------------------

// Make every member of a value block output the constant v: zero kernels,
// zero biases except the output bias (LayerNorm of a zero row is 0, then its
// bias 0 keeps it 0).
void constant_value(const Agent& a, std::vector<real>& block, real v) {
  std::fill(block.begin(), block.end(), real(0));
  const MlpShape& s = a.value_shape;
  for (int k = 0; k < s.members; ++k) {
    const MlpGrads g = mlp_grads(s, block.data(), k);
    g.b[s.n_layers - 1][0] = v;
    for (int i = 0; i + 1 < s.n_layers; ++i)
      if (g.g[i])
        for (int j = 0; j < s.dims[i]; ++j) g.g[i][j] = 1;
  }
}

TEST(RqlUpdateTest, ConstantRewardFixedPointForAnyRho) {
  // r = c = -1, masks 1, no terminals; target value c/(1-gamma) = -100 from
  // every member: y = c/(1-gamma) for every sample and every rho.
  for (double rho : {0.0, 0.5, 2.0}) {
    RqlConfig c = small_config(3, 3);
    c.rho = rho;
    UpdateCase s = make_setup(c);
    constant_value(s.agent, s.agent.target_value, -100);
    std::fill(s.batch.rewards.begin(), s.batch.rewards.end(), real(-1));
    std::fill(s.batch.terminals.begin(), s.batch.terminals.end(), real(0));
    std::fill(s.batch.masks.begin(), s.batch.masks.end(), real(1));
    UpdateWork w;
    run(s.agent, s.batch, s.noise, &w);
    for (int b = 0; b < c.batch_size; ++b) EXPECT_NEAR(w.target[b], -100, 1e-4) << "rho " << rho;
  }
}

TEST(RqlUpdateTest, OneStepAheadStepAndTime) {
  // F = 10: t = 0.95 -> step min(0.1, 0.05) = 0.05, t+ = min(1.05, 1) = 1;
  // t = 0.3 -> step 0.1, t+ = 0.4.
  RqlConfig c = small_config(1, 1);
  c.flow_steps = 10;
  UpdateCase s = make_setup(c);
  s.noise.bc_t[0] = static_cast<real>(0.95);
  s.noise.bc_t[1] = static_cast<real>(0.3);
  UpdateWork w;
  run(s.agent, s.batch, s.noise, &w);
  EXPECT_NEAR(w.step[0], 0.05, 1e-6);
  EXPECT_EQ(w.t_next[0], 1);
  EXPECT_NEAR(w.step[1], 0.1, 1e-6);
  EXPECT_NEAR(w.t_next[1], 0.4, 1e-6);
  for (int j = 0; j < w.A; ++j)  // x+ = x_t + p * step
    EXPECT_NEAR(w.x_next[j], w.x_t[j] + w.p[j] * w.step[0], 1e-6);
}

TEST(RqlUpdateTest, ChunkIsConcatenatedActionsAndReversalEndsAtOneMinusD) {
  RqlConfig c = small_config(3, 2);
  UpdateCase s = make_setup(c);
  UpdateWork w;
  run(s.agent, s.batch, s.noise, &w);
  const int B = c.batch_size, adim = c.action_dim;
  for (int b = 0; b < B; ++b) {
    for (int i = 0; i < c.h; ++i)
      for (int j = 0; j < adim; ++j)
        EXPECT_EQ(w.a[b * w.A + i * adim + j], s.batch.actions[(i * B + b) * adim + j]);
    EXPECT_NEAR(w.reversed_f[b], 1 - s.noise.d[b], 1e-6);
  }
}

TEST(RqlUpdateTest, EnsembleOfOneUsesItsOwnValuePerSample) {
  // K = 1: next_q[b] is the single member's value at sample b (not the batch
  // mean the authors' K = 1 code computes, docs/spec.md §7), whatever rho is.
  RqlConfig c = small_config(2, 1);
  c.rho = 3;
  UpdateCase s = make_setup(c);
  UpdateWork w;
  run(s.agent, s.batch, s.noise, &w);
  for (int b = 0; b < c.batch_size; ++b) EXPECT_EQ(w.next_q[b], w.next_qk[b]);
  bool differ = false;
  for (int b = 1; b < c.batch_size; ++b) differ = differ || w.next_q[b] != w.next_q[0];
  EXPECT_TRUE(differ);
}

TEST(RqlUpdateTest, SameInputsSameResult) {
  const UpdateCase s = make_setup(small_config(3, 2));
  Agent a1, a2;
  const UpdateMetrics m1 = run(s.agent, s.batch, s.noise, nullptr, &a1);
  const UpdateMetrics m2 = run(s.agent, s.batch, s.noise, nullptr, &a2);
  EXPECT_EQ(m1.total_loss, m2.total_loss);
  EXPECT_EQ(a1.actor, a2.actor);
  EXPECT_EQ(a1.value, a2.value);
  EXPECT_EQ(a1.step, 1);
  EXPECT_NEAR(m1.total_loss, m1.actor_loss + s.agent.cfg.alpha * m1.bc_loss + m1.critic_loss, 1e-5);
}

// ---- Noise (docs/spec.md §4) ------------------------------------------------------------

TEST(UpdateNoiseTest, HalfUniformHalfOnTheFlowGrid) {
  RqlConfig c = small_config(2, 2);
  c.batch_size = 4000;
  c.flow_steps = 5;
  UpdateNoise n;
  update_noise_alloc(n, c);
  Rng r = rng_make(1, kStreamUpdate);
  update_noise_sample(n, c, r);
  ASSERT_EQ(n.next_x0.size(), 4000u * 4);
  ASSERT_EQ(n.bc_t.size(), 4000u);
  int off_grid = 0, counts[6] = {0};
  for (int b = 0; b < 2000; ++b) {
    ASSERT_GE(n.d[b], 0);
    ASSERT_LT(n.d[b], 1);
    const double k = n.d[b] * 5;
    off_grid += std::fabs(k - std::round(k)) > 1e-6;
  }
  for (int b = 2000; b < 4000; ++b) {
    const double k = n.d[b] * 5;
    ASSERT_NEAR(k, std::round(k), 1e-5);
    counts[static_cast<int>(std::lround(k))]++;
  }
  EXPECT_GT(off_grid, 1990);  // continuous half: hitting the grid has probability ~0
  // k uniform on {0..5}: each count ~ Binomial(2000, 1/6), mean 333, sd 16.7;
  // 5 sd is 83.
  for (int k = 0; k <= 5; ++k) EXPECT_NEAR(counts[k], 2000.0 / 6, 83) << "k = " << k;
  double mean = 0, var = 0;
  for (real x : n.bc_x0) mean += static_cast<double>(x);
  mean /= static_cast<double>(n.bc_x0.size());
  for (real x : n.bc_x0) var += (static_cast<double>(x) - mean) * (static_cast<double>(x) - mean);
  var /= static_cast<double>(n.bc_x0.size());
  EXPECT_NEAR(mean, 0, 5 / std::sqrt(16000.0));
  EXPECT_NEAR(var, 1, 5 * std::sqrt(2 / 16000.0));
}

// ---- Resources -------------------------------------------------------------------

TEST(RqlAllocationTest, UpdateAndNoiseAllocateNothing) {
  for (Reversal rev : {Reversal::kEuler, Reversal::kExact}) {
    RqlConfig c = small_config(3, 3);
    c.reversal = rev;
    UpdateCase s = make_setup(c);
    UpdateWork w;
    update_work_alloc(w, s.agent);
    Rng r = rng_make(2, kStreamUpdate);
    const long before = rql_test_allocations();
    for (int i = 0; i < 3; ++i) {
      update_noise_sample(s.noise, c, r);
      rql_update(s.agent, s.batch, s.noise, w);
    }
    const long after = rql_test_allocations();
    EXPECT_EQ(after - before, 0) << (rev == Reversal::kExact ? "exact" : "euler");
  }
}

TEST(AgentTest, InitRejectsBadConfigAndCopiesTargets) {
  Agent a;
  RqlConfig c = small_config(3, 2);
  c.batch_size = 7;
  EXPECT_NE(agent_init(a, c).find("batch_size"), std::string::npos);
  c.batch_size = 8;
  ASSERT_EQ(agent_init(a, c), "");
  EXPECT_EQ(a.target_actor, a.actor);
  EXPECT_EQ(a.target_value, a.value);
  EXPECT_EQ(a.step, 0);
  // Same seed, same parameters; another seed, others.
  Agent b;
  ASSERT_EQ(agent_init(b, c), "");
  EXPECT_EQ(a.actor, b.actor);
  c.seed = 12;
  ASSERT_EQ(agent_init(b, c), "");
  EXPECT_NE(a.actor, b.actor);
}

}  // namespace
}  // namespace rql
