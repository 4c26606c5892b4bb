// memory.cpp: the memory formulas of memory.h, in checked 64-bit arithmetic.
#include "memory.h"

#include <vector>

#include "rql.h"  // kWorkAlign

namespace rql {

namespace {

// Checked arithmetic: a step that would exceed 2^64 - 1, or an operand that
// is already not ok, gives ok = false.
MemSize m_of(long long x) {
  MemSize m;
  if (x < 0) m.ok = false;
  else m.n = static_cast<uint64_t>(x);
  return m;
}

MemSize m_add(MemSize a, MemSize b) {
  MemSize m;
  m.ok = a.ok && b.ok && a.n <= UINT64_MAX - b.n;
  m.n = m.ok ? a.n + b.n : 0;
  return m;
}

MemSize m_mul(MemSize a, MemSize b) {
  MemSize m;
  m.ok = a.ok && b.ok && (a.n == 0 || b.n <= UINT64_MAX / a.n);
  m.n = m.ok ? a.n * b.n : 0;
  return m;
}

MemSize m_mul(MemSize a, long long b) { return m_mul(a, m_of(b)); }

MemSize m_align(MemSize a) {  // rounded up to a multiple of kWorkAlign
  const MemSize up = m_add(a, m_of(kWorkAlign - 1));
  MemSize m;
  m.ok = up.ok;
  m.n = up.n / kWorkAlign * kWorkAlign;
  return m;
}

MemSize m_bytes(MemSize reals) { return m_mul(reals, static_cast<long long>(sizeof(real))); }

// One MLP's geometry, from the config's numbers.
struct MlpDims {
  MemSize in;
  std::vector<int> hidden;
  MemSize out;
  bool layer_norm;
};

MemSize mlp_params_per_member(const MlpDims& m) {
  MemSize n, prev = m.in;
  for (int d : m.hidden) {
    n = m_add(n, m_add(m_mul(prev, d), m_of(d)));
    if (m.layer_norm) n = m_add(n, m_of(2LL * d));
    prev = m_of(d);
  }
  return m_add(n, m_add(m_mul(prev, m.out), m.out));
}

MemSize mlp_cache_per_member(const MlpDims& m, int rows) {
  MemSize n;
  for (int d : m.hidden) {
    n = m_add(n, m_mul(m_of(2LL * d), rows));  // z and GELU output
    if (m.layer_norm) n = m_add(n, m_add(m_mul(m_of(d), rows), m_of(2LL * rows)));  // LN output, mean, rstd
  }
  return m_add(n, m_mul(m.out, rows));
}

MemSize mlp_scratch(const MlpDims& m, int rows) {
  MemSize widest = m.out;
  for (int d : m.hidden)
    if (static_cast<uint64_t>(d) > widest.n) widest.n = static_cast<uint64_t>(d);
  return m_mul(m_of(2LL * rows), widest);
}

MemSize chunk_dim(const RqlConfig& c) { return m_mul(m_of(c.h), c.action_dim); }  // A
MemSize value_in_dim(const RqlConfig& c) { return m_add(m_of(c.obs_dim), m_add(chunk_dim(c), m_of(1))); }

MlpDims actor_dims(const RqlConfig& c) { return {value_in_dim(c), c.actor_hidden_dims, chunk_dim(c), c.actor_layer_norm}; }

MlpDims value_dims(const RqlConfig& c) { return {value_in_dim(c), c.value_hidden_dims, m_of(1), c.layer_norm}; }

bool dims_ok(const MlpDims& m) {
  bool ok = m.in.ok && m.out.ok && m.out.n >= 1;
  for (int d : m.hidden) ok = ok && d >= 1;
  return ok;
}

MemSize actor_params(const RqlConfig& c) {
  const MlpDims m = actor_dims(c);
  MemSize n = mlp_params_per_member(m);
  if (!dims_ok(m)) n.ok = false;
  return n;
}

MemSize value_params(const RqlConfig& c) {
  const MlpDims m = value_dims(c);
  MemSize n = m_mul(mlp_params_per_member(m), c.ensemble_ct);
  if (!dims_ok(m)) n.ok = false;
  return n;
}

// Reals of flow_sample_work_size and flow_exact_work_size for the actor.
MemSize act_work_reals(const RqlConfig& c, int rows) {
  const MlpDims m = actor_dims(c);
  MemSize n = m_mul(m.in, rows);                  // input (rows, vin)
  n = m_add(n, mlp_cache_per_member(m, rows));    // activations
  n = m_add(n, mlp_scratch(m, rows));             // backward scratch
  n = m_add(n, m_of(rows));                       // t
  n = m_add(n, m_mul(chunk_dim(c), rows));        // v (rows, A)
  if (!dims_ok(m) || rows < 0) n.ok = false;
  return n;
}

MemSize exact_work_reals(const RqlConfig& c, int rows) {
  // t, div, live, failed, t_live (rows); x, x_live, v (rows, A); s_live (rows, D)
  MemSize n = m_mul(m_of(5), rows);
  n = m_add(n, m_mul(m_mul(chunk_dim(c), rows), 3));
  return m_add(n, m_mul(m_of(c.obs_dim), rows));
}

}  // namespace

MemSize rql_param_count(const RqlConfig& c) { return m_add(actor_params(c), value_params(c)); }

MemSize rql_state_bytes(const RqlConfig& c) {
  // online, target, Adam m, Adam v: four blocks of each net
  return m_bytes(m_mul(rql_param_count(c), 4));
}

MemSize act_work_bytes(const RqlConfig& c, int rows) { return m_bytes(act_work_reals(c, rows)); }

MemSize update_work_bytes(const RqlConfig& c) {
  const int B = c.batch_size;
  const MemSize A = chunk_dim(c), b = m_of(B), BA = m_mul(A, B), KB = m_mul(m_of(c.ensemble_ct), B);
  const MemSize Bvin = m_mul(value_in_dim(c), B), rt = m_mul(m_of(c.h + 1LL), B);
  const MlpDims v = value_dims(c);
  const MemSize value_cache = m_mul(mlp_cache_per_member(v, B), c.ensemble_ct);
  const MemSize flow = m_add(act_work_reals(c, B), exact_work_reals(c, B));
  // The views of UpdateWork in arena order (rql.cpp, kWorkViews).
  const MemSize views[] = {BA,   rt,   b,  b,  b,    b,    KB,   BA,          b,
                           KB,   KB,   BA, BA, BA,   BA,   b,    b,           KB,
                           KB,   Bvin, Bvin, value_cache, mlp_scratch(v, B), flow, actor_params(c),
                           value_params(c)};
  MemSize n;
  for (const MemSize& x : views) n = m_add(n, m_align(x));
  if (!dims_ok(v)) n.ok = false;
  return m_bytes(n);
}

MemSize update_inputs_bytes(const RqlConfig& c) {
  // Batch (h+1, B, ..): observations D, actions action_dim, rewards,
  // terminals, masks; noise: next_x0, bc_x0 (B, A), d, bc_t (B).
  const MemSize rows = m_mul(m_of(c.h + 1LL), c.batch_size);
  const MemSize per_row = m_add(m_of(c.obs_dim), m_of(c.action_dim + 3LL));
  const MemSize noise = m_add(m_mul(m_mul(chunk_dim(c), c.batch_size), 2), m_of(2LL * c.batch_size));
  return m_bytes(m_add(m_mul(rows, per_row), noise));
}

namespace {

std::string size_text(const MemSize& m) { return m.ok ? std::to_string(m.n) + " bytes" : "more than 2^64 bytes"; }

}  // namespace

std::string config_check_sizes(const RqlConfig& c) {
  struct Buffer {
    const char* what;
    MemSize bytes;
  };
  const Buffer buffers[] = {
      {"one copy of the actor's parameters", m_bytes(actor_params(c))},
      {"one copy of the value ensemble's parameters", m_bytes(value_params(c))},
      {"the update's working memory (update_work_bytes)", update_work_bytes(c)},
      {"one batch and its noise (update_inputs_bytes)", update_inputs_bytes(c)},
      {"one action sample (act_work_bytes)", act_work_bytes(c, 1)},
  };
  const uint64_t limit = kMaxBufferReals * sizeof(real) < kMaxBufferBytes ? kMaxBufferReals * sizeof(real)
                                                                           : kMaxBufferBytes;
  for (const Buffer& b : buffers)
    if (!b.bytes.ok || b.bytes.n > limit)
      return "the config is too large: " + std::string(b.what) + " would take " + size_text(b.bytes) +
             ", more than the core's limit of " + std::to_string(limit) +
             " bytes per buffer (2^31 - 1 reals, 2^32 - 1 bytes: it indexes with 32-bit int/long and sizes "
             "with a 32-bit size_t on a microcontroller); reduce batch_size, ensemble_ct, h, obs_dim, "
             "action_dim or the hidden dims";
  return "";
}

}  // namespace rql
