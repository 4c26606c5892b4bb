// tanh_fast.h: vectorisable exp and tanh in float, for GELU. A speed
// trick, so it lives in the speed layer: the core's reference GELU calls
// std::tanh. exp_nonneg_plus serves both GELUs of gelu_fast.h: fused for the
// fast kernel set's (v sigmoid(2u)), chained inside tanh_float for
// gelu_forward_fast, the C export's reference. tests/fast/test_gelu_fast.cpp
// holds tanh_float within 2e-7 of libm and both GELUs near the reference.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/scalar.h"
#include "mul_add.h"

namespace rql {

// c + a b. Chained (kFused false): the product rounded, then the sum, as
// written; this is what the C export repeats (P_madd), so the chained forms
// below are its reference. Fused (kFused true): mul_add.h's mul_add, one
// rounding where the target has FMA (GCC vectorises it into vfmadd), else
// the chained form. gelu_fast.cpp is compiled with -ffp-contract=off, so
// nothing else fuses.
template <bool kFused>
inline float madd(float a, float b, float c) {
  if constexpr (kFused) return mul_add(a, b, c);
  return a * b + c;
}

// exp(r) for the reduced argument |r| <= ln 2 / 2 (plus rounding slack):
// a degree-6 polynomial fitted for relative error on |r| <= 0.3466
// (tools/fit_exp_poly.py: 9.4e-8 in float arithmetic, rounding included;
// Taylor needed degree 7), evaluated by Horner. Used by exp_nonneg_plus; the C
// export's P_tanh repeats these coefficients in the same order
// (src/io/export_c.cpp), so a change here must be made there too.
template <bool kFused>
inline float exp_reduced(float r) {
  float p = madd<kFused>(r, 0.0013838162f, 0.00837483f);
  p = madd<kFused>(r, p, 0.041668203f);
  p = madd<kFused>(r, p, 0.1666642f);
  p = madd<kFused>(r, p, 0.4999999f);
  p = madd<kFused>(r, p, 1.0f);
  return madd<kFused>(r, p, 1.0f);
}

// exp(y) + c for float y in [0, 87] (the caller clamps; beyond, 2^k would
// leave the float range), written so that GCC vectorises it:
//   1. k = round(y / ln 2), as the truncation of y / ln 2 + 1/2 (y >= 0);
//   2. r = y - k ln 2 with ln 2 split in two parts (Cody-Waite), |r| <= 0.35
//      (-k is exact, so c - k ln2 is one multiply-add);
//   3. exp(r) by exp_reduced (9.4e-8 relative);
//   4. times 2^k, built from its exponent bits (k + 127 in [127, 253]), plus
//      c: the product is exact (a power of 2, no overflow for y <= 87), so
//      the fused and the chained last step round the same sum once.
// kFused false: the chained operations tanh_float (and so the C export's
// P_tanh) performs; true: fused multiply-adds, for the fast GELU kernels.
// Relative error a few float ulps (tests/fast/test_kernels_fast.cpp).
template <bool kFused>
inline float exp_nonneg_plus(float y, float c) {
  const int k = static_cast<int>(madd<kFused>(y, 1.44269504f, 0.5f));  // y >= 0: round half up
  const float kf = static_cast<float>(k);
  // r = (y - k ln2_hi) - k ln2_lo, ln2 = 0.693145752 + 1.42860677e-6
  const float r = madd<kFused>(-kf, 1.42860677e-6f, madd<kFused>(-kf, 0.693145752f, y));
  const float er = exp_reduced<kFused>(r);
  const uint32_t bits = static_cast<uint32_t>(k + 127) << 23;  // 2^k
#if defined(__GNUC__)
  const float scale = __builtin_bit_cast(float, bits);  // memcpy would stop GCC vectorising
#else
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
#endif
  return madd<kFused>(er, scale, c);
}

// tanh for float, written so that GCC vectorises the GELU loops (a libm call
// per element does not vectorise and dominated the update's time: about 20
// ns each, 2e7 of them per update at the authors' default size).
//   1. tanh|x| = 1 - 2 / (exp(2|x|) + 1), and exactly 1 beyond |x| = 9.1
//      (where tanh rounds to 1 in float, as libm's tanhf gives);
//      exp(y) = 2^k exp(r), k = round(y / ln 2), r = y - k ln 2 (ln 2 split
//      in two parts, Cody-Waite), exp(r) by exp_reduced.
//   2. the sign is copied back: tanh is odd, and tanh(0) = 1 - 2 / 2 = 0.
// It is the chained exp_nonneg_plus: the C export's P_tanh performs the same
// operations in the same order (src/io/export_c.cpp).
// The error is absolute, not relative: near 0 the subtraction from 1 keeps
// about 1e-7, so tanh_float(1e-5) has only two correct digits. GELU needs no
// better: it uses 1 + tanh(u), which the subtraction does not harm. (An odd
// Taylor series for |x| < 0.3, computed beside this and selected by mask,
// gave relative accuracy there and cost 1.4x the time of the whole GELU
// forward; measured with a stand-alone loop over 4096 elements, -O3
// -march=native -ffp-contract=off, AMD EPYC with AVX-512: 0.72 against
// 0.52 ns per element.)
// Branch-free (the clamp and the sign are selections), so the loops calling
// it vectorise: gelu_fast.cpp is compiled with -fno-trapping-math, which
// lets GCC turn the comparisons into vector masks; it changes no result,
// unlike -ffast-math.
// Measured error against std::tanh over [-12, 12] (tests/fast/test_gelu_fast.cpp,
// GeluFastTest.FastTanhMatchesLibm): 1.2e-7 absolute, at x = -0.0053. The
// double build uses std::tanh.
inline float tanh_float(float x) {
  const float a = std::fabs(x);
  const float y = 2.0f * (a < 9.1f ? a : 9.1f);
  // At the clamp, 2 / (exp(18.2) + 1) = 2.5e-8 is below half an ulp of 1
  // (2^-25 = 3e-8), so the result is exactly 1 beyond 9.1.
  const float t = 1.0f - 2.0f / exp_nonneg_plus<false>(y, 1.0f);
  return x < 0.0f ? -t : t;
}

// tanh as the fast GELU computes it: tanh_float in float builds, std::tanh
// in double builds (where the reference tanh is fast enough to keep).
#ifdef RQL_DOUBLE
inline double tanh_real(double x) { return std::tanh(x); }
#else
inline float tanh_real(float x) { return tanh_float(x); }
#endif

}  // namespace rql
