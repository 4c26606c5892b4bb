// fuzz_npy.cpp: libFuzzer harness, target_npy in fuzz_targets.h (docs/fuzzing.md).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rql::fuzz::target_npy(data, size);
  return 0;
}
