// test_inflate.cpp: the DEFLATE decoder and CRC-32 (src/inflate.h).
//
// Streams are built by hand with a small bit writer (RFC 1951 bit order:
// header fields least significant bit first, Huffman codes most significant
// bit first), so each test states the bits it feeds. Two streams come from
// CPython's zlib (provenance next to them). Real NumPy archives are decoded
// in test_npy.cpp.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "io/inflate.h"
#include "core/rng.h"

namespace {

using rql::inflate_raw;
using rql::InflateStatus;

// Bits in DEFLATE order.
struct BitWriter {
  std::vector<uint8_t> bytes;
  int nbits = 0;
  // A header field or extra bits: v's bits, least significant first.
  void put(uint32_t v, int n) {
    for (int i = 0; i < n; ++i) bit((v >> i) & 1);
  }
  // A Huffman code: most significant bit first.
  void code(uint32_t c, int len) {
    for (int i = len - 1; i >= 0; --i) bit((c >> i) & 1);
  }
  void bit(uint32_t b) {
    if (nbits % 8 == 0) bytes.push_back(0);
    bytes.back() = static_cast<uint8_t>(bytes.back() | (b << (nbits % 8)));
    ++nbits;
  }
};

// RFC 1951 3.2.6 fixed literal/length codes.
void fixed_symbol(BitWriter& w, int sym) {
  if (sym < 144)
    w.code(0x30 + sym, 8);
  else if (sym < 256)
    w.code(0x190 + sym - 144, 9);
  else if (sym < 280)
    w.code(sym - 256, 7);
  else
    w.code(0xC0 + sym - 280, 8);
}

// Canonical codes (RFC 1951 3.2.2) from code lengths.
std::vector<uint32_t> canonical(const std::vector<int>& lengths) {
  int bl_count[16] = {0};
  for (int l : lengths)
    if (l) bl_count[l]++;
  uint32_t next[16] = {0}, code = 0;
  for (int bits = 1; bits < 16; ++bits) {
    code = (code + bl_count[bits - 1]) << 1;
    next[bits] = code;
  }
  std::vector<uint32_t> codes(lengths.size(), 0);
  for (size_t s = 0; s < lengths.size(); ++s)
    if (lengths[s]) codes[s] = next[lengths[s]]++;
  return codes;
}

std::string decode(const std::vector<uint8_t>& in, size_t cap, InflateStatus* st_out = nullptr) {
  std::vector<uint8_t> out(cap + 1);  // +1: never empty
  const InflateStatus st = inflate_raw(in.data(), in.size(), out.data(), cap);
  if (st_out) *st_out = st;
  if (st.error) return std::string("ERROR: ") + st.error;
  return std::string(out.begin(), out.begin() + static_cast<long>(st.out_len));
}

std::string error_of(const std::vector<uint8_t>& in, size_t cap = 1000) {
  std::vector<uint8_t> out(cap + 1);
  const InflateStatus st = inflate_raw(in.data(), in.size(), out.data(), cap);
  return st.error ? st.error : "";
}

// "abcabcabc" as one fixed block: a, b, c, then <length 6, distance 3>.
std::vector<uint8_t> fixed_abc() {
  BitWriter w;
  w.put(1, 1);  // BFINAL
  w.put(1, 2);  // BTYPE = 01 fixed
  for (char c : std::string("abc")) fixed_symbol(w, c);
  fixed_symbol(w, 260);  // length 6: symbol 260, no extra bits
  w.code(2, 5);          // distance 3: symbol 2, no extra bits
  fixed_symbol(w, 256);  // end of block
  return w.bytes;
}

// A dynamic block decoding to "aabbbbba". Lit/len code: a, b, 256, 258
// (length 4) with 2 bits each (complete); distance code: one code of length
// 1 for symbol 0 (distance 1; the one incomplete code RFC 1951 permits).
// Code-length code: symbols 0, 1, 2, 18 with 2 bits each.
std::vector<uint8_t> dynamic_aabbbbba() {
  std::vector<int> litlen(259, 0);
  litlen['a'] = litlen['b'] = litlen[256] = litlen[258] = 2;
  const std::vector<uint32_t> lc = canonical(litlen);
  std::vector<int> cl(19, 0);
  cl[0] = cl[1] = cl[2] = cl[18] = 2;
  const std::vector<uint32_t> clc = canonical(cl);
  BitWriter w;
  w.put(1, 1);
  w.put(2, 2);          // BTYPE = 10 dynamic
  w.put(259 - 257, 5);  // HLIT
  w.put(1 - 1, 5);      // HDIST
  w.put(18 - 4, 4);     // HCLEN: code-length lengths for the first 18 of the order
  const int order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  for (int i = 0; i < 18; ++i) w.put(static_cast<uint32_t>(cl[order[i]]), 3);
  // Lengths of lit/len 0..258 then distance 0, in code-length symbols:
  w.code(clc[18], 2), w.put(97 - 11, 7);   // 97 zeros (0..96)
  w.code(clc[2], 2), w.code(clc[2], 2);    // 'a', 'b': 2
  w.code(clc[18], 2), w.put(138 - 11, 7);  // 138 zeros (99..236)
  w.code(clc[18], 2), w.put(19 - 11, 7);   // 19 zeros (237..255)
  w.code(clc[2], 2);                       // 256: 2
  w.code(clc[0], 2);                       // 257: 0
  w.code(clc[2], 2);                       // 258: 2
  w.code(clc[1], 2);                       // distance 0: 1
  // Data: a a b <4, 1> a END
  w.code(lc['a'], 2), w.code(lc['a'], 2), w.code(lc['b'], 2);
  w.code(lc[258], 2), w.code(0, 1);  // length 4 (symbol 258), distance 1 (code "0")
  w.code(lc['a'], 2);
  w.code(lc[256], 2);
  return w.bytes;
}

// CPython 3.11 zlib (zlib 1.2.13), level 9, raw (wbits -15), of
//   b''.join(b'step %d: reward %d, mask %d; ' % (i, i % 7, i % 3 == 0) for i in range(40))
// (1070 bytes, CRC-32 3806825978): one dynamic block.
const std::vector<uint8_t> kZlibDynamic = {
    0x75, 0x93, 0x4b, 0x0a, 0x02, 0x41, 0x0c, 0x44, 0xaf, 0x92, 0x03, 0xb8, 0xe8, 0x54, 0xfa, 0xab, 0xa7, 0x19, 0x70,
    0x56, 0x22, 0xc8, 0x8c, 0xe0, 0xf5, 0x45, 0x98, 0xc9, 0xa2, 0x63, 0xad, 0x1f, 0x29, 0x5e, 0x17, 0xd5, 0xfb, 0x7b,
    0x7d, 0x49, 0xba, 0xca, 0xb6, 0x7e, 0x96, 0xed, 0x2e, 0xe9, 0x22, 0xcf, 0x65, 0x7f, 0x88, 0xde, 0x64, 0xff, 0x11,
    0x75, 0xa2, 0x07, 0x49, 0x07, 0x81, 0x13, 0x4c, 0xc4, 0x9c, 0xd8, 0x94, 0x96, 0x9d, 0xe4, 0xe9, 0xa6, 0x38, 0x29,
    0x13, 0xa9, 0x4e, 0xea, 0x94, 0xd6, 0x82, 0xf5, 0x79, 0xd3, 0xa9, 0xf5, 0x08, 0xd6, 0xfe, 0xd2, 0x14, 0xb4, 0xcf,
    0x23, 0x55, 0xea, 0xad, 0x08, 0xe2, 0x1e, 0x68, 0xc1, 0xdc, 0xaf, 0x32, 0x55, 0xd7, 0x12, 0xdc, 0x3d, 0xb0, 0xd2,
    0xca, 0xb5, 0x71, 0xf9, 0x1e, 0xe4, 0x3d, 0x70, 0xd0, 0xd6, 0x91, 0xa8, 0x3c, 0x94, 0xae, 0x05, 0xe0, 0x73, 0x31,
    0x2a, 0x8f, 0x4c, 0x07, 0x83, 0x42, 0x9b, 0x47, 0xe5, 0xf2, 0x8d, 0x6e, 0x06, 0x9d, 0x36, 0x8f, 0x41, 0xe5, 0x2d,
    0xd1, 0xd9, 0x98, 0xd2, 0xe6, 0x0d, 0x54, 0xde, 0x8c, 0xce, 0xc6, 0x32, 0x6d, 0xde, 0x0a, 0x95, 0xb7, 0x4a, 0x67,
    0x63, 0x8d, 0xff, 0xd4, 0xce, 0xe5, 0xc7, 0xbf, 0xd9, 0x7c, 0x01};

std::string zlib_text() {
  std::string s;
  char buf[64];
  for (int i = 0; i < 40; ++i) {
    std::snprintf(buf, sizeof(buf), "step %d: reward %d, mask %d; ", i, i % 7, i % 3 == 0 ? 1 : 0);
    s += buf;
  }
  return s;
}

TEST(InflateTest, StoredBlockCopiesBytes) {
  // 0x01: BFINAL = 1, BTYPE = 00; then byte-aligned LEN = 5 (05 00) and
  // NLEN = ~5 = 0xFFFA (fa ff), then the 5 bytes.
  const std::vector<uint8_t> in = {0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o'};
  InflateStatus st;
  EXPECT_EQ(decode(in, 5, &st), "hello");
  EXPECT_EQ(st.in_used, in.size());
}

TEST(InflateTest, EmptyStoredBlockGivesNoOutput) {
  const std::vector<uint8_t> in = {0x01, 0x00, 0x00, 0xff, 0xff};
  EXPECT_EQ(decode(in, 0), "");
}

TEST(InflateTest, FixedBlockDecodesLiteralsAndOverlappingMatch) {
  // <6, 3> after "abc" copies from 3 back while writing: an overlapping run.
  EXPECT_EQ(decode(fixed_abc(), 9), "abcabcabc");
}

TEST(InflateTest, FixedBlockFromZlibDecodes) {
  // CPython zlib, level 9, raw, strategy Z_FIXED, of b'hello hello hello hello!'.
  const std::vector<uint8_t> in = {0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x15, 0x01};
  EXPECT_EQ(decode(in, 100), "hello hello hello hello!");
}

TEST(InflateTest, HandBuiltDynamicBlockDecodes) { EXPECT_EQ(decode(dynamic_aabbbbba(), 8), "aabbbbba"); }

TEST(InflateTest, ZlibDynamicBlockDecodesWithMatchingCrc) {
  InflateStatus st;
  const std::string out = decode(kZlibDynamic, 2000, &st);
  ASSERT_EQ(st.error, nullptr) << out;
  EXPECT_EQ(out, zlib_text());
  EXPECT_EQ(st.in_used, kZlibDynamic.size());
  EXPECT_EQ(rql::crc32_update(0, reinterpret_cast<const uint8_t*>(out.data()), out.size()), 3806825978u);
}

TEST(InflateTest, MultipleBlocksConcatenate) {
  // A non-final stored block "hi" (0x00: BFINAL 0) followed by the final
  // fixed block "abcabcabc".
  std::vector<uint8_t> in = {0x00, 0x02, 0x00, 0xfd, 0xff, 'h', 'i'};
  const std::vector<uint8_t> tail = fixed_abc();
  in.insert(in.end(), tail.begin(), tail.end());
  EXPECT_EQ(decode(in, 11), "hiabcabcabc");
}

TEST(InflateTest, LongestMatchAndFarthestDistance) {
  // 32768 stored bytes, then a fixed block copying <258, 32768>: distance
  // symbol 29 (base 24577, 13 extra bits = 8191) and length symbol 285.
  std::vector<uint8_t> in;
  std::string expect;
  for (int blk = 0; blk < 2; ++blk) {  // two stored blocks of 16384
    in.insert(in.end(), {0x00, 0x00, 0x40, 0xff, 0xbf});
    for (int i = 0; i < 16384; ++i) {
      const char c = static_cast<char>('a' + (blk * 16384 + i) % 23);
      in.push_back(static_cast<uint8_t>(c));
      expect.push_back(c);
    }
  }
  BitWriter w;
  w.put(1, 1), w.put(1, 2);
  fixed_symbol(w, 285);
  w.code(29, 5), w.put(8191, 13);
  fixed_symbol(w, 256);
  in.insert(in.end(), w.bytes.begin(), w.bytes.end());
  expect += expect.substr(0, 258);
  EXPECT_EQ(decode(in, expect.size()), expect);
}

TEST(InflateTest, CorruptStreamsAreRejectedWithReason) {
  EXPECT_EQ(error_of({}), "truncated stream (no final block)");
  EXPECT_EQ(error_of({0x07}), "invalid block type 3");
  EXPECT_EQ(error_of({0x01, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'}),
            "stored block length check failed (LEN != ~NLEN)");
  EXPECT_EQ(error_of({0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e'}), "truncated stored block");
  EXPECT_EQ(error_of({0x01, 0x05, 0x00}), "truncated stored block header");
  {
    BitWriter w;  // a match before any output
    w.put(1, 1), w.put(1, 2);
    fixed_symbol(w, 'a');
    fixed_symbol(w, 257), w.code(1, 5);  // <3, distance 2>: only 1 byte written
    fixed_symbol(w, 256);
    EXPECT_EQ(error_of(w.bytes), "invalid distance: too far back");
  }
  {
    BitWriter w;
    w.put(1, 1), w.put(1, 2);
    fixed_symbol(w, 286);
    EXPECT_EQ(error_of(w.bytes), "invalid length symbol (286 or 287)");
  }
  {
    BitWriter w;
    w.put(1, 1), w.put(1, 2);
    fixed_symbol(w, 'a');
    fixed_symbol(w, 257), w.code(30, 5);
    EXPECT_EQ(error_of(w.bytes), "invalid distance symbol (30 or 31)");
  }
  {
    BitWriter w;  // HLIT = 30: 287 literal/length codes
    w.put(1, 1), w.put(2, 2), w.put(30, 5), w.put(0, 5), w.put(0, 4);
    w.put(0, 32);
    EXPECT_EQ(error_of(w.bytes), "dynamic block: more than 286 literal/length codes");
  }
  {
    BitWriter w;  // every code-length code of length 1: over-subscribed
    w.put(1, 1), w.put(2, 2), w.put(0, 5), w.put(0, 5), w.put(15, 4);
    for (int i = 0; i < 19; ++i) w.put(1, 3);
    w.put(0, 32);
    EXPECT_EQ(error_of(w.bytes), "dynamic block: invalid code-length code");
  }
  {
    // Code-length symbol 16 (repeat previous) as the very first length.
    std::vector<int> cl(19, 0);
    cl[16] = cl[0] = 1;  // codes: 0 -> "0", 16 -> "1"
    BitWriter w;
    w.put(1, 1), w.put(2, 2), w.put(0, 5), w.put(0, 5), w.put(0, 4);
    const int order[4] = {16, 17, 18, 0};
    for (int i = 0; i < 4; ++i) w.put(static_cast<uint32_t>(cl[order[i]]), 3);
    w.code(1, 1), w.put(0, 2);
    w.put(0, 32);
    EXPECT_EQ(error_of(w.bytes), "dynamic block: repeat of a length with no previous length");
  }
  {
    // All 258 lengths zero (HLIT 257 + HDIST 1): no end-of-block code.
    BitWriter w;
    w.put(1, 1), w.put(2, 2), w.put(0, 5), w.put(0, 5), w.put(0, 4);
    w.put(0, 3), w.put(0, 3), w.put(1, 3), w.put(1, 3);  // lengths of 16, 17, 18, 0: 0 -> "0", 18 -> "1"
    w.code(1, 1), w.put(138 - 11, 7);                    // 138 zeros
    w.code(1, 1), w.put(120 - 11, 7);                    // 120 zeros: 258 in all
    w.put(0, 32);
    EXPECT_EQ(error_of(w.bytes), "dynamic block: no end-of-block code");
  }
}

TEST(InflateTest, OutputLongerThanCapacityIsAnError) {
  EXPECT_EQ(decode(fixed_abc(), 8), "ERROR: output exceeds the expected size");
  EXPECT_EQ(decode({0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o'}, 4),
            "ERROR: output exceeds the expected size");
  EXPECT_EQ(decode(kZlibDynamic, 1069), "ERROR: output exceeds the expected size");
}

TEST(InflateTest, EveryTruncationIsRejected) {
  // Each proper prefix of a valid stream must fail (none is itself complete:
  // the end-of-block code is in the last byte).
  for (size_t n = 0; n < kZlibDynamic.size(); ++n) {
    std::vector<uint8_t> cut(kZlibDynamic.begin(), kZlibDynamic.begin() + static_cast<long>(n));
    InflateStatus st;
    decode(cut, 2000, &st);
    EXPECT_NE(st.error, nullptr) << "prefix of " << n << " bytes accepted";
    EXPECT_LE(st.in_used, n);
  }
}

TEST(InflateTest, RandomCorruptionNeverCrashes) {
  // 20000 mutated copies of real streams (1-4 random bytes replaced, or a
  // random bit flipped) and 2000 random byte strings. Under ASan/UBSan any
  // out-of-bounds access fails the test; otherwise we check the status
  // contract. Accepting a mutated stream is allowed (not every flip is
  // detectable without a checksum), overrunning the buffers is not.
  rql::Rng rng = rql::rng_make(5, 0);
  const std::vector<std::vector<uint8_t>> seeds = {kZlibDynamic, dynamic_aabbbbba(), fixed_abc()};
  std::vector<uint8_t> out(4096);
  const auto start = std::chrono::steady_clock::now();
  int rejected = 0;
  for (int it = 0; it < 22000; ++it) {
    std::vector<uint8_t> in;
    if (it < 20000) {
      in = seeds[static_cast<size_t>(it) % seeds.size()];
      const int flips = 1 + static_cast<int>(rql::rng_below(rng, 4));
      for (int f = 0; f < flips; ++f) {
        const size_t at = rql::rng_below(rng, in.size());
        if (rql::rng_below(rng, 2))
          in[at] = static_cast<uint8_t>(rql::rng_below(rng, 256));
        else
          in[at] = static_cast<uint8_t>(in[at] ^ (1u << rql::rng_below(rng, 8)));
      }
    } else {
      in.resize(rql::rng_below(rng, 300));
      for (uint8_t& b : in) b = static_cast<uint8_t>(rql::rng_below(rng, 256));
    }
    const size_t cap = rql::rng_below(rng, out.size() + 1);
    const InflateStatus st = inflate_raw(in.data(), in.size(), out.data(), cap);
    ASSERT_LE(st.out_len, cap);
    ASSERT_LE(st.in_used, in.size());
    if (st.error) ++rejected;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(rejected, 1000);  // most corruptions are detected
  EXPECT_LT(seconds, 10.0);   // < 0.1 s in Release; generous for sanitizers
}

TEST(InflateCrc32Test, CheckValueOfTheStandard) {
  // The "check" value of CRC-32/ISO-HDLC (the catalogue of parametrised CRCs).
  const std::string s = "123456789";
  EXPECT_EQ(rql::crc32_update(0, reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0xCBF43926u);
  EXPECT_EQ(rql::crc32_update(0, nullptr, 0), 0u);
}

TEST(InflateCrc32Test, IncrementalEqualsOneShot) {
  const std::string s = zlib_text();
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint32_t one = rql::crc32_update(0, p, s.size());
  const uint32_t two = rql::crc32_update(rql::crc32_update(0, p, 100), p + 100, s.size() - 100);
  EXPECT_EQ(one, two);
}

}  // namespace
