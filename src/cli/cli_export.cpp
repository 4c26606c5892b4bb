// cli_export.cpp: `rql export c`: the trained policy as a freestanding C99
// module for microcontrollers (io/export_c.h, docs/embedded.md).
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "cli_args.h"
#include "io/checkpoint.h"
#include "io/error.h"
#include "io/export_c.h"
#include "io/npy.h"

namespace rql {

namespace {

const char* const kHelp =
    "usage: rql export c CHECKPOINT --out DIR [--weights f32|int8] [--name NAME]\n"
    "       rql export c --untrained CONFIG --out DIR [...]\n\n"
    "Write the checkpoint's EMA actor (the policy `rql eval` scores: Euler flow of the\n"
    "target actor from Gaussian noise, then clip; docs/spec.md section 2) as a C99\n"
    "module DIR/NAME.h + DIR/NAME.c that any firmware can compile:\n\n"
    "  #define RQL_POLICY_OBS_DIM, RQL_POLICY_ACTION_DIM (A = h * action_dim),\n"
    "          RQL_POLICY_H, RQL_POLICY_FLOW_STEPS, RQL_POLICY_WEIGHT_BYTES (flash),\n"
    "          RQL_POLICY_WORK_FLOATS (RAM scratch), RQL_POLICY_MACS\n"
    "  void rql_policy_act(const float *obs, const float *noise, float *chunk);\n"
    "  void rql_policy_act_work(obs, noise, chunk, work);   (your own scratch)\n"
    "  rql_policy_rng_seed / rql_policy_noise                (N(0,1) noise, float only)\n\n"
    "The code is float only (no double, no malloc, libc: <math.h> sqrtf/fabsf), static\n"
    "const weights, one documented static scratch. Compiled with -ffp-contract=off\n"
    "(implied by gcc -std=c99) it returns bit for bit what rql-cpp's agent_act returns\n"
    "with the reference matmul and the chained fast tanh, on the host and on Cortex-M\n"
    "(tests/cli/test_export_c.cpp). Call rql_policy_act once every h control steps and\n"
    "execute the chunk's h actions open loop. Walk-through, footprint and speed of\n"
    "64x64 .. 4x512 actors on Cortex-M4/M7: docs/embedded.md.\n\n"
    "--weights int8 stores each kernel as int8 with one float scale per output\n"
    "(symmetric: scale = max|W_col| / 127), about 4x less flash; activations stay float.\n"
    "Score it before flashing: --int8-checkpoint FILE writes a checkpoint whose actor has\n"
    "the dequantised kernels, for `rql eval FILE --env ...`.\n\n";

int export_c_main(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"out", "DIR", "folder for NAME.h and NAME.c (created if needed)", ""},
      {"weights", "f32|int8", "kernel storage: float32, or int8 with per-output float scales", "f32"},
      {"name", "NAME", "file names and C prefix (NAME_act, upper(NAME)_OBS_DIM, ...)", "rql_policy"},
      {"untrained", "CONFIG", "export a freshly initialised actor for a config file (key=value lines) instead "
                              "of a checkpoint: for footprint and speed benchmarks",
       ""},
      {"int8-checkpoint", "FILE", "also write a checkpoint whose target actor has the dequantised int8 kernels "
                                  "(score it with rql eval)",
       ""},
  };
  const ParsedArgs a = parse_flags(argc, argv, 1, specs);
  if (a.has("help")) {
    std::printf("%s%s", kHelp, flags_help(specs).c_str());
    return 0;
  }
  if (!a.has("out")) throw UsageError("--out DIR is required; see --help");
  const std::string weights = a.get("weights", "f32");
  if (weights != "f32" && weights != "int8")
    throw UsageError("--weights " + weights + ": expected f32 or int8");
  ExportCOptions opt;
  opt.name = a.get("name", "rql_policy");
  opt.int8 = weights == "int8";
  const std::string bad = export_c_check_name(opt.name);
  if (!bad.empty()) throw UsageError("--name " + bad);

  Agent agent;
  CheckpointInfo info;  // of the checkpoint read (none with --untrained)
  if (a.has("untrained")) {
    if (!a.positional.empty()) throw UsageError("give either CHECKPOINT or --untrained CONFIG, not both");
    const std::string path = a.get("untrained", "");
    RqlConfig cfg;
    const std::string err = config_parse(cfg, read_file_text(path), path);
    if (!err.empty()) throw Error(err);
    const std::string init = agent_init(agent, cfg);
    if (!init.empty()) throw Error(path + ": " + init);
    opt.origin = "an untrained actor for " + path;
  } else {
    if (a.positional.size() != 1) throw UsageError("expected one CHECKPOINT path; see --help");
    agent = checkpoint_load(a.positional[0], &info);
    opt.origin = a.positional[0];
  }
  const ExportCModule m = export_c(agent, opt);
  const std::string dir = a.get("out", "");
  export_c_write(m, dir);
  std::printf("wrote %s/%s and %s/%s\n", dir.c_str(), m.header_name.c_str(), dir.c_str(), m.source_name.c_str());
  std::printf("actor params %ld, weights %ld bytes (%s), scratch %ld floats, %ld MACs per action\n", m.params,
              m.weight_bytes, weights.c_str(), m.work_floats, m.macs);
  if (a.has("int8-checkpoint")) {
    CheckpointSaveOptions save;
    save.run_text = info.run_text;  // trained for the same env and task: `rql eval` finds them
    checkpoint_save(agent_with_int8_target_actor(agent), a.get("int8-checkpoint", ""), save);
    std::printf("wrote %s (target actor with dequantised int8 kernels)\n", a.get("int8-checkpoint", "").c_str());
  }
  return 0;
}

}  // namespace

int cmd_export(int argc, char** argv) {
  try {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
      std::printf("usage: rql export c ...   (the policy as C99 for microcontrollers)\n\n%s", kHelp);
      return argc < 2 ? 2 : 0;
    }
    if (std::string(argv[1]) != "c") throw UsageError("unknown format '" + std::string(argv[1]) + "' (only: c)");
    return export_c_main(argc - 1, argv + 1);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql export: %s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql export: %s\n", e.what());
    return 1;
  }
}

}  // namespace rql
