// rng.h: random numbers, written here so that every compiler and standard
// library produces the same numbers for the same seed.
//
// Generator: xoshiro256** (Blackman and Vigna, 2018), 256-bit state, period
// 2^256 - 1. Seeding: SplitMix64 over (seed, stream), so that each named
// stream of one run is an independent sequence and changing how much one use
// draws never shifts another (unlike the authors' single global generator,
// docs/spec.md §7).
//
// Distributions (no std::*_distribution: their algorithms differ between
// standard libraries), all computed in `real`, so that a single-precision
// FPU never runs software doubles (an M4 spends ~4,700 instructions on one
// double-precision normal, ~120 in float):
//   rng_uniform    U[0, 1): the top 24 bits of a draw times 2^-24 in a float
//                  build, the top 53 bits times 2^-53 in a double build
//                  (every bit of the mantissa random, the map exact).
//   rng_below      uniform integer in [0, n): Lemire's multiply-and-reject,
//                  unbiased (integers only).
//   rng_normal     N(0, 1): Marsaglia's polar method in real. It needs only
//                  log and sqrt (sqrt is exactly rounded by IEEE 754; log is
//                  the one libm call, logf in float), and it yields pairs:
//                  the second of a pair is kept in the state and returned
//                  by the next call.
// Pinned against an independent NumPy transcription: tools/rng_reference.py.
#pragma once

#include <cstdint>

#include "scalar.h"

namespace rql {

struct Rng {
  uint64_t s[4];
  real spare;      // second normal of the last polar pair
  int has_spare;   // 1 when `spare` is unused
};

// The named streams of one run. Each is seeded from (seed, stream).
enum RngStream : uint64_t {
  kStreamInit = 1,      // parameter initialisation
  kStreamBatch = 2,     // batch sampling (docs/spec.md §3)
  kStreamUpdate = 3,    // update noise (docs/spec.md §4)
  kStreamEval = 4,      // evaluation resets and policy noise
  kStreamData = 5,      // synthetic dataset generation
  kStreamExplore = 6,   // spare, for online exploration
};

Rng rng_make(uint64_t seed, uint64_t stream);
uint64_t rng_next(Rng& r);
real rng_uniform(Rng& r);                   // [0, 1)
uint64_t rng_below(Rng& r, uint64_t n);     // [0, n), n > 0
real rng_normal(Rng& r);                    // N(0, 1)
// lo + (hi - lo) u, u = rng_uniform: uniform in [lo, hi) (up to the
// rounding of that expression).
inline real rng_range(Rng& r, real lo, real hi) { return lo + (hi - lo) * rng_uniform(r); }

}  // namespace rql
