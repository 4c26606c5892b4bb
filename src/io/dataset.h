// dataset.h: offline datasets as files: load (.npz or a folder of .npy),
// validate, save. The in-memory Dataset, its preprocessing and the batch
// sampler (docs/spec.md §3) are in core/batch.h.
#pragma once

#include <string>

#include "core/batch.h"

namespace rql {

// All throw rql::Error naming the file and key on bad input.

// Load from a folder of .npy files or from a .npz archive (stored or
// DEFLATE-compressed). Extra keys are ignored. Validates everything.
Dataset dataset_load(const std::string& path);
// Save as a .npz archive (path ends in .npz) or a folder of .npy files.
void dataset_save(const Dataset& d, const std::string& path);
// Check an in-memory dataset: N > 0, dims > 0, array sizes, every value
// finite, terminals and masks in {0, 1}, terminals[N-1] = 1. Throws
// rql::Error naming `source` and the key. dataset_load calls it.
void dataset_validate(const Dataset& d, const std::string& source);

}  // namespace rql
