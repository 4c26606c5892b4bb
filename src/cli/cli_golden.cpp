// cli_golden.cpp: `rql golden run`, `rql golden check` and `rql golden
// compare` (golden vectors, docs/spec.md §8; docs/verify.md).
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
    "usage: rql golden run CASE OUT_DIR          recompute a case's outputs; write them to OUT_DIR (created)\n"
    "       rql golden check [--verbose] CASE... recompute complete cases and compare tensor by tensor\n"
    "       rql golden compare [--verbose] CASE DIR\n"
    "                                            compare the outputs another implementation wrote into DIR\n"
    "                                            (.npy files named as the case's out.*, grad.*, after.*)\n"
    "\n"
    "A case (docs/spec.md §8) is a folder of .npy files (<f4, C order; <i4 for indices) plus config.txt (key=value,\n"
    "docs/spec.md §6 names, obs_dim, action_dim; `case=update|multistep|policy|sampler`, default update).\n"
    "Inputs: <net>.dense<i>.kernel/.bias, <net>.ln<i>.scale/.bias for net in actor, value, target_actor,\n"
    "target_value; batch.observations/actions/rewards/terminals/masks [h+1, B, ...]; noise.next_x0 [B, A],\n"
    "noise.d [B], noise.bc_x0 [B, A], noise.bc_t [B, 1]. Multistep, policy and sampler cases: docs/spec.md\n"
    "section 8 and docs/verify.md.\n"
    "`check` and `compare` print one line per tensor that is missing, has the wrong shape or disagrees\n"
    "(worst element, err/allowed), then a summary; exit 0 when all agree, 1 otherwise, 2 for bad usage.\n"
    "Tolerances per tensor kind: docs/verify.md. Cases: data/golden/.\n";

// One report line per diff that is not ok (all with `verbose`); returns the
// number not ok. `worst`/`worst_name`: the largest err/allowed.
int report(const std::vector<GoldenDiff>& diffs, bool verbose, double* worst, std::string* worst_name) {
  int bad = 0;
  for (const GoldenDiff& d : diffs) {
    if (worst_name->empty() || !(d.ratio <= *worst)) *worst = d.ratio, *worst_name = d.name;
    if (d.ok && !verbose) continue;
    if (!d.error.empty()) {
      std::printf("  %s %s: %s\n", d.missing ? "MISSING " : "SHAPE   ", d.name.c_str(), d.error.c_str());
      ++bad;
      continue;
    }
    const GoldenTolerance t = golden_tolerance(d.name);
    std::printf("  %s %-40s worst [%ld] got %.9g want %.9g  err/allowed %.3g (atol %g rtol %g stol %g)\n",
                d.ok ? "ok      " : "MISMATCH", d.name.c_str(), d.worst_index, d.got, d.want, d.ratio, t.atol,
                t.rtol, t.stol);
    bad += d.ok ? 0 : 1;
  }
  return bad;
}

int check(int n, char** dirs, bool verbose) {
  int bad_cases = 0;
  for (int i = 0; i < n; ++i) {
    const std::string dir = dirs[i];
    GoldenInputs in = golden_load(dir);
    agent_set_kernels(in.agent, &kernels_default());
    const std::vector<GoldenDiff> diffs = golden_compare(dir, golden_run(in));
    double worst = 0;
    std::string worst_name;
    const int bad = report(diffs, verbose, &worst, &worst_name);
    std::printf("%s %s (%s): %zu tensors, %d mismatches, worst err/allowed %.3g (%s)\n", bad ? "FAIL" : "PASS",
                dir.c_str(), golden_kind_name(in.kind), diffs.size(), bad, worst, worst_name.c_str());
    bad_cases += bad ? 1 : 0;
  }
  return bad_cases ? 1 : 0;
}

int compare(const std::string& case_dir, const std::string& port_dir, bool verbose) {
  const GoldenComparison c = golden_compare_outputs(case_dir, port_dir);
  double worst = 0;
  std::string worst_name;
  report(c.diffs, verbose, &worst, &worst_name);
  int missing = 0, shape = 0, disagree = 0;
  for (const GoldenDiff& d : c.diffs) {
    if (d.missing) ++missing;
    else if (!d.error.empty()) ++shape;
    else if (!d.ok) ++disagree;
  }
  for (const std::string& f : c.extra)
    std::printf("  EXTRA    %s/%s: not an output of this case, not compared\n", port_dir.c_str(), f.c_str());
  const bool pass = missing + shape + disagree == 0;
  std::printf("%s %s vs %s: %zu expected tensors, %zu agree, %d disagree, %d missing, %d wrong shape; "
              "%zu extra files; worst err/allowed %.3g (%s)\n",
              pass ? "PASS" : "FAIL", port_dir.c_str(), case_dir.c_str(), c.diffs.size(),
              c.diffs.size() - static_cast<size_t>(missing + shape + disagree), disagree, missing, shape,
              c.extra.size(), worst, worst_name.c_str());
  return pass ? 0 : 1;
}

int usage(const char* what) {
  std::fprintf(stderr, "rql golden %s\n\n%s", what, kHelp);
  return 2;
}

}  // namespace

int cmd_golden(int argc, char** argv) {
  // --help anywhere asks for the help, whatever else is on the line.
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(kHelp, stdout);
      return 0;
    }
  if (argc < 2) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  const bool verbose = argc > 2 && !std::strcmp(argv[2], "--verbose");
  const int first = verbose ? 3 : 2;  // first positional argument after the subcommand
  try {
    if (!std::strcmp(argv[1], "run")) {
      if (argc != 4) return usage("run: expected CASE OUT_DIR");
      GoldenInputs in = golden_load(argv[2]);
      agent_set_kernels(in.agent, &kernels_default());
      golden_write(argv[3], golden_run(in));
      std::printf("wrote the outputs of %s case %s to %s\n", golden_kind_name(in.kind), argv[2], argv[3]);
      return 0;
    }
    if (!std::strcmp(argv[1], "check")) {
      if (argc <= first) return usage("check: expected at least one case folder");
      return check(argc - first, argv + first, verbose);
    }
    if (!std::strcmp(argv[1], "compare")) {
      if (argc != first + 2) return usage("compare: expected CASE DIR");
      return compare(argv[first], argv[first + 1], verbose);
    }
    std::fprintf(stderr, "rql golden: unknown subcommand '%s'\n\n%s", argv[1], kHelp);
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql golden: %s\n", e.what());
    return 1;
  }
}

}  // namespace rql
