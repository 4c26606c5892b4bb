// main.cpp: the `rql` program: dispatch to a subcommand (cli.h).
#include <cstdio>
#include <cstring>

#include <exception>
#include <new>

#include "cli.h"
#include "io/error.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

// Subcommands not yet built are null and say so.
const Command kCommands[] = {
    {"train", rql::cmd_train, "train a policy on a dataset, evaluating as it goes"},
    {"eval", rql::cmd_eval, "evaluate a checkpoint in an environment"},
    {"make-dataset", rql::cmd_make_dataset, "generate an offline dataset for a built-in environment"},
    {"dataset", rql::cmd_dataset, "inspect a dataset (`rql dataset info PATH`)"},
    {"golden", rql::cmd_golden, "run or check a golden-vector case (docs/spec.md §8)"},
    {"checkpoint", rql::cmd_checkpoint, "inspect, export or import a checkpoint"},
    {"plot", rql::cmd_plot, "write SVG pictures (flows, learning curves, mazes)"},
    {"export", rql::cmd_export, "the trained policy as C99 for microcontrollers (`rql export c`)"},
    {"bench", rql::cmd_bench, "benchmarks (`rql bench matmul`, `rql bench update`)"},
};

void print_usage(FILE* out) {
  std::fprintf(out,
               "rql: Reversal Q-Learning (offline RL with a flow-matching policy)\n\n"
               "usage: rql COMMAND [ARGS...]   (rql COMMAND --help for details)\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-13s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_usage(stdout);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    if (!c.run) {
      std::fprintf(stderr, "rql %s: not built yet\n", c.name);
      return 2;
    }
    // The one boundary where no exception may pass: subcommands report
    // their own errors, but anything they let through (an rql::Error from a
    // path they did not expect, std::bad_alloc from a size that slipped past
    // the checks) must end as a message and exit code 1, never as
    // std::terminate and exit 134.
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const rql::Error& e) {
      std::fprintf(stderr, "rql %s: %s\n", c.name, e.what());
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr,
                   "rql %s: out of memory: the configuration or an input file asks for more memory than is "
                   "available (smaller networks, batch or dataset?)\n",
                   c.name);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rql %s: internal error: %s\n", c.name, e.what());
    }
    return 1;
  }
  std::fprintf(stderr, "rql: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
