// cli_dataset.cpp: `rql dataset info PATH`: load and validate a dataset
// (docs/spec.md §3; docs/data.md) and print its summary, one `key value` per line.
// Exit codes (cli.h): 0 ok, 1 bad dataset, 2 bad usage.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cli.h"
#include "io/dataset.h"
#include "io/error.h"

namespace rql {

namespace {

void dataset_usage(FILE* out) {
  std::fprintf(out,
               "usage: rql dataset info PATH\n\n"
               "Load PATH (a .npz archive, stored or compressed, or a folder of .npy files with the keys\n"
               "observations [N, obs_dim], actions [N, action_dim], rewards [N], terminals [N], masks [N]),\n"
               "validate it and print, one per line:\n"
               "  transitions N        rows\n"
               "  episodes E           episodes delimited by terminals\n"
               "  sampled_episodes S   episodes longer than one transition (those the batch sampler draws)\n"
               "  obs_dim D\n"
               "  action_dim A\n"
               "  reward_min R0        as stored (before --sparse)\n"
               "  reward_max R1\n"
               "  mask_zero_rows M     rows with masks = 0 (true terminations)\n\n"
               "Exit status: 0 ok, 1 the dataset is missing or invalid (the message names file and key),\n"
               "2 bad usage. The format and the validation rules: docs/data.md.\n");
}

}  // namespace

int cmd_dataset(int argc, char** argv) {
  if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help"))) {
    dataset_usage(stdout);
    return 0;
  }
  if (argc < 2 || std::strcmp(argv[1], "info") != 0) {
    if (argc >= 2) std::fprintf(stderr, "rql dataset: unknown subcommand '%s'\n\n", argv[1]);
    dataset_usage(stderr);
    return 2;
  }
  const char* path = nullptr;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      dataset_usage(stdout);
      return 0;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      std::fprintf(stderr, "rql dataset info: unknown option '%s'\n\n", argv[i]);
      dataset_usage(stderr);
      return 2;
    }
    if (path) {
      std::fprintf(stderr, "rql dataset info: one PATH expected, got '%s' and '%s'\n", path, argv[i]);
      return 2;
    }
    path = argv[i];
  }
  if (!path) {
    std::fprintf(stderr, "rql dataset info: missing PATH\n\n");
    dataset_usage(stderr);
    return 2;
  }
  try {
    const Dataset d = dataset_load(path);
    const std::vector<Episode> eps = dataset_episodes(d);
    const long sampled = std::count_if(eps.begin(), eps.end(), [](const Episode& e) { return e.terminal > e.initial; });
    const auto r = std::minmax_element(d.rewards.begin(), d.rewards.end());
    const long mask_zero = std::count(d.masks.begin(), d.masks.end(), real(0));
    std::printf("transitions %ld\n", d.n);
    std::printf("episodes %ld\n", static_cast<long>(eps.size()));
    std::printf("sampled_episodes %ld\n", sampled);
    std::printf("obs_dim %d\n", d.obs_dim);
    std::printf("action_dim %d\n", d.action_dim);
    std::printf("reward_min %.9g\n", static_cast<double>(*r.first));
    std::printf("reward_max %.9g\n", static_cast<double>(*r.second));
    std::printf("mask_zero_rows %ld\n", mask_zero);
  } catch (const std::exception& e) {  // rql::Error, and std::bad_alloc on a huge file
    std::fprintf(stderr, "rql dataset info: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace rql
