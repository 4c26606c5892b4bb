// test_memory.cpp: the memory formulas (core/memory.h) against what the
// core actually allocates, a hand-counted case, overflow detection, and the
// caller-supplied arena of UpdateWork (rql.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/memory.h"
#include "core/rql.h"
#include "support/alloc_counter.h"

namespace rql {
namespace {

RqlConfig config(int obs, int act, int h, int K, int B, std::vector<int> actor, std::vector<int> value, bool ln,
                 bool actor_ln) {
  RqlConfig c;
  c.obs_dim = obs;
  c.action_dim = act;
  c.h = h;
  c.ensemble_ct = K;
  c.batch_size = B;
  c.actor_hidden_dims = actor;
  c.value_hidden_dims = value;
  c.layer_norm = ln;
  c.actor_layer_norm = actor_ln;
  c.flow_steps = 4;
  return c;
}

template <class V>
uint64_t bytes_of(const V& v) {
  return static_cast<uint64_t>(v.size()) * sizeof(real);
}

class MemoryFormulaTest : public ::testing::TestWithParam<RqlConfig> {};

TEST_P(MemoryFormulaTest, FormulasEqualWhatAgentInitAndUpdateWorkAllocAllocate) {
  const RqlConfig c = GetParam();
  Agent a;
  ASSERT_EQ(agent_init(a, c), "");
  const MemSize params = rql_param_count(c), state = rql_state_bytes(c), update = update_work_bytes(c),
                inputs = update_inputs_bytes(c);
  ASSERT_TRUE(params.ok && state.ok && update.ok && inputs.ok);
  EXPECT_EQ(params.n, a.actor.size() + a.value.size());
  const uint64_t state_allocated = bytes_of(a.actor) + bytes_of(a.value) + bytes_of(a.target_actor) +
                                   bytes_of(a.target_value) + bytes_of(a.actor_m) + bytes_of(a.actor_v) +
                                   bytes_of(a.value_m) + bytes_of(a.value_v);
  EXPECT_EQ(state.n, state_allocated);

  UpdateWork w;
  update_work_alloc(w, a);
  EXPECT_EQ(update.n, bytes_of(w.owned));
  EXPECT_EQ(static_cast<uint64_t>(update_work_size(a)) * sizeof(real), update.n);

  for (int rows : {1, 3, c.batch_size}) {
    const MemSize act = act_work_bytes(c, rows);
    ASSERT_TRUE(act.ok);
    EXPECT_EQ(act.n, static_cast<uint64_t>(flow_sample_work_size(a.actor_shape, rows)) * sizeof(real)) << rows;
  }

  Batch b;
  batch_alloc(b, c.h, c.batch_size, c.obs_dim, c.action_dim);
  UpdateNoise n;
  update_noise_alloc(n, c);
  EXPECT_EQ(inputs.n, bytes_of(b.observations) + bytes_of(b.actions) + bytes_of(b.rewards) + bytes_of(b.terminals) +
                          bytes_of(b.masks) + bytes_of(n.next_x0) + bytes_of(n.d) + bytes_of(n.bc_x0) +
                          bytes_of(n.bc_t));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, MemoryFormulaTest,
    ::testing::Values(config(3, 2, 1, 1, 2, {4}, {5}, false, false), config(3, 2, 3, 2, 8, {7, 5}, {6, 5}, true, true),
                      config(11, 3, 5, 10, 16, {32, 16, 8}, {9, 9, 9, 9}, true, false),
                      config(29, 8, 1, 4, 32, {64, 64}, {64, 64}, true, false)));

TEST(MemoryTest, ParameterCountByHand) {
  // obs 3, action 2, h 1: A = 2, input [s, x, t] = 3 + 2 + 1 = 6.
  //   actor {4}, no LN:   6*4 + 4 + 4*2 + 2                 = 38
  //   value {5}, LN, K 2: (6*5 + 5 + 2*5 + 5*1 + 1) * 2     = 51 * 2 = 102
  const RqlConfig c = config(3, 2, 1, 2, 2, {4}, {5}, true, false);
  EXPECT_EQ(rql_param_count(c).n, 140u);
  EXPECT_EQ(rql_state_bytes(c).n, 4u * 140u * sizeof(real));
  // One action sample, 1 row: input 6, actor cache 2*4 (z, GELU) + 2 (output),
  // scratch 2*4, t 1, v 2: 6 + 10 + 8 + 1 + 2 = 27 reals.
  EXPECT_EQ(act_work_bytes(c, 1).n, 27u * sizeof(real));
}

TEST(MemoryTest, OverflowIsFlaggedNeverWrapped) {
  // K 2^30 members of 2^20-wide layers at B 2^30: the value caches alone
  // are 2^30 * 2 * 2^30 * 2^20 reals, past 2^64; the parameters are
  // 2^30 members of more than 2^40 each, 2^70.
  RqlConfig c = config(3, 2, 1, 1 << 30, 1 << 30, {4}, {1 << 20, 1 << 20}, true, false);
  EXPECT_FALSE(update_work_bytes(c).ok);
  EXPECT_FALSE(rql_param_count(c).ok);
  EXPECT_FALSE(rql_state_bytes(c).ok);
  EXPECT_NE(config_validate(c).find("more than 2^64 bytes"), std::string::npos) << config_validate(c);
  // A negative size is not a size.
  c = config(3, 2, 1, 2, 2, {4}, {5}, true, false);
  c.obs_dim = -5;
  EXPECT_FALSE(rql_param_count(c).ok);
  EXPECT_FALSE(act_work_bytes(c, -1).ok);
}

TEST(MemoryTest, ConfigValidateRefusesSizesBeyondIntIndexing) {
  // h * action_dim = 2^16 * 2^16 = 2^32 overflows int: refused with the size.
  RqlConfig c = config(3, 1 << 16, 1 << 16, 2, 2, {4}, {5}, true, false);
  std::string err = config_validate(c);
  EXPECT_NE(err.find("too large"), std::string::npos) << err;
  // obs_dim 2^31 - 1: obs_dim + A + 1 overflows int.
  c = config(2147483647, 2, 1, 2, 2, {4}, {5}, true, false);
  err = config_validate(c);
  EXPECT_NE(err.find("too large"), std::string::npos) << err;
  // A 2^20 x 2^20 hidden layer: 2^40 parameters, 4 TiB in float. The message
  // names the buffer and gives its computed size in bytes.
  c = config(3, 2, 1, 1, 2, {4}, {1 << 20, 1 << 20}, true, false);
  err = config_validate(c);
  EXPECT_NE(err.find("value ensemble's parameters"), std::string::npos) << err;
  const uint64_t value_bytes = ((6ull << 20) + (1ull << 20) + (2ull << 20) + (1ull << 40) + (1ull << 20) +
                                (2ull << 20) + (1ull << 20) + 1) * sizeof(real);
  EXPECT_NE(err.find(std::to_string(value_bytes) + " bytes"), std::string::npos) << err;
  // Just inside the limit is accepted (a 16x16 net is far inside it).
  EXPECT_EQ(config_validate(config(3, 2, 1, 2, 2, {16}, {16}, true, false)), "");
}

TEST(UpdateWorkTest, CallerArenaGivesTheSameUpdateAsTheVectorConvenience) {
  const RqlConfig c = config(3, 2, 3, 2, 8, {7, 5}, {6, 5}, true, true);
  Agent a, b;
  ASSERT_EQ(agent_init(a, c), "");
  b = a;
  Batch batch;
  batch_alloc(batch, c.h, c.batch_size, c.obs_dim, c.action_dim);
  Rng r = rng_make(4, kStreamData);
  for (real& x : batch.observations) x = rng_normal(r);
  for (real& x : batch.actions) x = rng_range(r, real(-0.9), real(0.9));
  for (real& x : batch.rewards) x = rng_range(r, real(-1), real(0));
  for (real& x : batch.masks) x = 1;
  UpdateNoise noise;
  update_noise_alloc(noise, c);
  update_noise_sample(noise, c, a.rng_update);

  UpdateWork owned;
  update_work_alloc(owned, a);
  // The caller's arena, sized by the formula, with a guard value past its end.
  const long n = static_cast<long>(update_work_bytes(c).n / sizeof(real));
  std::vector<real> arena(n + 1, real(7));
  UpdateWork carved;
  const long before = rql_test_allocations();
  update_work_init(carved, b, arena.data());
  EXPECT_EQ(rql_test_allocations() - before, 0);
  EXPECT_TRUE(carved.owned.empty());

  const UpdateMetrics ma = rql_update(a, batch, noise, owned);
  const UpdateMetrics mb = rql_update(b, batch, noise, carved);
  EXPECT_EQ(ma.total_loss, mb.total_loss);
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(arena[n], real(7));  // nothing written past the formula's size
  // Every view lies inside the arena.
  for (const RealSpan* v : {&carved.a, &carved.dactor, &carved.dvalue, &carved.flow_work}) {
    EXPECT_GE(v->ptr, arena.data());
    EXPECT_LE(v->ptr + v->n, arena.data() + n);
  }
}

TEST(UpdateWorkTest, CopyOwnsItsOwnArena) {
  const RqlConfig c = config(3, 2, 1, 2, 4, {4}, {5}, true, false);
  Agent a;
  ASSERT_EQ(agent_init(a, c), "");
  UpdateWork w;
  update_work_alloc(w, a);
  w.dactor[0] = 3;
  UpdateWork copy = w;
  EXPECT_NE(copy.dactor.data(), w.dactor.data());
  EXPECT_EQ(copy.dactor[0], real(3));
  EXPECT_GE(copy.dactor.data(), copy.owned.data());
  EXPECT_LT(copy.dactor.data(), copy.owned.data() + copy.owned.size());
  w.dactor[0] = 5;
  EXPECT_EQ(copy.dactor[0], real(3));  // independent of the original
}

}  // namespace
}  // namespace rql
