// golden.h: golden vectors (docs/spec.md §8), the verification interface.
//
// A case is a folder of .npy files plus config.txt. The line `case=KIND` of
// config.txt says what the case pins (absent: update):
//   update     one update from a fresh Adam state (docs/spec.md §4-5)
//   multistep  kGoldenSteps consecutive updates from a given state:
//              parameters, Adam moments, step count (docs/spec.md §5)
//   policy     the Euler sampler of the target actor (docs/spec.md §2)
//   sampler    the chunked batch from given episodes and starts (docs/spec.md §3)
// golden_load reads a case's inputs, golden_run recomputes its outputs with
// this project's code and returns them by name; golden_compare checks them
// against the folder's expected files, and golden_compare_outputs checks
// the files another implementation wrote, both through one element-wise
// comparison with a tolerance per tensor kind (golden_tolerance,
// docs/verify.md). Errors (missing file, wrong shape, bad config) are
// rql::Error naming the file and what was expected.
#pragma once

#include <string>
#include <vector>

#include "core/batch.h"
#include "core/rql.h"

namespace rql {

enum class GoldenKind { kUpdate, kMultistep, kPolicy, kSampler };
const char* golden_kind_name(GoldenKind kind);  // "update", "multistep", ...

constexpr int kGoldenSteps = 3;  // updates in a multistep case

struct GoldenInputs {
  GoldenKind kind = GoldenKind::kUpdate;
  // The config always. update, multistep: all four nets (multistep also
  // the Adam moments and step count); policy: target_actor only (the other
  // nets keep their init); sampler: no parameters (agent_init not called).
  Agent agent;
  std::vector<Batch> batches;        // update: 1, multistep: kGoldenSteps
  std::vector<UpdateNoise> noises;   // one per batch
  std::vector<real> observations;    // policy: (B, obs_dim)
  std::vector<real> x0;              // policy: (B, A)
  Dataset dataset;                   // sampler
  std::vector<long> episode, t0;     // sampler (B): index into the episodes with
                                     // more than one transition; start (dataset index)
};

GoldenInputs golden_load(const std::string& dir);

// One named output tensor (values in double whatever `real` is).
struct GoldenTensor {
  std::string name;          // e.g. "out.q", "grad.value.dense0.kernel", "step2.after.adam.m.actor.dense0.bias"
  std::vector<long> shape;
  std::vector<double> data;
};

// Recomputes every output of the case, in a fixed order: update: out.*,
// grad.* (online nets), after.* (all four nets); multistep: the same for
// each step k behind "step<k>.", plus step<k>.after.adam.{m,v}.<net>.<p>
// and step<k>.after.adam.step; policy: out.actions; sampler: out.batch.*.
std::vector<GoldenTensor> golden_run(const GoldenInputs& in);

void golden_write(const std::string& dir, const std::vector<GoldenTensor>& outputs);

// Comparison of one tensor against its expected values.
struct GoldenDiff {
  std::string name;
  bool ok = false;
  bool missing = false;      // a file is absent (golden_compare: the expected
                             // one; golden_compare_outputs: the port's)
  std::string error;         // missing file, shape mismatch
  long worst_index = -1;     // flat index of the worst element
  double got = 0, want = 0;  // at the worst element
  double ratio = 0;          // worst |got - want| / allowed (ok iff <= 1; NaN is worst)
};

// Compares `outputs` with the expected files in `dir`. Allowed error per
// element: atol + rtol |want| + stol max|want of this tensor| (per kind).
std::vector<GoldenDiff> golden_compare(const std::string& dir, const std::vector<GoldenTensor>& outputs);

// True for the names of outputs: out.*, grad.*, after.*, also behind a
// multistep case's "step<k>." prefix.
bool golden_is_output(const std::string& name);

// The .npy files another implementation wrote into `port_dir`, compared
// with every expected output file of `case_dir` (same names, same shapes,
// the tolerances of golden_tolerance). `extra` lists the files of port_dir
// that are not expected outputs of the case (not compared).
struct GoldenComparison {
  std::vector<GoldenDiff> diffs;   // one per expected output, in name order
  std::vector<std::string> extra;  // file names
};
GoldenComparison golden_compare_outputs(const std::string& case_dir, const std::string& port_dir);

// The tolerance of a tensor kind, for the docs and the report.
struct GoldenTolerance {
  double atol, rtol, stol;
};
GoldenTolerance golden_tolerance(const std::string& name);

}  // namespace rql
