// cli.h: the subcommands of the `rql` program. Only the command-line layer
// prints and chooses exit codes: 0 success, 1 failure of the work itself
// (a mismatch, a bad file), 2 bad usage (unknown flag, impossible value).
//
// Each subcommand lives in its own src/cli_<name>.cpp and has the signature
//   int cmd_<name>(int argc, char** argv)   // argv[0] is the subcommand name
// and answers --help itself.
#pragma once

#include <string>

#include "core/config.h"

namespace rql {

int cmd_bench(int argc, char** argv);      // cli_bench.cpp
int cmd_dataset(int argc, char** argv);    // cli_dataset.cpp
int cmd_golden(int argc, char** argv);     // cli_golden.cpp
int cmd_checkpoint(int argc, char** argv); // cli_checkpoint.cpp
int cmd_plot(int argc, char** argv);       // cli_plot.cpp
int cmd_train(int argc, char** argv);      // cli_train.cpp
int cmd_eval(int argc, char** argv);       // cli_train.cpp
int cmd_make_dataset(int argc, char** argv);  // cli_env.cpp
int cmd_export(int argc, char** argv);     // cli_export.cpp

// "" when the networks of `cfg`, their targets and Adam moments, and the
// working memory of one update (core/memory.h) fit in `limit_gb` GiB; else
// a message giving the computed sizes and the limit (cli_train.cpp; `rql
// train --max_memory_gb`, `rql checkpoint import --max_memory_gb`).
std::string memory_limit_error(const RqlConfig& cfg, double limit_gb);
constexpr double kDefaultMaxMemoryGb = 4.0;

// Benchmarks of `rql bench` (dispatched by cli_bench.cpp).
int bench_update(int argc, char** argv);  // cli_bench_update.cpp
int bench_act(int argc, char** argv);     // cli_bench_update.cpp
void bench_print_machine();               // cli_bench.cpp: CPU, compiler, flags, scalar

// Pictures of `rql plot` (dispatched by cli_plot.cpp): argv[0] is the picture.
int plot_curves(int argc, char** argv);  // cli_plot_curves.cpp
int plot_maze(int argc, char** argv);    // cli_plot_curves.cpp

}  // namespace rql
