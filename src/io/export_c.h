// export_c.h: the target actor (the EMA policy, docs/spec.md §2) of an agent as a
// freestanding C99 module, for microcontrollers (`rql export c`,
// docs/embedded.md).
//
// The module computes, in float only, what agent_act computes:
//   x <- noise (A);  for i = 0..F-1:  x <- x + v(obs, x, i/F) / F;  chunk = clip(x, -1, 1)
//   v = the actor MLP of docs/spec.md §1 on concat[obs, x, t]: Dense, GELU (tanh
//       form), optional LayerNorm (eps 1e-6), ..., Dense.
// Its interface (the header) is fixed by issue 10, so any firmware can call
// it: RQL_POLICY_OBS_DIM, RQL_POLICY_ACTION_DIM (A = h * action_dim, the
// flat chunk), RQL_POLICY_H, RQL_POLICY_FLOW_STEPS and
//   void rql_policy_act(const float *obs, const float *noise, float *chunk);
// plus a caller-supplied-memory variant, a float-only Gaussian noise
// generator with a caller-held state, and the flash/RAM/work sizes.
//
// Numbers. The generated code is bit-identical to agent_act computed with
// the reference matrix product (core/matmul_ref.cpp: bias first, then the
// inputs in index order) and the chained tanh_float (fast/tanh_fast.h), when
// compiled without contraction (-ffp-contract=off; gcc's -std=c99 implies
// it, clang honours the pragma the file carries): every operation is the
// same IEEE single-precision operation in the same order. The tanh is not
// libm's so that a board's libm cannot change the result (picolibc's and
// glibc's tanhf may differ in the last bit) and so that GELU stays cheap
// on a Cortex-M (no libm call, no double). tests/cli/test_export_c.cpp
// holds host and Cortex-M builds bit-equal to agent_act.
//
// int8 (ExportCOptions::int8): each Dense kernel W (in, out) is stored as
// q (in, out) int8 and scale (out) float, q = round(W / scale) with
// scale_j = max_k |W_kj| / 127 (symmetric, per output channel); the layer
// computes y_j = (sum_k x_k q_kj) scale_j + b_j, activations in float.
// Biases and LayerNorm parameters stay float.
//
// Not here: the online actor, the critic, training; double-precision
// output (the C is float whatever `real` is).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/rql.h"

namespace rql {

struct ExportCOptions {
  std::string name = "rql_policy";  // files NAME.h/NAME.c, functions NAME_*, macros upper(NAME)_*
  bool int8 = false;                // int8 kernels with per-output-channel float scales
  std::string origin;               // where the actor came from (a path), written into the header
};

// One generated module: file names and their text, and the sizes the header
// states.
struct ExportCModule {
  std::string header_name, header;  // NAME.h
  std::string source_name, source;  // NAME.c
  long params = 0;        // actor parameters
  long weight_bytes = 0;  // static const data: kernels (4 or 1 byte each) + scales + biases + LN
  long work_floats = 0;   // the scratch: concat input + two hidden buffers + velocity
  long macs = 0;          // multiply-accumulates of one rql_policy_act call (F forward passes)
};

// A valid C identifier of lower-case letters, digits and '_' not starting
// with a digit, e.g. "rql_policy". Returns "" or what is wrong.
std::string export_c_check_name(const std::string& name);

// Generate the module for agent.target_actor. Throws rql::Error for a bad
// name or a non-finite parameter (the C would not compile or not mean it).
ExportCModule export_c(const Agent& agent, const ExportCOptions& options);

// Write NAME.h and NAME.c into `dir` (created if needed). Throws rql::Error.
void export_c_write(const ExportCModule& module, const std::string& dir);

// ---- int8 quantisation (also what the C module stores) ----

// W (K, N) -> q (K, N), scale (N): scale_j = max_k |W_kj| / 127 (1 for an
// all-zero column, whose q is then 0), q_kj = round-half-away(W_kj / scale_j)
// clamped to [-127, 127]. Float arithmetic (this is what the C stores).
void quantise_kernel_int8(const real* W, int K, int N, int8_t* q, float* scale);

// A copy of `agent` whose target actor's kernels are replaced by their
// dequantised int8 versions, W'_kj = q_kj scale_j (in float). Evaluating it
// (rql eval) scores the int8 policy: it applies the same weights as the
// int8 C module, which differs only in rounding order ((sum x q) scale
// there, sum x (q scale) here: a relative difference of order 1e-7 per
// layer).
Agent agent_with_int8_target_actor(const Agent& agent);

}  // namespace rql
