// infer.cpp: inference with only the files docs/porting.md lists for it.
//
// tests/cortex_m/run.sh links this program with the objects of the
// inference list ALONE (no rql.cpp, config.cpp, batch.cpp, adam.cpp,
// critic.cpp, value.cpp): if the list missed a file, the link fails. It uses
// no heap: the parameter block and the working memory are static arrays, as
// on a microcontroller whose parameters sit in flash.
//
// The actor here is the policy's velocity net of a small config (obs 4,
// A = 4, hidden 16, 16, F = 4), Glorot-initialised from a seed; a real port
// loads trained parameters instead (checkpoint export writes them as .npy
// with the golden names, docs/checkpoints.md).
#include <cstdio>

#include "core/flow.h"
#include "core/rng.h"

using namespace rql;

namespace {
constexpr int kObs = 4, kA = 4, kSteps = 4;
constexpr long kMaxParams = 1024, kMaxWork = 1024;
real g_params[kMaxParams];  // 500 used: (9*16+16) + (16*16+16) + (16*4+4)
real g_work[kMaxWork];
}  // namespace

int main() {
  const int hidden[2] = {16, 16};
  FlowShape fs;
  if (!flow_shape_make(&fs, kObs, kA, hidden, 2, false, kSteps)) return 2;
  const long n_params = mlp_param_count(fs.net), n_work = flow_work_size(fs, 1);
  std::printf("infer: %ld parameters, %ld reals of working memory\n", n_params, n_work);
  if (n_params > kMaxParams || n_work > kMaxWork) return 3;
  Rng init = rng_make(1, kStreamInit);
  mlp_init(fs.net, g_params, init);

  Rng noise = rng_make(1, kStreamEval);
  real obs[kObs] = {0.5f, -0.25f, 0.125f, 1.0f};
  real x0[kA], action[kA];
  for (real& x : x0) x = rng_normal(noise);
  flow_sample(fs, g_params, obs, x0, 1, action, g_work);
  std::printf("infer: action");
  int ok = 1;
  for (real a : action) {
    std::printf(" %.6g", static_cast<double>(a));
    ok = ok && a >= -1 && a <= 1;
  }
  std::printf("\ninfer: %s\n", ok ? "ok" : "FAILED (action outside [-1, 1])");
  return ok ? 0 : 1;
}
