// cli_golden.cpp: `rql golden run IN_DIR OUT_DIR` and `rql golden check DIR`.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.h"
#include "fast/kernels_fast.h"
#include "io/error.h"
#include "io/golden.h"

namespace rql {

namespace {

const char* const kHelp =
    "usage: rql golden run IN_DIR OUT_DIR   one update on a case's inputs; write out.*, grad.*, after.*\n"
    "       rql golden check DIR...         recompute complete cases and compare tensor by tensor\n"
    "\n"
    "A case (SPEC 8) is a folder of .npy files (<f4, C order) plus config.txt (key=value, SPEC 6 names,\n"
    "obs_dim, action_dim). Inputs: <net>.dense<i>.kernel/.bias, <net>.ln<i>.scale/.bias for net in actor,\n"
    "value, target_actor, target_value; batch.observations/actions/rewards/terminals/masks [h+1, B, ...];\n"
    "noise.next_x0 [B, A], noise.d [B], noise.bc_x0 [B, A], noise.bc_t [B, 1].\n"
    "`check` prints one line per mismatching tensor with its worst element and exits 1 on any mismatch.\n"
    "Tolerances per tensor kind: docs/verify.md. Cases: data/golden/.\n";

int check(int n, char** dirs, bool verbose) {
  int bad_cases = 0;
  for (int i = 0; i < n; ++i) {
    const std::string dir = dirs[i];
    GoldenInputs in = golden_load(dir);
    agent_set_kernels(in.agent, &kernels_default());
    const std::vector<GoldenDiff> diffs = golden_compare(dir, golden_run(in));
    int bad = 0;
    double worst = 0;
    std::string worst_name;
    for (const GoldenDiff& d : diffs) {
      if (d.ratio > worst || worst_name.empty()) worst = d.ratio, worst_name = d.name;
      if (d.ok && !verbose) continue;
      if (!d.error.empty()) {
        std::printf("  MISMATCH %s: %s\n", d.name.c_str(), d.error.c_str());
        ++bad;
        continue;
      }
      const GoldenTolerance t = golden_tolerance(d.name);
      std::printf("  %s %-40s worst [%ld] got %.9g want %.9g  err/allowed %.3g (atol %g rtol %g stol %g)\n",
                  d.ok ? "ok      " : "MISMATCH", d.name.c_str(), d.worst_index, d.got, d.want, d.ratio, t.atol,
                  t.rtol, t.stol);
      bad += d.ok ? 0 : 1;
    }
    std::printf("%s %s: %zu tensors, %d mismatches, worst err/allowed %.3g (%s)\n", bad ? "FAIL" : "PASS",
                dir.c_str(), diffs.size(), bad, worst, worst_name.c_str());
    bad_cases += bad ? 1 : 0;
  }
  return bad_cases ? 1 : 0;
}

}  // namespace

int cmd_golden(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kHelp, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    if (!std::strcmp(argv[1], "run")) {
      if (argc != 4) {
        std::fprintf(stderr, "rql golden run: expected IN_DIR OUT_DIR\n\n%s", kHelp);
        return 2;
      }
      GoldenInputs in = golden_load(argv[2]);
      agent_set_kernels(in.agent, &kernels_default());
      golden_write(argv[3], golden_run(in));
      std::printf("wrote the outputs of one update on %s to %s\n", argv[2], argv[3]);
      return 0;
    }
    if (!std::strcmp(argv[1], "check")) {
      bool verbose = false;
      int first = 2;
      if (argc > 2 && !std::strcmp(argv[2], "--verbose")) verbose = true, first = 3;
      if (argc <= first) {
        std::fprintf(stderr, "rql golden check: expected at least one case folder\n\n%s", kHelp);
        return 2;
      }
      return check(argc - first, argv + first, verbose);
    }
    std::fprintf(stderr, "rql golden: unknown subcommand '%s'\n\n%s", argv[1], kHelp);
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql golden: %s\n", e.what());
    return 1;
  }
}

}  // namespace rql
