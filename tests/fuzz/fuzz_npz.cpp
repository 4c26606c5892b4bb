// fuzz_npz.cpp: libFuzzer harness, target_npz in fuzz_targets.h (docs/fuzzing.md).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rql::fuzz::target_npz(data, size);
  return 0;
}
