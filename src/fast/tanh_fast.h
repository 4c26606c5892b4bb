// tanh_fast.h: a float tanh that GCC vectorises, for the fast GELU kernel.
// A speed trick, so it lives in the speed layer: the core's reference GELU
// calls std::tanh. tests/fast/test_gelu_fast.cpp holds it within 3e-7 of
// libm and the fast GELU equal to the reference one.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/scalar.h"

namespace rql {

// tanh for float, written so that GCC vectorises the GELU loops (a libm call
// per element does not vectorise and dominated the update's time: about 20
// ns each, 2e7 of them per update at the authors' default size).
//   1. |x| < 0.3: the odd Taylor series to x^11 (next term < 6e-10 |x|).
//   2. otherwise: 1 - 2 / (exp(2|x|) + 1), and exactly 1 beyond |x| = 9.1
//      (where tanh rounds to 1 in float, as libm's tanhf gives); exp(y) = 2^k exp(r), k = round(y / ln 2),
//      r = y - k ln2 (ln 2 split in two parts, Cody-Waite), exp(r) by its
//      Taylor polynomial to r^7 (|r| <= 0.35: error < 1e-8).
//   3. the sign is copied back: tanh is odd.
// Inline, and both branches are computed and one is selected by 0/1
// weights, so the loops calling it have no branch (gelu_fast.cpp is compiled
// with -fno-trapping-math, which lets GCC turn the comparisons into vector
// masks; it changes no result, unlike -ffast-math).
// Measured error against std::tanh over [-12, 12] (tests/fast/test_gelu_fast.cpp,
// GeluFastTest.FastTanhMatchesLibm): below 3e-7 absolute. The double build uses
// std::tanh.
inline float tanh_float(float x) {
  const float a = std::fabs(x);
  // Each branch sees its argument clamped to its own range, so neither can
  // overflow (a^11 overflows float beyond |x| ~ 3300, and 0 * inf in the
  // selection below would then be NaN).
  const float as = a < 0.3f ? a : 0.3f;
  const float a2 = as * as;
  // tanh(a) = a - a^3/3 + 2a^5/15 - 17a^7/315 + 62a^9/2835 - 1382a^11/155925
  const float small = as + as * a2 * (-0.333333333f + a2 * (0.133333333f + a2 * (-0.0539682540f +
                      a2 * (0.0218694885f + a2 * (-0.00886323552f)))));
  const float y = 2.0f * (a < 9.1f ? a : 9.1f);
  const int k = static_cast<int>(y * 1.44269504f + 0.5f);  // y >= 0: round half up
  const float kf = static_cast<float>(k);
  const float r = (y - kf * 0.693145752f) - kf * 1.42860677e-6f;  // ln2 = 0.693145752 + 1.42860677e-6
  const float er = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666667f + r * (0.0416666667f +
                   r * (0.00833333333f + r * (0.00138888889f + r * 0.000198412698f))))));
  const uint32_t bits = static_cast<uint32_t>(k + 127) << 23;  // 2^k, k in [0, 27]
#if defined(__GNUC__)
  const float scale = __builtin_bit_cast(float, bits);  // memcpy would stop GCC vectorising
#else
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
#endif
  // Beyond 9.1, tanh rounds to exactly 1 in float (1 - 2e^-18.2 < 1 - 2^-25).
  const float q = 1.0f - 2.0f / (er * scale + 1.0f);
  // Branch-free selection (0/1 weights), so the loops calling this vectorise.
  const float below = static_cast<float>(a < 9.1f), tiny = static_cast<float>(a < 0.3f);
  const float large = below * q + (1.0f - below);
  const float t = tiny * small + (1.0f - tiny) * large;
  return x < 0.0f ? -t : t;
}

// exp(y) for float y in [-87, 87] (the caller clamps; beyond, 2^k below
// would leave the normal range), written so that GCC vectorises it:
//   1. k = round(y / ln 2) by the 1.5 * 2^23 trick (adding and subtracting it
//      rounds to an integer, to nearest, in float; no libm call);
//   2. r = y - k ln 2 with ln 2 split in two parts (Cody-Waite), |r| <= 0.35;
//   3. exp(r) by its Taylor polynomial to r^7 (error < 1e-8 relative);
//   4. times 2^k, built from its exponent bits (k + 127 in [1, 253]).
// Relative error a few float ulps (tests/fast/test_gelu_fast.cpp).
inline float exp_float(float y) {
  const float kf = (y * 1.44269504f + 12582912.0f) - 12582912.0f;  // round(y / ln 2)
  const float r = (y - kf * 0.693145752f) - kf * 1.42860677e-6f;
  const float er = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666667f + r * (0.0416666667f +
                   r * (0.00833333333f + r * (0.00138888889f + r * 0.000198412698f))))));
  const uint32_t bits = static_cast<uint32_t>(static_cast<int>(kf) + 127) << 23;  // 2^k
#if defined(__GNUC__)
  const float scale = __builtin_bit_cast(float, bits);
#else
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
#endif
  return er * scale;
}

// tanh as the fast GELU computes it: tanh_float in float builds, std::tanh
// in double builds (where the reference tanh is fast enough to keep).
#ifdef RQL_DOUBLE
inline double tanh_real(double x) { return std::tanh(x); }
#else
inline float tanh_real(float x) { return tanh_float(x); }
#endif

}  // namespace rql
