// mlp.cpp: MLP forward and backward (docs/spec.md §1) over one parameter block.
// See mlp.h for the layout and docs/backprop.md for the derivations.
#include "mlp.h"

#include <cstdio>
#include <cstring>

#include "layers.h"

namespace rql {

bool mlp_shape_make(MlpShape* shape, int in_dim, const int* hidden, int n_hidden, int out_dim, bool layer_norm,
                    int members, bool ensemble_axis) {
  if (n_hidden < 0 || n_hidden + 1 > kMaxLayers || in_dim < 1 || out_dim < 1 || members < 1) return false;
  for (int i = 0; i < n_hidden; ++i)
    if (hidden[i] < 1) return false;
  MlpShape s;
  s.in_dim = in_dim;
  s.n_layers = n_hidden + 1;
  for (int i = 0; i < n_hidden; ++i) s.dims[i] = hidden[i];
  s.dims[n_hidden] = out_dim;
  s.layer_norm = layer_norm;
  s.members = members;
  s.ensemble_axis = ensemble_axis;
  *shape = s;
  return true;
}

int mlp_out_dim(const MlpShape& s) { return s.dims[s.n_layers - 1]; }

int mlp_max_width(const MlpShape& s) {
  int w = 0;
  for (int i = 0; i < s.n_layers; ++i) w = s.dims[i] > w ? s.dims[i] : w;
  return w;
}

namespace {

int layer_in(const MlpShape& s, int i) { return i == 0 ? s.in_dim : s.dims[i - 1]; }
bool has_ln(const MlpShape& s, int i) { return s.layer_norm && i < s.n_layers - 1; }

// Tensor list in golden order: per layer, kernel, bias, then LN scale and bias.
// `member_size` is the size of one member's slice.
struct TensorDesc {
  int layer;
  int kind;  // 0 kernel, 1 bias, 2 ln scale, 3 ln bias
  long member_size;
};

int tensors_of_layer(const MlpShape& s, int i) { return has_ln(s, i) ? 4 : 2; }

TensorDesc describe(const MlpShape& s, int index) {
  for (int i = 0; i < s.n_layers; ++i) {
    const int n = tensors_of_layer(s, i);
    if (index < n) {
      const long size = index == 0 ? static_cast<long>(layer_in(s, i)) * s.dims[i] : s.dims[i];
      return {i, index, size};
    }
    index -= n;
  }
  return {-1, -1, 0};
}

}  // namespace

int mlp_tensor_count(const MlpShape& s) {
  int n = 0;
  for (int i = 0; i < s.n_layers; ++i) n += tensors_of_layer(s, i);
  return n;
}

MlpTensor mlp_tensor(const MlpShape& s, int index) {
  MlpTensor t{};
  long offset = 0;
  for (int k = 0; k < index; ++k) offset += describe(s, k).member_size * s.members;
  const TensorDesc d = describe(s, index);
  static const char* const kKinds[4] = {"dense%d.kernel", "dense%d.bias", "ln%d.scale", "ln%d.bias"};
  std::snprintf(t.name, sizeof t.name, kKinds[d.kind], d.layer);
  t.offset = offset;
  t.size = d.member_size * s.members;
  t.rank = 0;
  if (s.ensemble_axis) t.shape[t.rank++] = s.members;
  if (d.kind == 0) t.shape[t.rank++] = layer_in(s, d.layer);
  t.shape[t.rank++] = s.dims[d.layer];
  return t;
}

long mlp_param_count(const MlpShape& s) {
  long n = 0;
  for (int k = 0; k < mlp_tensor_count(s); ++k) n += describe(s, k).member_size * s.members;
  return n;
}

MlpGrads mlp_grads(const MlpShape& s, real* block, int member) {
  MlpGrads v{};
  real* p = block;  // walks tensor by tensor; member k's slice is at k * member_size
  for (int i = 0; i < s.n_layers; ++i) {
    const long w_size = static_cast<long>(layer_in(s, i)) * s.dims[i], d = s.dims[i];
    v.W[i] = p + member * w_size;
    p += w_size * s.members;
    v.b[i] = p + member * d;
    p += d * s.members;
    if (has_ln(s, i)) {
      v.g[i] = p + member * d;
      p += d * s.members;
      v.beta[i] = p + member * d;
      p += d * s.members;
    }
  }
  return v;
}

MlpParams mlp_params(const MlpShape& s, const real* block, int member) {
  // Same walk as mlp_grads; the block is only read through the result.
  const MlpGrads g = mlp_grads(s, const_cast<real*>(block), member);
  MlpParams v{};
  for (int i = 0; i < s.n_layers; ++i) {
    v.W[i] = g.W[i];
    v.b[i] = g.b[i];
    v.g[i] = g.g[i];
    v.beta[i] = g.beta[i];
  }
  return v;
}

void mlp_init(const MlpShape& s, real* block, Rng& rng) {
  for (int k = 0; k < s.members; ++k) {
    const MlpGrads v = mlp_grads(s, block, k);
    for (int i = 0; i < s.n_layers; ++i) {
      dense_init(v.W[i], v.b[i], layer_in(s, i), s.dims[i], rng);
      if (has_ln(s, i))
        for (int j = 0; j < s.dims[i]; ++j) {
          v.g[i][j] = 1;
          v.beta[i][j] = 0;
        }
    }
  }
}

// ---- Cache layout for B rows, per hidden layer i (width d = dims[i]):
//   z (B, d) Dense output, a (B, d) GELU output, [n (B, d) LayerNorm output,
//   mean (B), rstd (B)];  output layer: z (B, d_out), the network's output.
namespace {

struct LayerCache {
  real* z;
  real* a;
  real* n;
  real* mean;
  real* rstd;
};

long layer_cache_size(const MlpShape& s, int i, int B) {
  const long bd = static_cast<long>(B) * s.dims[i];
  if (i == s.n_layers - 1) return bd;
  return 2 * bd + (has_ln(s, i) ? bd + 2L * B : 0);
}

LayerCache layer_cache(const MlpShape& s, int i, int B, const real* cache) {
  real* c = const_cast<real*>(cache);  // the cache is the caller's working memory
  for (int k = 0; k < i; ++k) c += layer_cache_size(s, k, B);
  const long bd = static_cast<long>(B) * s.dims[i];
  LayerCache lc{c, nullptr, nullptr, nullptr, nullptr};
  if (i == s.n_layers - 1) return lc;
  lc.a = c + bd;
  if (has_ln(s, i)) {
    lc.n = c + 2 * bd;
    lc.mean = c + 3 * bd;
    lc.rstd = c + 3 * bd + B;
  }
  return lc;
}

// The input of layer i: x for the first, else the previous hidden output.
const real* layer_input(const MlpShape& s, int i, int B, const real* x, const real* cache) {
  if (i == 0) return x;
  const LayerCache prev = layer_cache(s, i - 1, B, cache);
  return has_ln(s, i - 1) ? prev.n : prev.a;
}

}  // namespace

long mlp_cache_size(const MlpShape& s, int rows) {
  long n = 0;
  for (int i = 0; i < s.n_layers; ++i) n += layer_cache_size(s, i, rows);
  return n;
}

long mlp_scratch_size(const MlpShape& s, int rows) { return 2L * rows * mlp_max_width(s); }

namespace {
const Kernels& kernels_of(const MlpShape& s) { return s.kernels ? *s.kernels : kernels_reference(); }
}  // namespace

const real* mlp_forward(const MlpShape& s, const MlpParams& p, const real* x, int B, real* cache) {
  const Kernels& k = kernels_of(s);
  for (int i = 0; i < s.n_layers; ++i) {
    const LayerCache c = layer_cache(s, i, B, cache);
    const int d = s.dims[i];
    k.matmul_forward(k.ctx, c.z, layer_input(s, i, B, x, cache), p.W[i], p.b[i], B, layer_in(s, i), d);
    if (i == s.n_layers - 1) return c.z;
    k.gelu_forward(k.ctx, c.a, c.z, static_cast<long>(B) * d);
    if (has_ln(s, i)) k.layernorm_forward(k.ctx, c.n, c.mean, c.rstd, c.a, p.g[i], p.beta[i], B, d);
  }
  return nullptr;  // unreachable: n_layers >= 1
}

namespace {

// Shared by the full and the input-only backward; dp == nullptr means "no
// parameter gradients" (only mlp_backward_input passes it).
void backward(const MlpShape& s, const MlpParams& p, const MlpGrads* dp, const real* x, int B, const real* cache,
              const real* dy, real* dx, real* scratch) {
  const Kernels& k = kernels_of(s);
  const long half = static_cast<long>(B) * mlp_max_width(s);
  real* buf[2] = {scratch, scratch + half};
  const real* g = dy;  // dL/d(output of layer i), (B, dims[i])
  for (int i = s.n_layers - 1; i >= 0; --i) {
    const int d = s.dims[i], in = layer_in(s, i);
    const real* input = layer_input(s, i, B, x, cache);
    // Dense: dW <- input^T g, db <- sum_rows g
    if (dp) k.matmul_backward_params(k.ctx, dp->W[i], dp->b[i], input, g, B, in, d);
    if (i == 0) {
      // dx <- g W^T
      if (dx) k.matmul_backward_input(k.ctx, dx, g, p.W[0], B, in, d);
      return;
    }
    // d(input) = g W^T, into the buffer g does not occupy.
    real* din = (g == buf[0]) ? buf[1] : buf[0];
    std::memset(din, 0, sizeof(real) * static_cast<size_t>(B) * in);
    k.matmul_backward_input(k.ctx, din, g, p.W[i], B, in, d);
    // Back through the previous hidden layer: LayerNorm (optional), then GELU.
    const LayerCache prev = layer_cache(s, i - 1, B, cache);
    real* other = (din == buf[0]) ? buf[1] : buf[0];
    const real* da = din;  // dL/d(GELU output of layer i-1)
    if (has_ln(s, i - 1)) {
      std::memset(other, 0, sizeof(real) * static_cast<size_t>(B) * in);
      k.layernorm_backward(k.ctx, other, dp ? dp->g[i - 1] : nullptr, dp ? dp->beta[i - 1] : nullptr, din,
                           prev.a, prev.mean, prev.rstd, p.g[i - 1], B, in);
      da = other;
      other = din;
    }
    std::memset(other, 0, sizeof(real) * static_cast<size_t>(B) * in);
    k.gelu_backward(k.ctx, other, da, prev.z, static_cast<long>(B) * in);
    g = other;
  }
}

}  // namespace

void mlp_backward(const MlpShape& s, const MlpParams& p, const MlpGrads& dp, const real* x, int B,
                  const real* cache, const real* dy, real* dx, real* scratch) {
  backward(s, p, &dp, x, B, cache, dy, dx, scratch);
}

void mlp_backward_input(const MlpShape& s, const MlpParams& p, const real* x, int B, const real* cache,
                        const real* dy, real* dx, real* scratch) {
  backward(s, p, nullptr, x, B, cache, dy, dx, scratch);
}

}  // namespace rql
