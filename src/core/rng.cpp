// rng.cpp: xoshiro256** with SplitMix64 seeding; uniform, bounded integer
// and normal samplers. See rng.h for the choices.
#include "rng.h"

#include <cmath>
#include <limits>

namespace rql {

namespace {

uint64_t splitmix64(uint64_t& x) {
  x += 0x9E3779B97F4A7C15ull;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Full 64 x 64 -> 128-bit product as (hi, lo), in portable C++ (no __int128,
// which 32-bit microcontroller compilers lack).
void mul_64x64(uint64_t a, uint64_t b, uint64_t* hi, uint64_t* lo) {
  const uint64_t a_lo = a & 0xFFFFFFFFull, a_hi = a >> 32;
  const uint64_t b_lo = b & 0xFFFFFFFFull, b_hi = b >> 32;
  const uint64_t p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo, p3 = a_hi * b_hi;
  const uint64_t mid = (p0 >> 32) + (p1 & 0xFFFFFFFFull) + (p2 & 0xFFFFFFFFull);
  *lo = (mid << 32) | (p0 & 0xFFFFFFFFull);
  *hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

}  // namespace

Rng rng_make(uint64_t seed, uint64_t stream) {
  // Mix the stream id into the SplitMix64 start so that (seed, stream) pairs
  // give unrelated states; SplitMix64 never yields an all-zero xoshiro state
  // in practice (and we guard against it anyway).
  uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
  Rng r;
  for (int i = 0; i < 4; ++i) r.s[i] = splitmix64(x);
  if ((r.s[0] | r.s[1] | r.s[2] | r.s[3]) == 0) r.s[0] = 1;
  r.spare = 0;
  r.has_spare = 0;
  return r;
}

uint64_t rng_next(Rng& r) {
  uint64_t* s = r.s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

real rng_uniform(Rng& r) {
  // kBits random bits scaled by 2^-kBits: every value k 2^-kBits, k in
  // [0, 2^kBits), exactly representable in real (kBits = the mantissa's
  // precision, 24 for float and 53 for double).
  constexpr int kBits = std::numeric_limits<real>::digits;
  constexpr real kScale = real(1) / static_cast<real>(uint64_t(1) << kBits);
  return static_cast<real>(rng_next(r) >> (64 - kBits)) * kScale;
}

uint64_t rng_below(Rng& r, uint64_t n) {
  // Lemire (2019), "Fast random integer generation in an interval":
  // the high 64 bits of x * n are uniform on [0, n) once the low part is
  // outside the biased zone [0, 2^64 mod n).
  uint64_t hi, low;
  mul_64x64(rng_next(r), n, &hi, &low);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) mul_64x64(rng_next(r), n, &hi, &low);
  }
  return hi;
}

real rng_normal(Rng& r) {
  if (r.has_spare) {
    r.has_spare = 0;
    return r.spare;
  }
  // Marsaglia polar: (u, v) uniform in the unit disc, s = u^2 + v^2,
  // then u * sqrt(-2 ln s / s) and v * sqrt(-2 ln s / s) are independent N(0,1).
  // 2 U - 1 is exact (U is a multiple of 2^-digits).
  real u, v, s;
  do {
    u = real(2) * rng_uniform(r) - real(1);
    v = real(2) * rng_uniform(r) - real(1);
    s = u * u + v * v;
  } while (s >= real(1) || s == real(0));
  const real f = std::sqrt(real(-2) * std::log(s) / s);
  r.spare = v * f;
  r.has_spare = 1;
  return u * f;
}

}  // namespace rql
