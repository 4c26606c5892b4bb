// golden.cpp: load, run, write and compare golden-vector cases (golden.h,
// docs/spec.md §8 and its format extensions: multistep, policy and sampler cases).
#include "golden.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "checkpoint.h"
#include "error.h"
#include "npy.h"

namespace rql {

namespace {

bool ends_with(const std::string& s, const char* tail) {
  const size_t n = std::char_traits<char>::length(tail);
  return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
}

// "step2.out.q" -> "out.q": a multistep case's prefix does not change what a
// tensor is.
std::string without_step_prefix(const std::string& name) {
  if (name.rfind("step", 0) != 0) return name;
  const size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 4 || name.find_first_not_of("0123456789", 4) != dot) return name;
  return name.substr(dot + 1);
}

// Load dir/name.npy and require exactly `shape`.
NpyArray load_tensor(const std::string& dir, const std::string& name, const std::vector<long>& shape) {
  return npy_load_shaped(dir + "/" + name + ".npy", name, shape);
}

void copy_into(std::vector<real>& dst, const NpyArray& a) {
  dst.resize(a.data.size());
  for (size_t i = 0; i < a.data.size(); ++i) dst[i] = static_cast<real>(a.data[i]);
}

std::vector<long> tensor_shape(const MlpTensor& t) {
  std::vector<long> s;
  for (int i = 0; i < t.rank; ++i) s.push_back(t.shape[i]);
  return s;
}

// A whole number stored in dir/name.npy with `shape`, each in [lo, hi]
// (the sampler's choices, the Adam step count).
std::vector<long> load_integers(const std::string& dir, const std::string& name, const std::vector<long>& shape,
                                long lo, long hi) {
  const NpyArray a = load_tensor(dir, name, shape);
  std::vector<long> v(a.data.size());
  for (size_t i = 0; i < a.data.size(); ++i) {
    const double x = a.data[i];
    if (!(x == std::floor(x) && x >= static_cast<double>(lo) && x <= static_cast<double>(hi)))
      throw Error(dir + "/" + name + ".npy: element " + std::to_string(i) + " is " + std::to_string(x) +
                  ", expected a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    v[i] = static_cast<long>(x);
  }
  return v;
}

// Every tensor of one net's layout as (prefix + name, shape, values); the
// block (params, gradients or Adam moments) has the layout of `shape`.
void append_net(std::vector<GoldenTensor>& out, const std::string& prefix, const MlpShape& shape,
                const real* block) {
  for (int i = 0; i < mlp_tensor_count(shape); ++i) {
    const MlpTensor t = mlp_tensor(shape, i);
    GoldenTensor g;
    g.name = prefix + t.name;
    g.shape = tensor_shape(t);
    g.data.assign(block + t.offset, block + t.offset + t.size);
    out.push_back(std::move(g));
  }
}

// Read the tensors of one net's layout, named prefix + tensor name, into
// `block` (already sized for the layout).
void load_net(const std::string& dir, const std::string& prefix, const MlpShape& shape, std::vector<real>& block) {
  for (int i = 0; i < mlp_tensor_count(shape); ++i) {
    const MlpTensor t = mlp_tensor(shape, i);
    const NpyArray a = load_tensor(dir, prefix + t.name, tensor_shape(t));
    for (long k = 0; k < t.size; ++k) block[static_cast<size_t>(t.offset + k)] = static_cast<real>(a.data[k]);
  }
}

GoldenTensor make_tensor(const std::string& name, std::vector<long> shape, const real* x) {
  GoldenTensor g;
  g.name = name;
  g.shape = std::move(shape);
  long n = 1;
  for (long d : g.shape) n *= d;
  g.data.assign(x, x + n);
  return g;
}

GoldenTensor scalar_tensor(const std::string& name, double v) {
  GoldenTensor g;
  g.name = name;
  g.data.assign(1, v);
  return g;
}

// The batch and the noise of one update, named prefix + "batch.*" and
// prefix + "noise.*" (docs/spec.md §8).
void load_update_inputs(const std::string& dir, const std::string& prefix, const RqlConfig& cfg, Batch& b,
                        UpdateNoise& noise) {
  const long h1 = cfg.h + 1, B = cfg.batch_size, A = static_cast<long>(cfg.h) * cfg.action_dim;
  b.h = cfg.h;
  b.batch_size = cfg.batch_size;
  b.obs_dim = cfg.obs_dim;
  b.action_dim = cfg.action_dim;
  copy_into(b.observations, load_tensor(dir, prefix + "batch.observations", {h1, B, cfg.obs_dim}));
  copy_into(b.actions, load_tensor(dir, prefix + "batch.actions", {h1, B, cfg.action_dim}));
  copy_into(b.rewards, load_tensor(dir, prefix + "batch.rewards", {h1, B}));
  copy_into(b.terminals, load_tensor(dir, prefix + "batch.terminals", {h1, B}));
  copy_into(b.masks, load_tensor(dir, prefix + "batch.masks", {h1, B}));
  copy_into(noise.next_x0, load_tensor(dir, prefix + "noise.next_x0", {B, A}));
  copy_into(noise.d, load_tensor(dir, prefix + "noise.d", {B}));
  copy_into(noise.bc_x0, load_tensor(dir, prefix + "noise.bc_x0", {B, A}));
  copy_into(noise.bc_t, load_tensor(dir, prefix + "noise.bc_t", {B, 1}));
}

// The sampler case's dataset (dataset.* [N, ...]) and choices (sampler.*).
void load_sampler_inputs(const std::string& dir, const RqlConfig& cfg, GoldenInputs& in) {
  const NpyArray rewards = npy_load(dir + "/dataset.rewards.npy");
  if (rewards.shape.size() != 1)
    throw Error(dir + "/dataset.rewards.npy: shape " + npy_shape_text(rewards.shape) + ", expected [N]");
  const long N = rewards.shape[0];
  Dataset& d = in.dataset;
  d.n = N;
  d.obs_dim = cfg.obs_dim;
  d.action_dim = cfg.action_dim;
  copy_into(d.observations, load_tensor(dir, "dataset.observations", {N, cfg.obs_dim}));
  copy_into(d.actions, load_tensor(dir, "dataset.actions", {N, cfg.action_dim}));
  copy_into(d.rewards, rewards);
  copy_into(d.terminals, load_tensor(dir, "dataset.terminals", {N}));
  copy_into(d.masks, load_tensor(dir, "dataset.masks", {N}));
  BatchSampler s;
  const std::string err = batch_sampler_make(s, d);
  if (!err.empty()) throw Error(dir + "/dataset.terminals.npy: " + err);
  const long B = cfg.batch_size, E = static_cast<long>(s.episodes.size());
  in.episode = load_integers(dir, "sampler.episode", {B}, 0, E - 1);
  in.t0 = load_integers(dir, "sampler.t0", {B}, 0, N - 1);
  for (long b = 0; b < B; ++b) {
    const Episode& ep = s.episodes[static_cast<size_t>(in.episode[static_cast<size_t>(b)])];
    const long t0 = in.t0[static_cast<size_t>(b)];
    if (t0 < ep.initial || t0 >= ep.terminal)
      throw Error(dir + "/sampler.t0.npy: row " + std::to_string(b) + " starts at " + std::to_string(t0) +
                  ", outside [" + std::to_string(ep.initial) + ", " + std::to_string(ep.terminal) +
                  ") of its episode (docs/spec.md §3: the last transition is never a start)");
  }
}

// The config text without its `case=` line (replaced by a comment, so that
// config_parse's line numbers stay those of the file); the kind it names.
GoldenKind take_case_line(std::string& text, const std::string& cfg_path) {
  GoldenKind kind = GoldenKind::kUpdate;
  size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string line = text.substr(start, end - start);
    const size_t eq = line.find('=');
    const size_t key0 = line.find_first_not_of(" \t");
    if (eq != std::string::npos && key0 != std::string::npos && line.compare(key0, 4, "case") == 0 &&
        line.find_first_not_of(" \t", key0 + 4) == eq) {
      std::string v = line.substr(eq + 1);
      v.erase(0, v.find_first_not_of(" \t\r"));
      v.erase(v.find_last_not_of(" \t\r") + 1);
      const GoldenKind kinds[] = {GoldenKind::kUpdate, GoldenKind::kMultistep, GoldenKind::kPolicy,
                                  GoldenKind::kSampler};
      bool known = false;
      for (GoldenKind k : kinds)
        if (v == golden_kind_name(k)) kind = k, known = true;
      if (!known)
        throw Error(cfg_path + " line " + std::to_string(line_no) + ": case must be update, multistep, policy " +
                    "or sampler (got '" + v + "')");
      text.replace(start, end - start, "#");
      end = start + 1;
    }
    start = end + 1;
  }
  return kind;
}

}  // namespace

const char* golden_kind_name(GoldenKind kind) {
  switch (kind) {
    case GoldenKind::kUpdate: return "update";
    case GoldenKind::kMultistep: return "multistep";
    case GoldenKind::kPolicy: return "policy";
    case GoldenKind::kSampler: return "sampler";
  }
  return "?";
}

GoldenInputs golden_load(const std::string& dir) {
  const std::string cfg_path = dir + "/config.txt";
  if (!file_exists(cfg_path))
    throw Error(cfg_path + ": cannot open (a golden case folder needs config.txt with docs/spec.md §6 keys)");
  std::string text = read_file_text(cfg_path);
  GoldenInputs in;
  in.kind = take_case_line(text, cfg_path);
  RqlConfig cfg;
  std::string err = config_parse(cfg, text, cfg_path);
  if (err.empty()) err = config_validate(cfg);
  if (!err.empty()) throw Error(err.rfind(cfg_path, 0) == 0 ? err : cfg_path + ": " + err);
  if (in.kind == GoldenKind::kSampler) {  // no networks: the config gives h, B and the dims
    in.agent.cfg = cfg;
    load_sampler_inputs(dir, cfg, in);
    return in;
  }
  err = agent_init(in.agent, cfg);
  if (!err.empty()) throw Error(cfg_path + ": " + err);
  Agent& ag = in.agent;
  if (in.kind == GoldenKind::kPolicy) {
    load_net(dir, "target_actor.", agent_net_shape(ag, 2), ag.target_actor);
    const long B = cfg.batch_size, A = static_cast<long>(cfg.h) * cfg.action_dim;
    copy_into(in.observations, load_tensor(dir, "policy.observations", {B, cfg.obs_dim}));
    copy_into(in.x0, load_tensor(dir, "policy.x0", {B, A}));
    return in;
  }
  // Parameters of the four nets, by their golden names (shared with
  // checkpoint import: same names, shapes and checks).
  checkpoint_import_params(ag, dir);
  const int steps = in.kind == GoldenKind::kMultistep ? kGoldenSteps : 1;
  in.batches.resize(static_cast<size_t>(steps));
  in.noises.resize(static_cast<size_t>(steps));
  for (int k = 0; k < steps; ++k) {
    const std::string prefix = in.kind == GoldenKind::kMultistep ? "step" + std::to_string(k + 1) + "." : "";
    load_update_inputs(dir, prefix, cfg, in.batches[static_cast<size_t>(k)], in.noises[static_cast<size_t>(k)]);
  }
  if (in.kind == GoldenKind::kMultistep) {  // the Adam state: moments in the layout of the params
    load_net(dir, "adam.m.actor.", ag.actor_shape.net, ag.actor_m);
    load_net(dir, "adam.v.actor.", ag.actor_shape.net, ag.actor_v);
    load_net(dir, "adam.m.value.", ag.value_shape, ag.value_m);
    load_net(dir, "adam.v.value.", ag.value_shape, ag.value_v);
    ag.step = load_integers(dir, "adam.step", {}, 0, 1L << 30)[0];
  }
  return in;
}

std::vector<GoldenTensor> golden_run(const GoldenInputs& in) {
  std::vector<GoldenTensor> out;
  const RqlConfig& c = in.agent.cfg;
  const long B = c.batch_size, A = static_cast<long>(c.h) * c.action_dim;
  if (in.kind == GoldenKind::kPolicy) {
    std::vector<real> actions(static_cast<size_t>(B * A));
    std::vector<real> work(static_cast<size_t>(flow_work_size(in.agent.actor_shape, static_cast<int>(B))));
    agent_act(in.agent, in.observations.data(), in.x0.data(), static_cast<int>(B), actions.data(), work.data());
    out.push_back(make_tensor("out.actions", {B, A}, actions.data()));
    return out;
  }
  if (in.kind == GoldenKind::kSampler) {
    Batch b;
    batch_alloc(b, c.h, c.batch_size, c.obs_dim, c.action_dim);
    BatchSampler s;
    batch_sampler_make(s, in.dataset);  // checked by golden_load
    for (long r = 0; r < B; ++r)
      batch_fill_row(in.dataset, s.episodes[static_cast<size_t>(in.episode[static_cast<size_t>(r)])],
                     in.t0[static_cast<size_t>(r)], r, b);
    const long h1 = c.h + 1;
    out.push_back(make_tensor("out.batch.observations", {h1, B, c.obs_dim}, b.observations.data()));
    out.push_back(make_tensor("out.batch.actions", {h1, B, c.action_dim}, b.actions.data()));
    out.push_back(make_tensor("out.batch.rewards", {h1, B}, b.rewards.data()));
    out.push_back(make_tensor("out.batch.terminals", {h1, B}, b.terminals.data()));
    out.push_back(make_tensor("out.batch.masks", {h1, B}, b.masks.data()));
    return out;
  }
  // update, multistep: the same update, once or kGoldenSteps times in a row.
  Agent ag = in.agent;  // the updates change the agent; the inputs stay as loaded
  UpdateWork w;
  update_work_alloc(w, ag);
  const bool multi = in.kind == GoldenKind::kMultistep;
  for (size_t k = 0; k < in.batches.size(); ++k) {
    const std::string p = multi ? "step" + std::to_string(k + 1) + "." : "";
    const UpdateMetrics m = rql_update(ag, in.batches[k], in.noises[k], w);
    const long K = w.K;
    out.push_back(make_tensor(p + "out.reversed_x", {B, A}, w.reversed_x.data()));
    out.push_back(make_tensor(p + "out.reversed_f", {B}, w.reversed_f.data()));
    out.push_back(make_tensor(p + "out.q", {K, B}, w.q.data()));
    out.push_back(make_tensor(p + "out.next_q", {B}, w.next_q.data()));
    out.push_back(make_tensor(p + "out.target", {B}, w.target.data()));
    out.push_back(make_tensor(p + "out.valid", {B}, w.valid.data()));
    out.push_back(scalar_tensor(p + "out.critic_loss", m.critic_loss));
    out.push_back(scalar_tensor(p + "out.bc_loss", m.bc_loss));
    out.push_back(scalar_tensor(p + "out.actor_loss", m.actor_loss));  // L_q alone (the authors' name)
    out.push_back(scalar_tensor(p + "out.total_loss", m.total_loss));
    append_net(out, p + "grad.actor.", ag.actor_shape.net, w.dactor.data());
    append_net(out, p + "grad.value.", ag.value_shape, w.dvalue.data());
    for (int net = 0; net < kAgentNets; ++net)
      append_net(out, p + "after." + agent_net_name(net) + ".", agent_net_shape(ag, net),
                 agent_net_block(ag, net).data());
    if (multi) {
      append_net(out, p + "after.adam.m.actor.", ag.actor_shape.net, ag.actor_m.data());
      append_net(out, p + "after.adam.m.value.", ag.value_shape, ag.value_m.data());
      append_net(out, p + "after.adam.v.actor.", ag.actor_shape.net, ag.actor_v.data());
      append_net(out, p + "after.adam.v.value.", ag.value_shape, ag.value_v.data());
      out.push_back(scalar_tensor(p + "after.adam.step", static_cast<double>(ag.step)));
    }
  }
  return out;
}

void golden_write(const std::string& dir, const std::vector<GoldenTensor>& outputs) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create the folder: " + ec.message());
  for (const GoldenTensor& t : outputs) {
    if (ends_with(t.name, "after.adam.step")) {
      const int32_t step = static_cast<int32_t>(t.data[0]);  // an integer, <i4 as in the case
      npy_save_i32(dir + "/" + t.name + ".npy", t.shape, &step);
    } else {
      npy_save(dir + "/" + t.name + ".npy", t.shape, t.data.data());
    }
  }
}

GoldenTolerance golden_tolerance_float(const std::string& name);

GoldenTolerance golden_tolerance(const std::string& name) {
  // Allowed |got - want| = atol + rtol |want| + stol max|want of the tensor|.
  // The reference is float64 rounded to float32 (tools/make_golden.py); a
  // float build adds its own float32 rounding, grown through F sequential
  // flow steps, K members and the backward. The bounds below are 6x (out.q) to
  // 30x (gradients) the worst error measured over all committed cases
  // (docs/verify.md, "Tolerances"): loose enough for a different summation order, tight
  // enough that a wrong term, factor or missing mask fails by orders of
  // magnitude. The double build only sees the reference's float32 rounding
  // (plus float32 inputs), so the same bounds are scaled down 20x, but never
  // below the reference's own output rounding (half a float32 ulp, 6e-8
  // relative: rtol >= 2e-7).
  const GoldenTolerance t = golden_tolerance_float(name);
#ifdef RQL_DOUBLE
  if (t.atol == 0 && t.rtol == 0 && t.stol == 0) return t;
  return {t.atol * 0.05, std::fmax(t.rtol * 0.05, 2e-7), t.stol * 0.05};
#else
  return t;
#endif
}

GoldenTolerance golden_tolerance_float(const std::string& full_name) {
  const std::string name = without_step_prefix(full_name);
  auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  if (name == "out.valid" || starts("out.batch.")) return {0, 0, 0};              // exact: 0/1, copied rows
  if (name == "after.adam.step") return {0, 0, 0};                                // an integer
  if (starts("out.reversed") || name == "out.actions") return {2e-6, 2e-5, 0};   // F net evaluations
  if (starts("out.") && name.find("_loss") != std::string::npos) return {2e-8, 2e-5, 0};
  if (starts("out.")) return {4e-6, 4e-5, 0};                                // q, next_q, target
  if (starts("grad.")) return {0, 2e-4, 2e-5};                               // relative to the tensor's scale
  // Adam moments (multistep cases): m = b1 m + (1 - b1) g carries a tenth of
  // the gradient's error; v = b2 v + (1 - b2) g^2 is dominated by b2 v, so
  // little more than its own rounding reaches it.
  if (starts("after.adam.m.")) return {0, 1e-4, 1e-5};
  if (starts("after.adam.v.")) return {0, 3e-5, 3e-6};
  if (starts("after.")) return {1e-7, 1e-6, 0};                              // p - lr m^/(sqrt(v^) + eps), rounded
  return {1e-7, 1e-6, 0};
}

namespace {

// The one element-wise comparison: `got` against `want` under the tolerance
// of `name`. Shapes must already agree.
void compare_values(const std::string& name, const std::vector<double>& got, const std::vector<double>& want,
                    GoldenDiff& d) {
  const GoldenTolerance tol = golden_tolerance(name);
  double scale = 0;
  for (double v : want) scale = std::fmax(scale, std::fabs(v));
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]);
    const double allowed = tol.atol + tol.rtol * std::fabs(want[i]) + tol.stol * scale;
    const double ratio = allowed > 0 ? err / allowed : (err > 0 ? HUGE_VAL : 0.0);
    if (!(ratio <= d.ratio) || d.worst_index < 0) {  // NaN counts as worst
      d.ratio = ratio;
      d.worst_index = static_cast<long>(i);
      d.got = got[i];
      d.want = want[i];
    }
  }
  d.ok = d.ratio <= 1.0;
}

}  // namespace

std::vector<GoldenDiff> golden_compare(const std::string& dir, const std::vector<GoldenTensor>& outputs) {
  std::vector<GoldenDiff> diffs;
  for (const GoldenTensor& t : outputs) {
    GoldenDiff d;
    d.name = t.name;
    const std::string path = dir + "/" + t.name + ".npy";
    if (!file_exists(path)) {
      d.missing = true;
      d.error = path + ": missing";
    } else {
      const NpyArray want = npy_load(path);
      if (want.shape != t.shape)
        d.error = path + ": shape " + npy_shape_text(want.shape) + ", computed " + npy_shape_text(t.shape);
      else
        compare_values(t.name, t.data, want.data, d);
    }
    diffs.push_back(d);
  }
  return diffs;
}

bool golden_is_output(const std::string& name) {
  const std::string n = without_step_prefix(name);
  return n.rfind("out.", 0) == 0 || n.rfind("grad.", 0) == 0 || n.rfind("after.", 0) == 0;
}

GoldenComparison golden_compare_outputs(const std::string& case_dir, const std::string& port_dir) {
  namespace fs = std::filesystem;
  auto npy_names = [](const std::string& dir, bool outputs_only) {
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) throw Error(dir + ": cannot list the folder: " + ec.message());
    for (const fs::directory_entry& e : it) {
      const std::string f = e.path().filename().string();
      if (!outputs_only) names.push_back(f);
      else if (ends_with(f, ".npy") && golden_is_output(f.substr(0, f.size() - 4))) names.push_back(f.substr(0, f.size() - 4));
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> expected = npy_names(case_dir, true);
  if (expected.empty())
    throw Error(case_dir + ": no expected outputs (out.*, grad.*, after.* .npy files): not a golden case folder");
  GoldenComparison c;
  for (const std::string& name : expected) {
    GoldenDiff d;
    d.name = name;
    const std::string path = port_dir + "/" + name + ".npy";
    if (!file_exists(path)) {
      d.missing = true;
      d.error = path + ": missing";
    } else {
      const NpyArray want = npy_load(case_dir + "/" + name + ".npy");
      const NpyArray got = npy_load(path);
      if (got.shape != want.shape)
        d.error = path + ": shape " + npy_shape_text(got.shape) + ", the case has " + npy_shape_text(want.shape);
      else
        compare_values(name, got.data, want.data, d);
    }
    c.diffs.push_back(d);
  }
  for (const std::string& f : npy_names(port_dir, false)) {
    if (!ends_with(f, ".npy") || !std::binary_search(expected.begin(), expected.end(), f.substr(0, f.size() - 4)))
      c.extra.push_back(f);
  }
  return c;
}

}  // namespace rql
