// cli_checkpoint.cpp: `rql checkpoint info|export|import` (checkpoint.h;
// docs/checkpoints.md). Exit codes (cli.h): 0 ok, 1 bad or unreadable file,
// 2 bad usage.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "cli.h"
#include "io/error.h"
#include "io/npy.h"

namespace rql {

namespace {

void checkpoint_usage(FILE* out) {
  std::fprintf(out,
               "usage: rql checkpoint info PATH\n"
               "       rql checkpoint export PATH DIR\n"
               "       rql checkpoint import [--config CONFIG] [--max_memory_gb G] DIR PATH\n\n"
               "info    verify PATH (magic, version, checksums, section sizes against its config) and print,\n"
               "        one per line: version, scalar, file_bytes, payload_crc32, step, one `section NAME\n"
               "        BYTES` line per section, the config as `config KEY=VALUE` lines, then (format\n"
               "        version 2, written by `rql train`) what it was trained for as `run KEY=VALUE` lines.\n"
               "export  write the parameters of the four nets of checkpoint PATH into folder DIR as .npy\n"
               "        files with the golden names of docs/spec.md §8 (actor.dense0.kernel.npy, value.ln0.scale.npy\n"
               "        with the K axis, ...; <f4), plus DIR/config.txt. Readable from NumPy, PyTorch, JAX.\n"
               "import  build a fresh agent from CONFIG (default DIR/config.txt; key=value lines), load the\n"
               "        four nets from DIR's .npy files (shapes checked against CONFIG) and save it as the\n"
               "        checkpoint PATH (step 0, zero Adam moments, RNG streams from the config's seed).\n"
               "        A config needing more than G GiB (default 4) for its networks and one update is\n"
               "        refused with the computed size.\n\n"
               "Exit status: 0 ok, 1 a file is missing, corrupt or does not match (the message says which\n"
               "and why), 2 bad usage. The file format: docs/checkpoints.md.\n");
}

bool is_help(const char* a) { return !std::strcmp(a, "--help") || !std::strcmp(a, "-h") || !std::strcmp(a, "help"); }

// Each non-empty line of `text` as "PREFIX line".
void print_prefixed(const char* prefix, const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) std::printf("%s %s\n", prefix, text.substr(start, end - start).c_str());
    start = end + 1;
  }
}

int run_info(const std::string& path) {
  CheckpointInfo info;
  const Agent agent = checkpoint_load(path, &info);
  std::printf("version %u\n", info.version);
  std::printf("scalar %s\n", info.scalar_bytes == 4 ? "float32" : "float64");
  std::printf("file_bytes %llu\n", static_cast<unsigned long long>(info.file_size));
  std::printf("payload_crc32 0x%08x ok\n", info.payload_crc);
  std::printf("step %ld\n", info.step);
  for (const CheckpointSection& s : info.sections)
    std::printf("section %s %llu\n", s.name.c_str(), static_cast<unsigned long long>(s.size));
  std::printf("parameters actor %zu value %zu\n", agent.actor.size(), agent.value.size());
  print_prefixed("config", info.config_text);
  print_prefixed("run", info.run_text);
  return 0;
}

}  // namespace

int cmd_checkpoint(int argc, char** argv) {
  if (argc >= 2 && is_help(argv[1])) {
    checkpoint_usage(stdout);
    return 0;
  }
  if (argc < 2) {
    checkpoint_usage(stderr);
    return 2;
  }
  const std::string sub = argv[1];
  if (sub != "info" && sub != "export" && sub != "import") {
    std::fprintf(stderr, "rql checkpoint: unknown subcommand '%s'\n\n", argv[1]);
    checkpoint_usage(stderr);
    return 2;
  }
  std::string config_path;
  double max_memory_gb = kDefaultMaxMemoryGb;
  std::vector<std::string> args;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (is_help(argv[i])) {
      checkpoint_usage(stdout);
      return 0;
    }
    if (sub == "import" && (a == "--config" || a.rfind("--config=", 0) == 0)) {
      if (a == "--config") {
        if (i + 1 >= argc) {
          std::fprintf(stderr, "rql checkpoint import: --config needs a file\n");
          return 2;
        }
        config_path = argv[++i];
      } else {
        config_path = a.substr(9);
      }
      continue;
    }
    if (sub == "import" && (a == "--max_memory_gb" || a.rfind("--max_memory_gb=", 0) == 0)) {
      const std::string v = a == "--max_memory_gb" ? (i + 1 < argc ? argv[++i] : "") : a.substr(16);
      char* end = nullptr;
      max_memory_gb = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(max_memory_gb > 0) || max_memory_gb > 1e6) {
        std::fprintf(stderr, "rql checkpoint import: --max_memory_gb expects a number of GiB > 0; got '%s'\n",
                     v.c_str());
        return 2;
      }
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "rql checkpoint %s: unknown option '%s'\n\n", sub.c_str(), argv[i]);
      checkpoint_usage(stderr);
      return 2;
    }
    args.push_back(a);
  }
  const size_t want = sub == "info" ? 1 : 2;
  if (args.size() != want) {
    std::fprintf(stderr, "rql checkpoint %s: expected %s, got %zu argument(s)\n\n", sub.c_str(),
                 sub == "info" ? "PATH" : (sub == "export" ? "PATH DIR" : "DIR PATH"), args.size());
    checkpoint_usage(stderr);
    return 2;
  }
  try {
    if (sub == "info") return run_info(args[0]);
    if (sub == "export") {
      checkpoint_export_npy(checkpoint_load(args[0]), args[1]);
      std::printf("exported %s to %s\n", args[0].c_str(), args[1].c_str());
      return 0;
    }
    const std::string& dir = args[0];
    if (config_path.empty()) config_path = dir + "/config.txt";
    const std::vector<unsigned char> bytes = read_file_bytes(config_path);
    RqlConfig cfg;
    const std::string err = config_parse(cfg, std::string(bytes.begin(), bytes.end()), config_path);
    if (!err.empty()) throw Error(err);
    const std::string verr = config_validate(cfg);
    if (!verr.empty()) throw Error(config_path + ": " + verr);
    const std::string merr = memory_limit_error(cfg, max_memory_gb);
    if (!merr.empty()) throw Error(config_path + ": " + merr + " (--max_memory_gb raises it)");
    checkpoint_save(checkpoint_import_npy(dir, cfg), args[1]);
    std::printf("imported %s into %s\n", dir.c_str(), args[1].c_str());
  } catch (const std::exception& e) {  // rql::Error, and std::bad_alloc on a huge config
    std::fprintf(stderr, "rql checkpoint %s: %s\n", sub.c_str(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace rql
