// fuzz_golden.cpp: libFuzzer harness, target_golden in fuzz_targets.h (docs/fuzzing.md).
// Files go only into a private temporary folder, removed at exit.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rql::fuzz::FuzzTempDir tmp;
  rql::fuzz::target_golden(tmp, data, size);
  return 0;
}
