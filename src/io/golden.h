// golden.h: golden vectors (SPEC 8), the verification interface.
//
// A case is a folder of .npy files plus config.txt. golden_load reads the
// inputs (config, the four networks' parameters, the batch, the noise);
// golden_run performs one update from a fresh Adam state and returns every
// output tensor of SPEC 8 by name; golden_compare checks outputs against the
// folder's expected ones with a tolerance per tensor kind (docs/verify.md).
// Errors (missing file, wrong shape, bad config) are rql::Error naming the
// file and what was expected.
#pragma once

#include <string>
#include <vector>

#include "core/rql.h"

namespace rql {

struct GoldenInputs {
  Agent agent;  // config, parameters of all four nets, fresh Adam state
  Batch batch;
  UpdateNoise noise;
};

GoldenInputs golden_load(const std::string& dir);

// One named output tensor (values in double whatever `real` is).
struct GoldenTensor {
  std::string name;          // e.g. "out.q", "grad.value.dense0.kernel"
  std::vector<long> shape;
  std::vector<double> data;
};

// Runs one update on a copy of the inputs; returns out.*, grad.* (online
// nets) and after.* (all four nets), in a fixed order.
std::vector<GoldenTensor> golden_run(const GoldenInputs& in);

void golden_write(const std::string& dir, const std::vector<GoldenTensor>& outputs);

// Comparison of one tensor against the expected file.
struct GoldenDiff {
  std::string name;
  bool ok = false;
  bool missing = false;      // the expected file is absent
  std::string error;         // shape mismatch etc.
  long worst_index = -1;     // flat index of the worst element
  double got = 0, want = 0;  // at the worst element
  double ratio = 0;          // worst |got - want| / allowed (ok iff <= 1)
};

// Compares `outputs` with the expected files in `dir`. Allowed error per
// element: atol + rtol |want| + stol max|want of this tensor| (per kind).
std::vector<GoldenDiff> golden_compare(const std::string& dir, const std::vector<GoldenTensor>& outputs);

// The tolerance of a tensor kind, for the docs and the report.
struct GoldenTolerance {
  double atol, rtol, stol;
};
GoldenTolerance golden_tolerance(const std::string& name);

}  // namespace rql
