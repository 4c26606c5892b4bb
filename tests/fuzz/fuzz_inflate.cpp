// fuzz_inflate.cpp: libFuzzer harness, target_inflate in fuzz_targets.h (docs/fuzzing.md).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rql::fuzz::target_inflate(data, size);
  return 0;
}
