// test_rng.cpp: the random number generator (src/core/rng.h).
//
// Pinned values come from outside rng.cpp:
//   * published vectors: SplitMix64 from seed 1234567 (Vigna's splitmix64.c,
//     as listed on Rosetta Code "Pseudo-random numbers/Splitmix64") and
//     xoshiro256** from the state {1, 2, 3, 4} (the reference vector of the
//     rand_xoshiro crate, produced with Vigna's xoshiro256starstar.c);
//   * a Python transcription of those two published algorithms with the
//     seeding rule of rng.h, in integer arithmetic only. It reproduces both
//     published vectors above before producing the pins below:
//
//       M = (1 << 64) - 1
//       def splitmix(x):
//           x = (x + 0x9E3779B97F4A7C15) & M
//           z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
//           z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
//           return x, z ^ (z >> 31)
//       def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M
//       def make(seed, stream):              # rng_make: SplitMix64 from
//           x = seed ^ ((stream * 0xD1B54A32D192ED03) & M)   # seed ^ stream*c
//           s = []
//           for _ in range(4): x, z = splitmix(x); s.append(z)
//           return s
//       def nxt(s):                          # xoshiro256**
//           r = (rotl((s[1] * 5) & M, 7) * 9) & M
//           t = (s[1] << 17) & M
//           s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
//           s[2] ^= t; s[3] = rotl(s[3], 45)
//           return r
//       def below(s, n):                     # Lemire: high word of x * n,
//           while True:                      # reject low < 2^64 mod n
//               p = nxt(s) * n
//               if p & M >= (2**64 - n) % n: return p >> 64
//
//   (run with python3; the published vectors first, then the pins.)
//   * tools/rng_reference.py: the same in NumPy, with the uniform and polar
//     normal maps in float32 and float64 arithmetic, for the real-valued
//     distributions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/rng.h"

namespace rql {
namespace {

TEST(RngTest, SeedingIsSplitMix64PublishedVector) {
  // Stream 0 leaves the seed unmixed (seed ^ 0 * c = seed), so the four state
  // words are the first four SplitMix64 outputs of the seed: the published
  // sequence for seed 1234567.
  const Rng r = rng_make(1234567, 0);
  EXPECT_EQ(r.s[0], 6457827717110365317ull);
  EXPECT_EQ(r.s[1], 3203168211198807973ull);
  EXPECT_EQ(r.s[2], 9817491932198370423ull);
  EXPECT_EQ(r.s[3], 4593380528125082431ull);
  // ... and seed 0: 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F
  // (the same published generator, first three outputs).
  const Rng z = rng_make(0, 0);
  EXPECT_EQ(z.s[0], 0xE220A8397B1DCDAFull);
  EXPECT_EQ(z.s[1], 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(z.s[2], 0x06C45D188009454Full);
}

TEST(RngTest, GeneratorIsXoshiro256StarStarPublishedVector) {
  Rng r = rng_make(0, 0);
  r.s[0] = 1;
  r.s[1] = 2;
  r.s[2] = 3;
  r.s[3] = 4;
  // First output by hand: rotl(s1 * 5, 7) * 9 = rotl(10, 7) * 9 = 1280 * 9.
  const uint64_t expected[10] = {11520ull,
                                 0ull,
                                 1509978240ull,
                                 1215971899390074240ull,
                                 1216172134540287360ull,
                                 607988272756665600ull,
                                 16172922978634559625ull,
                                 8476171486693032832ull,
                                 10595114339597558777ull,
                                 2904607092377533576ull};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rng_next(r), expected[i]) << "output " << i;
}

TEST(RngTest, FirstOutputsOfSeedArePinned) {
  // From the Python reference above: print([nxt(s) for _ in range(4)]) with
  // s = make(seed, stream).
  struct Case {
    uint64_t seed, stream;
    uint64_t out[4];
  };
  const Case cases[] = {
      {42, 1, {13583771085161268ull, 395782336197462635ull, 10113986297222979544ull, 610389594528408260ull}},
      {42, 2, {17629992854992445270ull, 13703986479472752539ull, 2363518408042491941ull, 17717603150227818717ull}},
      {0, 0, {11091344671253066420ull, 13793997310169335082ull, 1900383378846508768ull, 7684712102626143532ull}},
      {123456789, 3,
       {18184044926506394876ull, 2009023869235895935ull, 10920676790058105824ull, 3573612464486586533ull}},
  };
  for (const Case& c : cases) {
    Rng r = rng_make(c.seed, c.stream);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(rng_next(r), c.out[i]) << "seed " << c.seed << " stream " << c.stream;
  }
  // The state after seeding, make(42, 1) in hex.
  const Rng r = rng_make(42, 1);
  EXPECT_EQ(r.s[0], 0xc8ddbbbeab9cba1bull);
  EXPECT_EQ(r.s[1], 0x3b3335584873a7b9ull);
  EXPECT_EQ(r.s[2], 0x491400c5aad09a09ull);
  EXPECT_EQ(r.s[3], 0x011f78e53371936dull);
}

TEST(RngTest, SameSeedSameStreamGivesSameNumbers) {
  Rng a = rng_make(7, kStreamBatch), b = rng_make(7, kStreamBatch);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng_next(a), rng_next(b)) << "draw " << i;
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng_normal(a), rng_normal(b)) << "normal " << i;
}

TEST(RngTest, DifferentStreamsAndSeedsDiffer) {
  // Position by position, two unrelated 64-bit streams agree with probability
  // 2^-64 per draw: any agreement in 1000 draws means the streams are related.
  const uint64_t streams[] = {kStreamInit, kStreamBatch, kStreamUpdate, kStreamEval, kStreamData, kStreamExplore};
  std::vector<std::vector<uint64_t>> draws;
  for (uint64_t st : streams) {
    Rng r = rng_make(42, st);
    std::vector<uint64_t> d(1000);
    for (auto& x : d) x = rng_next(r);
    draws.push_back(d);
  }
  Rng other_seed = rng_make(43, kStreamInit);
  std::vector<uint64_t> d43(1000);
  for (auto& x : d43) x = rng_next(other_seed);
  draws.push_back(d43);
  for (size_t a = 0; a < draws.size(); ++a)
    for (size_t b = a + 1; b < draws.size(); ++b) {
      int equal = 0;
      for (int i = 0; i < 1000; ++i) equal += draws[a][i] == draws[b][i];
      EXPECT_EQ(equal, 0) << "sequences " << a << " and " << b;
    }
}

TEST(RngTest, UniformIsTopMantissaBitsOfADraw) {
  // rng_uniform = (draw >> (64 - p)) 2^-p with p the precision of real (24
  // in float, 53 in double). make(42, 1): the first draw >> 11 is
  // 6632700725176 in the integer reference above, so its top 24 bits are
  // 6632700725176 >> 29 = 12354 and the float uniform is 12354 2^-24.
  Rng r = rng_make(42, 1);
#ifdef RQL_DOUBLE
  EXPECT_EQ(rng_uniform(r), 6632700725176.0 * 0x1.0p-53);
  EXPECT_EQ(rng_uniform(r), 193253093846417.0 * 0x1.0p-53);
#else
  EXPECT_EQ(rng_uniform(r), 12354.0f * 0x1.0p-24f);
  EXPECT_EQ(rng_uniform(r), static_cast<float>(193253093846417ull >> 29) * 0x1.0p-24f);
#endif
  // The extremes of the map: 0 gives 0, all ones gives 1 - 2^-p < 1.
  const int p = std::numeric_limits<real>::digits;
  EXPECT_LT(static_cast<real>(~0ull >> (64 - p)) * (real(1) / static_cast<real>(1ull << p)), real(1));
}

TEST(RngTest, UniformsAndNormalsMatchTheIndependentNumPyReference) {
  // Pins printed by tools/rng_reference.py (NumPy 1.24, a transcription of
  // the published algorithms, each operation in float32 or float64 numpy
  // arithmetic). Uniforms involve no libm call: equal. Normals go through
  // log, which NumPy computes with its own routine and C++ with the C
  // library's logf / log: allowed 2 ulps (sqrt, the other call, is exactly
  // rounded on both sides).
#ifdef RQL_DOUBLE
  const real uniforms[4] = {0x1.8212f151eep-11, 0x1.5f867c055b22p-6, 0x1.18b831e6fa49bp-1, 0x1.0f1143458ebcp-5};
  const real normals_42_1[8] = {0x1.a77ce741b1c88p-5,  -0x1.ffef653f78b89p-2, -0x1.65efec9195be1p+0,
                                -0x1.691f55160c256p-3, -0x1.2329d0947050bp+0, 0x1.36446cb4fcaf6p-4,
                                -0x1.c03fecd89c50ap+0, -0x1.9eec272166994p-1};
  const real normals_7_3[8] = {0x1.eb31ff80c5ddbp-2,  0x1.9f66e7eb44066p-2, 0x1.74d3e7def963ap-2,
                               0x1.04261bf648e11p+0,  -0x1.7eb6c8035d95cp+0, 0x1.23b0b40ad5cep+0,
                               -0x1.dedd56d86a0ep-1, 0x1.55ba21fdc47dfp-5};
  const real normals_7_3_late[4] = {-0x1.d4dd489ebd8f8p-1, -0x1.ad9f3538f69d5p+0, 0x1.58d0fff8ff9a9p-2,
                                    -0x1.931d7c64c1e17p+0};
#else
  const real uniforms[4] = {0x1.821p-11f, 0x1.5f864p-6f, 0x1.18b83p-1f, 0x1.0f114p-5f};
  const real normals_42_1[8] = {0x1.a77cbep-5f, -0x1.ffef5cp-2f, -0x1.65efe8p+0f, -0x1.691f6ap-3f,
                                -0x1.2329dp+0f, 0x1.36444ep-4f,  -0x1.c03fe8p+0f, -0x1.9eec32p-1f};
  const real normals_7_3[8] = {0x1.eb320ap-2f,  0x1.9f66fp-2f,  0x1.74d3eap-2f,  0x1.042622p+0f,
                               -0x1.7eb6c8p+0f, 0x1.23b0aep+0f, -0x1.dedd4ep-1f, 0x1.55b9d2p-5f};
  const real normals_7_3_late[4] = {-0x1.d4dd42p-1f, -0x1.ad9f34p+0f, 0x1.58d0fp-2f, -0x1.931d82p+0f};
#endif
  // Within `ulps` representable steps of `want`.
  auto near = [](real got, real want, int ulps) {
    real lo = want, hi = want;
    for (int i = 0; i < ulps; ++i) {
      lo = std::nextafter(lo, -std::numeric_limits<real>::infinity());
      hi = std::nextafter(hi, std::numeric_limits<real>::infinity());
    }
    return got >= lo && got <= hi;
  };
  Rng u = rng_make(42, 1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rng_uniform(u), uniforms[i]) << "uniform " << i;
  Rng a = rng_make(42, 1);
  for (int i = 0; i < 8; ++i) {
    const real z = rng_normal(a);
    EXPECT_TRUE(near(z, normals_42_1[i], 2)) << "make(42, 1) normal " << i << ": " << z;
  }
  Rng b = rng_make(7, 3);
  for (int i = 0; i < 8; ++i) {
    const real z = rng_normal(b);
    EXPECT_TRUE(near(z, normals_7_3[i], 2)) << "make(7, 3) normal " << i << ": " << z;
  }
  for (int i = 8; i < 1001; ++i) rng_normal(b);
  for (int i = 0; i < 4; ++i) {
    const real z = rng_normal(b);
    EXPECT_TRUE(near(z, normals_7_3_late[i], 2)) << "make(7, 3) normal " << 1001 + i << ": " << z;
  }
}

TEST(RngTest, UniformIsInUnitIntervalWithMeanAndVarianceInBounds) {
  // U[0,1): mean 1/2, variance 1/12. With n draws the sample mean has standard
  // deviation sqrt(1/(12 n)); the mean of (u - 1/2)^2 has variance
  // E[(u-1/2)^4] - (1/12)^2 = 1/80 - 1/144 = 1/180. Bounds at 5 sigma.
  const int n = 100000;
  Rng r = rng_make(2024, kStreamEval);
  double sum = 0, sum2 = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double u = static_cast<double>(rng_uniform(r));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += (u - 0.5) * (u - 0.5);
    lo = std::fmin(lo, u);
    hi = std::fmax(hi, u);
  }
  EXPECT_LT(std::fabs(sum / n - 0.5), 5 * std::sqrt(1.0 / (12.0 * n)));
  EXPECT_LT(std::fabs(sum2 / n - 1.0 / 12), 5 * std::sqrt(1.0 / (180.0 * n)));
  // The extremes of 1e5 uniforms are within ~1e-5 of the ends (P(min > 1e-3) = (1-1e-3)^1e5 ~ e^-100).
  EXPECT_LT(lo, 1e-3);
  EXPECT_GT(hi, 1 - 1e-3);
}

TEST(RngTest, RangeMapsUniformAffinely) {
  // rng_range(lo, hi) = lo + (hi - lo) u with the same draw, in real.
  Rng a = rng_make(5, kStreamInit), b = rng_make(5, kStreamInit);
  for (int i = 0; i < 100; ++i) {
    const real u = rng_uniform(a);
    EXPECT_EQ(rng_range(b, real(-2), real(3)), real(-2) + real(5) * u);
  }
}

TEST(RngTest, BelowMatchesLemireReferencePinned) {
  // make(42, 3): [below(s, 7) for _ in range(8)] in the Python reference.
  Rng r = rng_make(42, 3);
  const uint64_t small[8] = {1, 0, 0, 4, 5, 3, 3, 3};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(rng_below(r, 7), small[i]) << "draw " << i;
  // n = 2^63 + 1: the rejection zone [0, 2^64 mod n) = [0, 2^63 - 1) holds
  // about half of all low words, so these four values exercise the retry loop
  // and the full 64x64 -> 128-bit product.
  Rng big = rng_make(42, 3);
  const uint64_t n = (1ull << 63) + 1;
  const uint64_t large[4] = {1041596512951117386ull, 806723864959944608ull, 5491629950624449283ull,
                             7128844948858541814ull};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(rng_below(big, n), large[i]) << "draw " << i;
  // n = 0x9E3779B97F4A7C15 (both 32-bit halves full of bits): every partial
  // product of the portable 64x64 multiply matters, including the carry out
  // of the middle word (about one draw in two); 16 draws pin it.
  // make(42, 3): [below(s, 0x9E3779B97F4A7C15) for _ in range(16)].
  Rng mixed = rng_make(42, 3);
  const uint64_t golden_n = 0x9E3779B97F4A7C15ull;
  const uint64_t mixed_out[16] = {
      2715250590685613197ull, 1287484095134321172ull, 997165536161852193ull,  6077291319769213362ull,
      5851741891894237849ull, 1961690029932937109ull, 4559283202108883349ull, 2377294267008245383ull,
      4202489942681798120ull, 7303716744326344618ull, 9314324961637523887ull, 4751525569556188129ull,
      10613224499720365195ull, 540366171289640163ull, 6828612669984180561ull, 495987588846213985ull};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(rng_below(mixed, golden_n), mixed_out[i]) << "draw " << i;
}

TEST(RngTest, BelowIsNeverOutOfRange) {
  Rng r = rng_make(11, kStreamBatch);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(rng_below(r, 1), 0u);  // n = 1: only 0
  const uint64_t ns[] = {2, 3, 7, 10, 1000003, (1ull << 32) + 1, (1ull << 63) - 1, 1ull << 63, (1ull << 63) + 1,
                         ~0ull};
  for (uint64_t n : ns)
    for (int i = 0; i < 20000; ++i) ASSERT_LT(rng_below(r, n), n) << "n = " << n;
  // For n = 2^63 + 1 about half of the values are >= 2^62 (a check that the
  // high word of the 128-bit product is not truncated or biased low).
  int top = 0;
  for (int i = 0; i < 10000; ++i) top += rng_below(r, (1ull << 63) + 1) >= (1ull << 62);
  EXPECT_GT(top, 10000 / 2 - 5 * 50);  // binomial(1e4, 1/2): sd 50, 5 sigma
  EXPECT_LT(top, 10000 / 2 + 5 * 50);
}

TEST(RngTest, BelowSevenIsUnbiasedChiSquare) {
  // 70000 draws in 7 cells, expected 10000 each. Pearson's statistic has 6
  // degrees of freedom; its 0.999 quantile is 22.458 (chi-square table), so a
  // fair sampler fails this with probability 1e-3 per seed (this seed is fixed).
  const int n = 7, draws = 70000;
  int count[n] = {};
  Rng r = rng_make(99, kStreamBatch);
  for (int i = 0; i < draws; ++i) ++count[rng_below(r, n)];
  double chi2 = 0;
  const double e = static_cast<double>(draws) / n;
  for (int k = 0; k < n; ++k) chi2 += (count[k] - e) * (count[k] - e) / e;
  EXPECT_LT(chi2, 22.458);
  // A biased sampler would show up here; a broken one that never returns some
  // value fails outright.
  for (int k = 0; k < n; ++k) EXPECT_GT(count[k], 0) << "value " << k;
}

TEST(RngTest, NormalIsMarsagliaPolarOfTheUniforms) {
  // The first pair from make(42, 1), by Marsaglia's polar method written out
  // here in real from the published algorithm: u, v = 2 U - 1 from
  // successive uniforms, rejected until 0 < s = u^2 + v^2 < 1, then u f and
  // v f with f = sqrt(-2 ln s / s). (The same arithmetic as rng.cpp, so
  // equal; the NumPy pins above are the independent check.)
  Rng src = rng_make(42, 1);
  real u, v, s;
  do {
    u = real(2) * rng_uniform(src) - real(1);
    v = real(2) * rng_uniform(src) - real(1);
    s = u * u + v * v;
  } while (s >= real(1) || s == real(0));
  const real f = std::sqrt(real(-2) * std::log(s) / s);
  Rng r = rng_make(42, 1);
  EXPECT_EQ(rng_normal(r), u * f);
  // The second of the pair comes from the saved spare: no draw is consumed.
  uint64_t before[4] = {r.s[0], r.s[1], r.s[2], r.s[3]};
  EXPECT_EQ(rng_normal(r), v * f);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.s[i], before[i]);
  // The third draws again.
  rng_normal(r);
  EXPECT_NE(r.s[0], before[0]);
}

TEST(RngTest, NormalMomentsWithinSampleBounds) {
  // n = 1e5 standard normals. Sample mean: sd 1/sqrt(n). Sample variance:
  // sd sqrt(2/n) (normal fourth moment 3). Kurtosis m4/m2^2: asymptotic sd
  // sqrt(24/n). Skewness m3/m2^1.5: sd sqrt(6/n). All bounds at 5 sigma.
  const int n = 100000;
  Rng r = rng_make(42, kStreamUpdate);
  std::vector<double> z(n);
  double sum = 0;
  for (double& x : z) {
    x = static_cast<double>(rng_normal(r));
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
  }
  const double mean = sum / n;
  double m2 = 0, m3 = 0, m4 = 0;
  int beyond3 = 0;
  for (double x : z) {
    const double d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
    beyond3 += std::fabs(x) > 3.0;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  EXPECT_LT(std::fabs(mean), 5 / std::sqrt(static_cast<double>(n)));
  EXPECT_LT(std::fabs(m2 - 1), 5 * std::sqrt(2.0 / n));
  EXPECT_LT(std::fabs(m3 / std::pow(m2, 1.5)), 5 * std::sqrt(6.0 / n));
  EXPECT_LT(std::fabs(m4 / (m2 * m2) - 3), 5 * std::sqrt(24.0 / n));
  // Tail: P(|z| > 3) = 0.0026998 -> 270 expected, binomial sd sqrt(270) ~ 16.4.
  EXPECT_GT(beyond3, 270 - 5 * 17);
  EXPECT_LT(beyond3, 270 + 5 * 17);
}

}  // namespace
}  // namespace rql
