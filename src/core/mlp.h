// mlp.h: the MLP of docs/spec.md §1 with hand-written backpropagation, for one network
// or for an ensemble of K independent members (the value nets).
//
//   for each Dense layer i (output size dims[i]):
//     x = x W_i + b_i;  if i is not the last: x = gelu(x), then LayerNorm_i(x)
//     if layer_norm.  The output layer has no activation and no norm.
//
// Parameters of one network live in ONE contiguous block, tensor after tensor
// in the golden order of docs/spec.md §8:
//   dense0.kernel, dense0.bias, [ln0.scale, ln0.bias], dense1.kernel, ...
// For an ensemble every tensor carries a leading K axis (dense0.kernel is
// (K, in, out)), exactly the layout of the authors' vmapped Flax params, so
// golden files and checkpoints load with one flat copy. Gradients and Adam
// moments use the same layout, so optimizers are flat loops.
//
// Working memory is sized up front (mlp_cache_size, mlp_scratch_size) and
// handed in: forward and backward never allocate.
//
// Convention: backward ACCUMULATES into dparams and dx.
#pragma once

#include "kernels.h"
#include "rng.h"
#include "scalar.h"

namespace rql {

struct MlpShape {
  int in_dim = 0;
  int n_layers = 0;            // Dense layers, hidden + output (<= kMaxLayers)
  int dims[kMaxLayers] = {};   // output size of each Dense layer
  bool layer_norm = false;     // LayerNorm after each hidden GELU
  int members = 1;             // K: ensemble members (1 for a single network)
  bool ensemble_axis = false;  // tensors named with a leading K axis (value nets, even K = 1)
  const Kernels* kernels = nullptr;  // the kernel set to compute with; null: kernels_reference()
};

// hidden = {512, 512}, out = 1  ->  dims {512, 512, 1}. Returns false (and
// leaves `shape` untouched) if there are more than kMaxLayers layers or a
// dimension is < 1.
bool mlp_shape_make(MlpShape* shape, int in_dim, const int* hidden, int n_hidden, int out_dim, bool layer_norm,
                    int members, bool ensemble_axis);

int mlp_out_dim(const MlpShape& s);
int mlp_max_width(const MlpShape& s);   // max over dims
long mlp_param_count(const MlpShape& s);  // all members

// One named tensor of the block. `name` is relative ("dense0.kernel"); shape
// includes the K axis when ensemble_axis.
struct MlpTensor {
  char name[24];
  long offset;   // into the block (start of member 0)
  long size;     // elements, all members
  int rank;
  int shape[3];
};
int mlp_tensor_count(const MlpShape& s);
MlpTensor mlp_tensor(const MlpShape& s, int index);

// Pointers to one member's tensors (g/beta null without LayerNorm or for the
// output layer).
struct MlpParams {
  const real* W[kMaxLayers];
  const real* b[kMaxLayers];
  const real* g[kMaxLayers];
  const real* beta[kMaxLayers];
};
struct MlpGrads {
  real* W[kMaxLayers];
  real* b[kMaxLayers];
  real* g[kMaxLayers];
  real* beta[kMaxLayers];
};
MlpParams mlp_params(const MlpShape& s, const real* block, int member);
MlpGrads mlp_grads(const MlpShape& s, real* block, int member);

// Glorot-uniform kernels, zero biases, LayerNorm scale 1 and bias 0 (docs/spec.md §1).
// Members are initialised one after another, each layer in order.
void mlp_init(const MlpShape& s, real* block, Rng& rng);

// Working memory, in reals, for one forward pass of `rows` rows of one
// member (the activations backward needs) and for one backward (any member).
long mlp_cache_size(const MlpShape& s, int rows);
long mlp_scratch_size(const MlpShape& s, int rows);

// y = MLP(x).  x (B, in_dim). Returns y (B, out_dim), stored inside cache.
const real* mlp_forward(const MlpShape& s, const MlpParams& p, const real* x, int B, real* cache);

// Full backward of the forward that filled `cache` (same x, B):
//   dparams <- dL/dparams,  dx <- dL/dx (dx may be null),  dy (B, out_dim).
void mlp_backward(const MlpShape& s, const MlpParams& p, const MlpGrads& dp, const real* x, int B,
                  const real* cache, const real* dy, real* dx, real* scratch);

// Input-only backward: dx <- dL/dx, and NO parameter gradient is computed or
// touched. This is the stop-gradient path of the actor loss (dQ/da through
// the value net, whose parameters the actor loss must not update).
void mlp_backward_input(const MlpShape& s, const MlpParams& p, const real* x, int B, const real* cache,
                        const real* dy, real* dx, real* scratch);

}  // namespace rql
