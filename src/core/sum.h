// sum.h: compensated summation in `real` (Neumaier's variant of Kahan's
// algorithm), for the losses and the update's metrics.
//
// Why: a plain float running sum of n terms can be off by about n * 6e-8
// relative (1.5e-4 for the 2,560 terms of L_q at K 10, B 256; worse for
// grad_norm's million squares), while XLA sums in pairs (error ~log2 n
// ulps). Accumulating in double would fix it, but doubles are emulated in
// software on a single-precision FPU. The compensated sum keeps the error
// of each sum near 2 ulps of the result for any n, in real, one term at a
// time (no buffer, unlike a pairwise sum). It relies on IEEE rounding of
// every operation: never compile it with -ffast-math (the build never does).
#pragma once

#include <cmath>

#include "scalar.h"

namespace rql {

struct CompensatedSum {
  real sum = 0;
  real c = 0;  // the low-order parts that `sum` could not hold
};

// sum <- sum + x, keeping the rounding error of that addition in c.
inline void csum_add(CompensatedSum& s, real x) {
  const real t = s.sum + x;
  if (std::fabs(s.sum) >= std::fabs(x))
    s.c += (s.sum - t) + x;  // the low part of x was lost
  else
    s.c += (x - t) + s.sum;  // the low part of sum was lost
  s.sum = t;
}

inline real csum_value(const CompensatedSum& s) { return s.sum + s.c; }

}  // namespace rql
