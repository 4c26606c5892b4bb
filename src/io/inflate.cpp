// inflate.cpp: DEFLATE decoding (RFC 1951) and CRC-32. See inflate.h for the
// scope and the safety contract.
//
// The structure follows Mark Adler's puff.c (the reference decoder shipped
// with zlib): canonical Huffman codes described by `count` and `symbol`
// arrays, with puff's rules for which incomplete codes are acceptable. One
// addition for speed: a 2^9-entry lookup table that resolves codes of up to 9
// bits (most literals) in one step; longer codes fall back to puff's
// bit-by-bit canonical decode.
//
// Bounds: the bit reader pads past the end of the input with zero bytes and
// counts how many bits were consumed; after every symbol that count is checked
// against the input length, so a truncated stream stops with an error within
// one symbol of the end, having read nothing out of bounds.
#include "inflate.h"

#include <cstring>

namespace rql {

namespace {

constexpr int kMaxBits = 15;  // longest DEFLATE code
constexpr int kFastBits = 9;  // codes of up to 9 bits resolve in one lookup
constexpr int kMaxSymbols = 288;

// A canonical Huffman code. fast[bits] is (symbol << 4) | length for codes of
// length <= kFastBits (indexed by the next kFastBits input bits, first bit in
// the lowest position), 0 where the slow path must decide.
struct Huffman {
  uint16_t count[kMaxBits + 1];  // count[len]: number of codes of length len
  uint16_t symbol[kMaxSymbols];  // symbols sorted by (code length, value)
  uint16_t fast[1 << kFastBits];
};

// Build `h` from code lengths length[0 .. n). Returns 0 for a complete code,
// > 0 for an incomplete one (that many codes of length 15 missing), < 0 for
// an over-subscribed one (which is never valid).
int huffman_build(Huffman& h, const uint8_t* length, int n) {
  for (int len = 0; len <= kMaxBits; ++len) h.count[len] = 0;
  for (int s = 0; s < n; ++s) h.count[length[s]]++;
  std::memset(h.fast, 0, sizeof(h.fast));
  if (h.count[0] == n) return 0;  // no codes: "complete", decoding will fail
  int left = 1;
  for (int len = 1; len <= kMaxBits; ++len) {
    left <<= 1;
    left -= h.count[len];
    if (left < 0) return left;
  }
  uint16_t offs[kMaxBits + 1];
  offs[1] = 0;
  for (int len = 1; len < kMaxBits; ++len) offs[len + 1] = static_cast<uint16_t>(offs[len] + h.count[len]);
  for (int s = 0; s < n; ++s)
    if (length[s] != 0) h.symbol[offs[length[s]]++] = static_cast<uint16_t>(s);
  // Canonical codes in (length, value) order; fill the lookup table with the
  // bit-reversed code (DEFLATE sends Huffman codes most significant bit first).
  int code = 0, index = 0;
  for (int len = 1; len <= kFastBits; ++len) {
    for (int k = 0; k < h.count[len]; ++k, ++index, ++code) {
      int rev = 0;
      for (int b = 0; b < len; ++b) rev |= ((code >> b) & 1) << (len - 1 - b);
      const uint16_t entry = static_cast<uint16_t>((h.symbol[index] << 4) | len);
      for (int slot = rev; slot < (1 << kFastBits); slot += 1 << len) h.fast[slot] = entry;
    }
    code <<= 1;
  }
  return left;
}

// Bit reader over in[0 .. size): bits come out least significant first.
struct Bits {
  const uint8_t* in;
  size_t size;
  size_t pos;    // next byte to load into buf (may pass size: zero padding)
  uint64_t buf;  // cnt valid bits, lowest first
  int cnt;
};

// Top buf up to at least 56 bits. Fast path (8 input bytes available): one
// 64-bit little-endian load; bits above the new cnt are the real next bits,
// so OR-ing them in again on the next refill changes nothing.
inline void refill(Bits& b) {
  if (b.pos + 8 <= b.size) {
    uint64_t w = 0;
    for (int k = 0; k < 8; ++k) w |= static_cast<uint64_t>(b.in[b.pos + k]) << (8 * k);
    const int take = (63 - b.cnt) >> 3;  // whole bytes that fit
    b.buf |= w << b.cnt;
    b.pos += static_cast<size_t>(take);
    b.cnt += 8 * take;
    return;
  }
  while (b.cnt <= 56) {
    const uint64_t byte = b.pos < b.size ? b.in[b.pos] : 0;
    ++b.pos;
    b.buf |= byte << b.cnt;
    b.cnt += 8;
  }
}

inline size_t bits_consumed(const Bits& b) { return b.pos * 8 - static_cast<size_t>(b.cnt); }
inline bool overrun(const Bits& b) { return bits_consumed(b) > b.size * 8; }

// The next n bits (n <= 16) as an integer, first bit lowest.
inline unsigned getbits(Bits& b, int n) {
  if (b.cnt < n) refill(b);
  const unsigned v = static_cast<unsigned>(b.buf & ((1u << n) - 1));
  b.buf >>= n;
  b.cnt -= n;
  return v;
}

// Decode one symbol; -1 if the bits match no code (incomplete code).
inline int decode(Bits& b, const Huffman& h) {
  if (b.cnt < kMaxBits) refill(b);
  const unsigned e = h.fast[b.buf & ((1u << kFastBits) - 1)];
  if (e != 0) {
    const int len = static_cast<int>(e & 15);
    b.buf >>= len;
    b.cnt -= len;
    return static_cast<int>(e >> 4);
  }
  // puff's canonical decode: `first` is the first code of length len,
  // `index` the position of its symbol in h.symbol.
  uint64_t buf = b.buf;
  int code = 0, first = 0, index = 0;
  for (int len = 1; len <= kMaxBits; ++len) {
    code |= static_cast<int>(buf & 1);
    buf >>= 1;
    const int count = h.count[len];
    if (code - count < first) {
      b.buf >>= len;
      b.cnt -= len;
      return h.symbol[index + (code - first)];
    }
    index += count;
    first += count;
    first <<= 1;
    code <<= 1;
  }
  return -1;
}

// RFC 1951 section 3.2.5: base values and extra bits of length symbols
// 257..285 and distance symbols 0..29.
constexpr uint16_t kLenBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                   31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                   2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint16_t kDistBase[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                    33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

// The one error that means "more output than room" (InflateStatus::out_full).
constexpr const char* kOutputFull = "output exceeds the expected size";

struct Out {
  uint8_t* p;
  size_t cap;
  size_t len;
};

// Decode literal/length and distance symbols until end-of-block (256).
const char* inflate_codes(Bits& b, Out& o, const Huffman& lencode, const Huffman& distcode) {
  for (;;) {
    int sym = decode(b, lencode);
    if (sym < 0) return "invalid literal/length code";
    if (sym < 256) {
      if (overrun(b)) return "truncated stream";
      if (o.len == o.cap) return kOutputFull;
      o.p[o.len++] = static_cast<uint8_t>(sym);
      continue;
    }
    if (sym == 256) return overrun(b) ? "truncated stream" : nullptr;
    sym -= 257;
    if (sym >= 29) return "invalid length symbol (286 or 287)";
    const size_t len = kLenBase[sym] + getbits(b, kLenExtra[sym]);
    const int dsym = decode(b, distcode);
    if (dsym < 0) return "invalid distance code";
    if (dsym >= 30) return "invalid distance symbol (30 or 31)";
    const size_t dist = kDistBase[dsym] + getbits(b, kDistExtra[dsym]);
    if (overrun(b)) return "truncated stream";
    if (dist > o.len) return "invalid distance: too far back";
    if (len > o.cap - o.len) return kOutputFull;
    // Byte by byte: source and destination overlap when dist < len (a run).
    for (size_t k = 0; k < len; ++k) {
      o.p[o.len] = o.p[o.len - dist];
      ++o.len;
    }
  }
}

const char* inflate_stored(Bits& b, Out& o) {
  const int drop = b.cnt % 8;  // skip to a byte boundary
  b.buf >>= drop;
  b.cnt -= drop;
  const unsigned len = getbits(b, 16);
  const unsigned nlen = getbits(b, 16);
  if (overrun(b)) return "truncated stored block header";
  if (len != (~nlen & 0xFFFFu)) return "stored block length check failed (LEN != ~NLEN)";
  const size_t at = bits_consumed(b) / 8;  // b.cnt is a multiple of 8 here
  if (len > b.size - at) return "truncated stored block";
  if (len > o.cap - o.len) return kOutputFull;
  if (len > 0) std::memcpy(o.p + o.len, b.in + at, len);
  o.len += len;
  b.pos = at + len;
  b.buf = 0;
  b.cnt = 0;
  return nullptr;
}

const char* inflate_fixed(Bits& b, Out& o) {
  // RFC 1951 3.2.6. Distance symbols 30 and 31 take part in the code but
  // are invalid when decoded (checked in inflate_codes).
  uint8_t lengths[kMaxSymbols];
  int s = 0;
  for (; s < 144; ++s) lengths[s] = 8;
  for (; s < 256; ++s) lengths[s] = 9;
  for (; s < 280; ++s) lengths[s] = 7;
  for (; s < 288; ++s) lengths[s] = 8;
  Huffman lencode, distcode;
  huffman_build(lencode, lengths, 288);
  for (s = 0; s < 32; ++s) lengths[s] = 5;
  huffman_build(distcode, lengths, 32);
  return inflate_codes(b, o, lencode, distcode);
}

const char* inflate_dynamic(Bits& b, Out& o) {
  static constexpr uint8_t kOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  const int nlen = static_cast<int>(getbits(b, 5)) + 257;
  const int ndist = static_cast<int>(getbits(b, 5)) + 1;
  const int ncode = static_cast<int>(getbits(b, 4)) + 4;
  if (nlen > 286) return "dynamic block: more than 286 literal/length codes";
  if (ndist > 30) return "dynamic block: more than 30 distance codes";
  uint8_t lengths[286 + 30];
  for (int i = 0; i < 19; ++i) lengths[kOrder[i]] = i < ncode ? static_cast<uint8_t>(getbits(b, 3)) : 0;
  if (overrun(b)) return "truncated dynamic block header";
  Huffman lencode, distcode;
  if (huffman_build(lencode, lengths, 19) != 0) return "dynamic block: invalid code-length code";
  int index = 0;
  while (index < nlen + ndist) {
    const int sym = decode(b, lencode);
    if (sym < 0) return "dynamic block: invalid code-length symbol";
    if (sym < 16) {
      lengths[index++] = static_cast<uint8_t>(sym);
      continue;
    }
    uint8_t value = 0;
    int repeat;
    if (sym == 16) {
      if (index == 0) return "dynamic block: repeat of a length with no previous length";
      value = lengths[index - 1];
      repeat = 3 + static_cast<int>(getbits(b, 2));
    } else if (sym == 17) {
      repeat = 3 + static_cast<int>(getbits(b, 3));
    } else {
      repeat = 11 + static_cast<int>(getbits(b, 7));
    }
    if (index + repeat > nlen + ndist) return "dynamic block: code lengths overflow the declared count";
    while (repeat-- > 0) lengths[index++] = value;
  }
  if (overrun(b)) return "truncated dynamic block header";
  if (lengths[256] == 0) return "dynamic block: no end-of-block code";
  // Incomplete codes are accepted only when they have a single code of
  // length 1 (puff's rule; zlib's deflate emits these for one-symbol data).
  int err = huffman_build(lencode, lengths, nlen);
  if (err < 0 || (err > 0 && nlen != lencode.count[0] + lencode.count[1]))
    return "dynamic block: invalid literal/length code lengths";
  err = huffman_build(distcode, lengths + nlen, ndist);
  if (err < 0 || (err > 0 && ndist != distcode.count[0] + distcode.count[1]))
    return "dynamic block: invalid distance code lengths";
  return inflate_codes(b, o, lencode, distcode);
}

// CRC-32 tables for "slicing by 8" (Intel, Kounavis and Berry 2005): t[0]
// is the classic byte-at-a-time table, t[k][n] the CRC of byte n followed by
// k zero bytes, so eight input bytes are folded with eight lookups. Built at
// compile time: no global mutable state. ~4x the speed of the byte loop
// (which the tail still uses, and which defines the result).
struct CrcTables {
  uint32_t t[8][256];
  constexpr CrcTables() : t() {
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][n] = c;
    }
    for (int k = 1; k < 8; ++k)
      for (uint32_t n = 0; n < 256; ++n) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFFu];
  }
};
constexpr CrcTables kCrc{};

}  // namespace

InflateStatus inflate_raw(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_cap) {
  Bits b{in, in_size, 0, 0, 0};
  Out o{out, out_cap, 0};
  const char* err = nullptr;
  int last = 0;
  do {
    last = static_cast<int>(getbits(b, 1));
    const unsigned type = getbits(b, 2);
    if (overrun(b)) {
      err = "truncated stream (no final block)";
      break;
    }
    if (type == 0)
      err = inflate_stored(b, o);
    else if (type == 1)
      err = inflate_fixed(b, o);
    else if (type == 2)
      err = inflate_dynamic(b, o);
    else
      err = "invalid block type 3";
  } while (!err && !last);
  const size_t used = (bits_consumed(b) + 7) / 8;
  return InflateStatus{err, used < in_size ? used : in_size, o.len, err == kOutputFull};
}

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t n) {
  const auto& t = kCrc.t;
  uint32_t c = crc ^ 0xFFFFFFFFu;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint8_t* p = data + i;
    const uint32_t lo = c ^ (p[0] | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24));
    c = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
        t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
  }
  for (; i < n; ++i) c = t[0][(c ^ data[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace rql
