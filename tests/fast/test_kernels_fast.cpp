// test_kernels_fast.cpp: the fast kernel sets of kernels_fast.h.
//
//   MatmulBlockTest        a product computed block by block (matmul_fast.h's
//                          *_block functions) equals the whole call BIT FOR
//                          BIT, over awkward shapes and splits (every path).
//   GeluExpTest            the sigmoid form of the fast GELU backward against
//                          the reference, and exp_nonneg_plus against libm.
//   LayerNormFastTest      fast LayerNorm against the reference.
//   FastKernelsThreadsTest whole RQL updates and action sampling on 1, 2 and
//                          3 threads: parameters, Adam moments, targets and
//                          metrics identical byte for byte.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/kernels.h"
#include "core/layers.h"
#include "core/rng.h"
#include "core/rql.h"
#include "fast/gelu_fast.h"
#include "fast/kernels_fast.h"
#include "fast/layernorm_fast.h"
#include "fast/matmul_fast.h"
#include "fast/tanh_fast.h"

namespace rql {
namespace {

std::vector<real> uniform(long n, Rng& r, double lo = -1, double hi = 1) {
  std::vector<real> v(static_cast<std::size_t>(n));
  for (real& x : v) x = static_cast<real>(rng_range(r, lo, hi));
  return v;
}

bool same_bytes(const std::vector<real>& a, const std::vector<real>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(real) * a.size()) == 0;
}

// ------------------------------------------------------------ matmul blocks --

struct BlockShape {
  int M, K, N;
};

// Thin and awkward shapes: N = 1 (value head), K = 1, fewer than 8 rows (the
// dot-product path of backward_input), widths around the 64-column panel.
const BlockShape kBlockShapes[] = {{1, 5, 3},   {7, 9, 1},    {5, 1, 70},   {13, 38, 130},
                                   {64, 64, 64}, {97, 33, 200}, {40, 300, 1}, {6, 200, 17}};

// Cuts [0, n) at `cuts` (sorted, inside) and runs f(begin, end) on each piece.
template <class F>
void pieces(int n, std::vector<int> cuts, F f) {
  int begin = 0;
  cuts.push_back(n);
  for (int c : cuts) {
    const int end = c < n ? c : n;
    if (end > begin) f(begin, end);
    begin = end > begin ? end : begin;
  }
}

TEST(MatmulBlockTest, BlocksAreBitIdenticalToTheWholeProduct) {
  Rng r = rng_make(21, kStreamInit);
  for (const BlockShape& s : kBlockShapes) {
    const int M = s.M, K = s.K, N = s.N;
    const std::vector<real> X = uniform(long(M) * K, r), W = uniform(long(K) * N, r), dY = uniform(long(M) * N, r),
                            b = uniform(N, r), dX0 = uniform(long(M) * K, r), dW0 = uniform(long(K) * N, r),
                            db0 = uniform(N, r);
    // Cuts at odd places (not multiples of 6 or 64): the blocks of a split.
    const std::vector<int> row_cuts = {1, M / 3 + 1, M / 2 + 2}, col_cuts = {N / 4 + 1, N / 2 + 3};
    const std::vector<int> k_cuts = {K / 3 + 1, K - 1};
    std::vector<real> y(long(M) * N), y_blocks(long(M) * N);
    matmul_forward_fast(y.data(), X.data(), W.data(), b.data(), M, K, N);
    pieces(M, row_cuts, [&](int i0, int i1) {
      pieces(N, col_cuts, [&](int j0, int j1) {
        matmul_forward_fast_block(y_blocks.data(), X.data(), W.data(), b.data(), M, K, N, i0, i1, j0, j1);
      });
    });
    EXPECT_TRUE(same_bytes(y, y_blocks)) << "forward " << M << "x" << K << "x" << N;

    std::vector<real> dx = dX0, dx_blocks = dX0;
    matmul_backward_input_fast(dx.data(), dY.data(), W.data(), M, K, N);
    pieces(M, row_cuts, [&](int i0, int i1) {
      pieces(K, k_cuts, [&](int k0, int k1) {
        matmul_backward_input_fast_block(dx_blocks.data(), dY.data(), W.data(), M, K, N, i0, i1, k0, k1);
      });
    });
    EXPECT_TRUE(same_bytes(dx, dx_blocks)) << "backward_input " << M << "x" << K << "x" << N;

    std::vector<real> dw = dW0, dw_blocks = dW0, db = db0, db_blocks = db0;
    matmul_backward_params_fast(dw.data(), db.data(), X.data(), dY.data(), M, K, N);
    pieces(K, k_cuts, [&](int k0, int k1) {
      pieces(N, col_cuts, [&](int j0, int j1) {
        matmul_backward_params_fast_block(dw_blocks.data(), k0 == 0 ? db_blocks.data() : nullptr, X.data(),
                                          dY.data(), M, K, N, k0, k1, j0, j1);
      });
    });
    EXPECT_TRUE(same_bytes(dw, dw_blocks)) << "backward_params dW " << M << "x" << K << "x" << N;
    EXPECT_TRUE(same_bytes(db, db_blocks)) << "backward_params db " << M << "x" << K << "x" << N;
  }
}

// -------------------------------------------------------------------- GELU --

#ifndef RQL_DOUBLE
TEST(GeluExpTest, ExpNonnegMatchesLibm) {
  // Relative error against double exp over the whole range [0, 87], chained
  // (tanh_float's, the C export's) and fused (the fast GELU's). Bound: the
  // polynomial's truncation (< 1e-8) plus about ten float roundings of
  // 6e-8 each in the reduction and Horner steps: 1e-6 leaves room, and is
  // still 30x tighter than a wrong coefficient or range reduction gives.
  double worst = 0, worst_fused = 0;
  for (int i = 0; i <= 87000; ++i) {
    const float y = static_cast<float>(i) * 1e-3f;
    const double e = std::exp(static_cast<double>(y));
    worst = std::fmax(worst, std::fabs(static_cast<double>(exp_nonneg_plus<false>(y, 0.0f)) - e) / e);
    worst_fused = std::fmax(worst_fused, std::fabs(static_cast<double>(exp_nonneg_plus<true>(y, 0.0f)) - e) / e);
  }
  EXPECT_LT(worst, 1e-6);
  EXPECT_LT(worst_fused, 1e-6);
  EXPECT_EQ(exp_nonneg_plus<false>(0.0f, 0.0f), 1.0f);
  EXPECT_EQ(exp_nonneg_plus<true>(0.0f, 0.0f), 1.0f);
}
#endif

TEST(GeluExpTest, BackwardMatchesReference) {
  // 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)) exactly; in float the two
  // computations differ by their roundings and exp_nonneg_plus's error: the bound of
  // GeluFastTest.MatchesReference (1e-6 (1 + |x|), 1e-6 (1 + |x|^3)) covers both.
  // In double builds the exp form is the reference formula: exactly equal.
  Rng r = rng_make(4, kStreamData);
  const long n = 4099;
  std::vector<real> x(n), dy(n), dx_ref(n, 0), dx(n, 0);
  for (long i = 0; i < n; ++i) {
    x[i] = static_cast<real>(rng_range(r, -12, 12));
    dy[i] = static_cast<real>(rng_range(r, -1, 1));
  }
  x[0] = 0;
  x[1] = -60;  // beyond the clamp of exp's argument
  x[2] = 60;
  gelu_backward(dx_ref.data(), dy.data(), x.data(), n);
  gelu_backward_exp(dx.data(), dy.data(), x.data(), n);
  for (long i = 0; i < n; ++i) {
    [[maybe_unused]] const double ax = std::fabs(static_cast<double>(x[i]));  // float tolerance only
#ifdef RQL_DOUBLE
    EXPECT_EQ(dx[i], dx_ref[i]) << i;
#else
    EXPECT_NEAR(dx[i], dx_ref[i], 1e-6 * (1 + ax * ax * ax)) << "x = " << x[i];
#endif
  }
  EXPECT_EQ(dx[0], real(0.5) * dy[0]);  // gelu'(0) = 1/2: s = 1/2 exactly, the second term is 0
  EXPECT_EQ(dx[2], dy[2]);               // gelu'(60) = 1: s = 1, 1 - s = 0
}

// --------------------------------------------------------------- LayerNorm --

TEST(LayerNormFastTest, MatchesReference) {
  // Only the order of the row sums differs. A sum of N terms reordered
  // changes by at most 2 N eps sum|terms| (the usual bound, both orders
  // against the exact sum); mean, variance and the backward's two means carry
  // it into every output, whose scale is |xhat| |g| + |beta| ~ 1..4 here:
  // bound 8 N eps (1 + |out|). dg and dbeta are summed over rows in row order
  // as in the reference, from the same mean and rstd: equal exactly.
  Rng r = rng_make(5, kStreamData);
  const double eps = std::numeric_limits<real>::epsilon();
  for (int N : {1, 7, 16, 33, 64, 100, 512}) {
    const int M = 5;
    const std::vector<real> x = uniform(long(M) * N, r, -3, 3), g = uniform(N, r, 0.5, 1.5),
                            beta = uniform(N, r), dy = uniform(long(M) * N, r);
    std::vector<real> y_ref(x.size()), y(x.size()), mean_ref(M), rstd_ref(M), mean(M), rstd(M);
    layernorm_forward(y_ref.data(), mean_ref.data(), rstd_ref.data(), x.data(), g.data(), beta.data(), M, N);
    layernorm_forward_fast(y.data(), mean.data(), rstd.data(), x.data(), g.data(), beta.data(), M, N);
    const double tol = 8.0 * N * eps;
    for (std::size_t e = 0; e < y.size(); ++e)
      EXPECT_NEAR(y[e], y_ref[e], tol * (1 + std::fabs(double(y_ref[e])))) << "N " << N << " element " << e;
    std::vector<real> dx_ref(x.size(), real(0.25)), dx(x.size(), real(0.25)), dg_ref(N, 1), dg(N, 1),
        db_ref(N, -1), db(N, -1);
    layernorm_backward(dx_ref.data(), dg_ref.data(), db_ref.data(), dy.data(), x.data(), mean_ref.data(),
                       rstd_ref.data(), g.data(), M, N);
    layernorm_backward_fast(dx.data(), dg.data(), db.data(), dy.data(), x.data(), mean_ref.data(), rstd_ref.data(),
                            g.data(), M, N);
    for (std::size_t e = 0; e < dx.size(); ++e) {
      const double scale = std::fabs(double(rstd_ref[e / N])) * 4;  // |rstd (dxhat - ...)| <= rstd 4 here
      EXPECT_NEAR(dx[e], dx_ref[e], tol * (1 + scale)) << "N " << N << " element " << e;
    }
    EXPECT_TRUE(same_bytes(dg, dg_ref)) << "N " << N;
    EXPECT_TRUE(same_bytes(db, db_ref)) << "N " << N;
  }
}

// ------------------------------------------------------- threads: updates --

// Big enough that every threaded path runs: products over 2 MFLOP split by
// columns (160 >= 64 per part on 2 threads) and by rows (3 threads), GELU and
// LayerNorm over 32k elements (256 x 160), small ones on the caller.
RqlConfig threaded_config(Reversal reversal) {
  RqlConfig c;
  c.obs_dim = 40;
  c.action_dim = 3;
  c.h = 2;
  c.ensemble_ct = 3;
  c.batch_size = 256;
  c.flow_steps = 3;
  c.actor_hidden_dims = {160, 160};
  c.value_hidden_dims = {160, 160};
  c.actor_layer_norm = true;
  c.layer_norm = true;
  c.reversal = reversal;
  c.seed = 5;
  return c;
}

Batch random_batch(const RqlConfig& c) {
  Rng r = rng_make(77, kStreamData);
  Batch b;
  b.h = c.h;
  b.batch_size = c.batch_size;
  b.obs_dim = c.obs_dim;
  b.action_dim = c.action_dim;
  const long H = c.h + 1, B = c.batch_size;
  b.observations = uniform(H * B * c.obs_dim, r, -2, 2);
  b.actions = uniform(H * B * c.action_dim, r, -0.99, 0.99);
  b.rewards = uniform(H * B, r, -1, 0);
  b.terminals.assign(H * B, 0);
  b.masks.assign(H * B, 1);
  for (long s = 0; s < B; s += 7) b.terminals[c.h * B + s] = 1;  // a few episode ends
  return b;
}

struct RunResult {
  Agent agent;
  std::vector<UpdateMetrics> metrics;
  std::vector<real> actions;
};

// Three updates and one batch of actions with the kernel set `k`.
RunResult run_updates(const RqlConfig& c, const Kernels* k) {
  RunResult out;
  EXPECT_EQ(agent_init(out.agent, c), "");
  agent_set_kernels(out.agent, k);
  const Batch batch = random_batch(c);
  UpdateNoise noise;
  update_noise_alloc(noise, c);
  UpdateWork w;
  update_work_alloc(w, out.agent);
  UpdateOptions options;
  options.grad_metrics = true;
  for (int i = 0; i < 3; ++i) {
    update_noise_sample(noise, c, out.agent.rng_update);
    out.metrics.push_back(rql_update(out.agent, batch, noise, w, options));
  }
  const int B = c.batch_size, A = c.h * c.action_dim;
  Rng r = rng_make(3, kStreamEval);
  const std::vector<real> x0 = uniform(long(B) * A, r, -2, 2);
  std::vector<real> work(flow_sample_work_size(out.agent.actor_shape, B));
  out.actions.resize(std::size_t(B) * A);
  agent_act(out.agent, batch.observations.data(), x0.data(), B, out.actions.data(), work.data());
  return out;
}

void expect_identical(const RunResult& a, const RunResult& b, const char* what) {
  for (int net = 0; net < kAgentNets; ++net)
    EXPECT_TRUE(same_bytes(agent_net_block(a.agent, net), agent_net_block(b.agent, net)))
        << what << ": " << agent_net_name(net);
  EXPECT_TRUE(same_bytes(a.agent.actor_m, b.agent.actor_m)) << what << ": actor Adam m";
  EXPECT_TRUE(same_bytes(a.agent.actor_v, b.agent.actor_v)) << what << ": actor Adam v";
  EXPECT_TRUE(same_bytes(a.agent.value_m, b.agent.value_m)) << what << ": value Adam m";
  EXPECT_TRUE(same_bytes(a.agent.value_v, b.agent.value_v)) << what << ": value Adam v";
  EXPECT_TRUE(same_bytes(a.actions, b.actions)) << what << ": actions";
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    const UpdateMetrics &x = a.metrics[i], &y = b.metrics[i];
    // Every field, compared as doubles (EXPECT_EQ: bit equality but for 0 and -0).
    const double fx[] = {x.total_loss, x.actor_loss,   x.bc_loss,      x.critic_loss,  x.q_mean,
                         x.q_max,      x.q_min,        x.q_ahead_mean, x.q_ahead_max,  x.q_ahead_min,
                         x.grad_max,   x.grad_min,     x.grad_norm,    x.valid_frac};
    const double fy[] = {y.total_loss, y.actor_loss,   y.bc_loss,      y.critic_loss,  y.q_mean,
                         y.q_max,      y.q_min,        y.q_ahead_mean, y.q_ahead_max,  y.q_ahead_min,
                         y.grad_max,   y.grad_min,     y.grad_norm,    y.valid_frac};
    for (std::size_t f = 0; f < sizeof fx / sizeof fx[0]; ++f)
      EXPECT_EQ(std::memcmp(&fx[f], &fy[f], sizeof(double)), 0) << what << ": update " << i << " metric " << f;
    EXPECT_EQ(x.exact_failures, y.exact_failures) << what;
  }
}

class FastKernelsThreadsTest : public ::testing::TestWithParam<Reversal> {};

TEST_P(FastKernelsThreadsTest, UpdatesAreBitIdenticalOnOneTwoAndThreeThreads) {
  const RqlConfig c = threaded_config(GetParam());
  const RunResult plain = run_updates(c, &kernels_fast());  // no pool at all
  for (int threads : {1, 2, 3}) {
    FastKernels fk;
    fast_kernels_start(fk, threads);
    const RunResult r = run_updates(c, &fk.table);
    expect_identical(plain, r, threads == 1 ? "1 thread" : threads == 2 ? "2 threads" : "3 threads");
  }
  // The run changed the agent (a test that compares nothing would pass too).
  Agent fresh;
  ASSERT_EQ(agent_init(fresh, c), "");
  EXPECT_FALSE(same_bytes(fresh.actor, plain.agent.actor));
}

INSTANTIATE_TEST_SUITE_P(Reversals, FastKernelsThreadsTest, ::testing::Values(Reversal::kEuler, Reversal::kExact),
                         [](const ::testing::TestParamInfo<Reversal>& p) {
                           return std::string(p.param == Reversal::kEuler ? "Euler" : "Exact");
                         });

TEST(FastKernelsThreadsTest, DefaultSetStartsTheRequestedThreads) {
  FastKernels fk;
  const Kernels& k = kernels_default(fk, 2);
#if defined(RQL_FAST_KERNELS) && RQL_FAST_KERNELS
  EXPECT_EQ(&k, &fk.table);
  EXPECT_EQ(k.ctx, static_cast<void*>(&fk));
  EXPECT_EQ(fk.pool.threads, 2);
#else
  EXPECT_EQ(&k, &kernels_reference());
#endif
  EXPECT_GE(default_threads(), 1);
}

}  // namespace
}  // namespace rql
