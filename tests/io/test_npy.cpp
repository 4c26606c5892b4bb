// test_npy.cpp: .npy and .npz reading and writing (src/npy.h, src/zip.h).
//
// Interoperability is checked against NumPy itself: data/fixtures/ holds
// files written by NumPy 1.24.2 (tools/make_fixtures.py, see
// data/fixtures/README.md), and when /usr/bin/python3 has NumPy the tests
// also regenerate them into a temporary folder and run the same checks, and
// have NumPy read what our writer wrote (tools/check_rql_npy.py).
// Expected values are closed forms of the index, restated below.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/error.h"
#include "io/npy.h"
#include "core/rng.h"
#include "io/zip.h"
#include "io/inflate.h"
#include "support/alloc_counter.h"
#include "support/error_capture.h"

namespace {

namespace fs = std::filesystem;
using rql::NpyArray;

const std::string kFixtures = std::string(RQL_SOURCE_DIR) + "/data/fixtures";

// base(k) = (k - 5) / 4, k = 0..n-1 (make_fixtures.py: base).
std::vector<double> base(int n = 12) {
  std::vector<double> v;
  for (int k = 0; k < n; ++k) v.push_back((k - 5) * 0.25);
  return v;
}

// make_fixtures.py: ints(), the 12 values of each integer dtype.
std::vector<double> ints(const std::string& kind) {
  std::vector<double> v;
  for (int k = 0; k < 12; ++k) {
    if (kind == "i1") v.push_back((k - 5) * 20.0);
    if (kind == "u1") v.push_back(k * 20.0);
    if (kind == "i2") v.push_back((k - 5) * 1000.0);
    if (kind == "u2") v.push_back(k * 5000.0);
    if (kind == "i4") v.push_back((k - 5) * 1e8);
    if (kind == "u4") v.push_back(k * 3e8);
    if (kind == "i8") v.push_back((k - 5) * std::ldexp(1.0, 40));
    if (kind == "u8") v.push_back(k * std::ldexp(1.0, 60));
  }
  return v;
}

std::vector<double> big() {  // make_fixtures.py: big()
  std::vector<double> v;
  for (long k = 0; k < 4000; ++k) v.push_back(static_cast<double>((k * 7919) % 1000) / 8.0);
  return v;
}

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }


bool have_numpy() { return std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0; }

void expect_array(const NpyArray& a, const std::string& dtype, const std::vector<long>& shape,
                  const std::vector<double>& data) {
  EXPECT_EQ(a.dtype, dtype);
  EXPECT_EQ(a.shape, shape);
  EXPECT_EQ(a.data, data);
}

// Everything make_fixtures.py writes, checked against the closed forms.
void expect_fixtures(const std::string& dir) {
  SCOPED_TRACE(dir);
  const auto load = [&](const std::string& name) { return rql::npy_load(dir + "/" + name); };
  for (const char* tag : {"le", "be"}) {
    const std::string order = std::string(tag) == "le" ? "<" : ">";
    for (const char* kind : {"f2", "f4", "f8"})
      expect_array(load(std::string(kind) + "_" + tag + ".npy"), order + kind, {3, 4}, base());
    for (const char* kind : {"i2", "u2", "i4", "u4", "i8", "u8"})
      expect_array(load(std::string(kind) + "_" + tag + ".npy"), order + kind, {3, 4}, ints(kind));
  }
  expect_array(load("i1.npy"), "|i1", {3, 4}, ints("i1"));
  expect_array(load("u1.npy"), "|u1", {3, 4}, ints("u1"));
  std::vector<double> b1;
  for (int k = 0; k < 12; ++k) b1.push_back(k % 3 == 0 ? 1.0 : 0.0);
  expect_array(load("b1.npy"), "|b1", {3, 4}, b1);
  const NpyArray h = load("f2_special.npy");
  ASSERT_EQ(h.data.size(), 7u);
  EXPECT_EQ(h.data[0], 0.0);
  EXPECT_TRUE(std::signbit(h.data[1]));
  EXPECT_EQ(h.data[2], std::ldexp(1.0, -24));  // smallest subnormal half
  EXPECT_EQ(h.data[3], 65504.0);               // largest finite half
  EXPECT_EQ(h.data[4], HUGE_VAL);
  EXPECT_EQ(h.data[5], -HUGE_VAL);
  EXPECT_TRUE(std::isnan(h.data[6]));
  expect_array(load("scalar_f8.npy"), "<f8", {}, {3.5});
  expect_array(load("vector_f4.npy"), "<f4", {5}, base(5));
  expect_array(load("empty_f4.npy"), "<f4", {0, 3}, {});
  expect_array(load("fortran_f8.npy"), "<f8", {3, 4}, base());  // transposed back to C order
  std::vector<double> k24;
  for (int k = 0; k < 24; ++k) k24.push_back(k);
  expect_array(load("fortran_i4.npy"), "<i4", {2, 3, 4}, k24);
  expect_array(load("v2_f4.npy"), "<f4", {3, 4}, base());
  expect_array(load("v3_f4.npy"), "<f4", {3, 4}, base());
  for (const char* archive : {"stored.npz", "compressed.npz"}) {
    SCOPED_TRACE(archive);
    const auto m = rql::npz_load(dir + "/" + archive);
    ASSERT_EQ(m.size(), 4u);
    expect_array(m.at("a"), "<f4", {3, 4}, base());
    expect_array(m.at("s"), "<f8", {}, {3.5});
    expect_array(m.at("v"), ">i2", {12}, ints("i2"));
    expect_array(m.at("big"), "<f4", {4000}, big());
  }
}

// ---- NumPy-written fixtures ----

TEST(NpyTest, ReadsEveryFixtureWrittenByNumpy) { expect_fixtures(kFixtures); }

TEST(NpyTest, EncodeIsByteIdenticalToNumpySave) {
  // np.save of base().reshape(3, 4).astype('<f4') with NumPy 1.24 (header
  // padded to 64 bytes, with room for the first axis to grow to 21 digits).
  const std::vector<float> f = to_float(base());
  const std::string ours = rql::npy_encode({3, 4}, f.data());
  const std::vector<unsigned char> theirs = rql::read_file_bytes(kFixtures + "/f4_le.npy");
  EXPECT_EQ(ours, std::string(theirs.begin(), theirs.end()));
}

// ---- Writer ----

TEST(NpyTest, EncodedHeaderIsAlignedAndParsesBack) {
  const std::vector<float> f = to_float(base());
  const std::string s = rql::npy_encode({3, 4}, f.data());
  ASSERT_EQ(s.size(), 128u + 48u);  // 128-byte prefix+header, 12 * 4 data bytes
  EXPECT_EQ(s.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(s[127], '\n');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  expect_array(rql::npy_parse(p, s.size(), "t"), "<f4", {3, 4}, base());
  EXPECT_NE(s.find("'shape': (3, 4), }"), std::string::npos);
}

TEST(NpyTest, ZeroDimOneDimAndEmptyShapesRoundTrip) {
  const float x = 3.5f;
  std::string s = rql::npy_encode({}, &x);
  EXPECT_NE(s.find("'shape': (), }"), std::string::npos);
  expect_array(rql::npy_parse(reinterpret_cast<const unsigned char*>(s.data()), s.size(), "t"), "<f4", {}, {3.5});
  const std::vector<float> v = to_float(base(5));
  s = rql::npy_encode({5}, v.data());
  EXPECT_NE(s.find("'shape': (5,), }"), std::string::npos);
  expect_array(rql::npy_parse(reinterpret_cast<const unsigned char*>(s.data()), s.size(), "t"), "<f4", {5}, base(5));
  s = rql::npy_encode({0, 3}, v.data());
  expect_array(rql::npy_parse(reinterpret_cast<const unsigned char*>(s.data()), s.size(), "t"), "<f4", {0, 3}, {});
}

TEST(NpyTest, Int32AndDoubleWritersRoundTrip) {
  const fs::path dir = fresh_temp_dir("npy");
  std::vector<int32_t> i(12);
  for (int k = 0; k < 12; ++k) i[static_cast<size_t>(k)] = (k - 5) * 100000000;
  rql::npy_save_i32((dir / "i.npy").string(), {3, 4}, i.data());
  expect_array(rql::npy_load((dir / "i.npy").string()), "<i4", {3, 4}, ints("i4"));
  const double d[3] = {0.1, 1.0 / 3.0, -2.5};
  rql::npy_save((dir / "d.npy").string(), {3}, d);  // rounded to float
  expect_array(rql::npy_load((dir / "d.npy").string()), "<f4", {3},
               {static_cast<double>(0.1f), static_cast<double>(1.0f / 3.0f), -2.5});
  fs::remove_all(dir);
}

// ---- Bad .npy input ----

TEST(NpyTest, BadFilesGiveErrorsNamingTheFile) {
  const std::vector<float> f = to_float(base());
  const std::string good = rql::npy_encode({3, 4}, f.data());
  const auto parse = [](const std::string& s) {
    return message_of([&] { rql::npy_parse(reinterpret_cast<const unsigned char*>(s.data()), s.size(), "x.npy"); });
  };
  const auto with_header = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_NE(parse("hello world").find("x.npy: not a .npy file"), std::string::npos);
  EXPECT_NE(parse(good.substr(0, 40)).find("truncated .npy header"), std::string::npos);
  EXPECT_NE(parse(good.substr(0, good.size() - 1))
                .find("truncated: shape (3, 4) of <f4 needs 48 data bytes, the file has 47"),
            std::string::npos);
  EXPECT_NE(parse(good + "x").find("trailing bytes"), std::string::npos);
  std::string v4 = good;
  v4[6] = 4;  // major version byte
  EXPECT_NE(parse(v4).find("version 4.0"), std::string::npos);
  EXPECT_NE(parse(with_header("'<f4'", "'<c8'")).find("dtype '<c8' is not supported"), std::string::npos);
  EXPECT_NE(parse(with_header("'<f4'", "'=f4'")).find("no explicit byte order"), std::string::npos);
  EXPECT_NE(parse(with_header("'<f4'", "[('a', '<f4')]")).find("structured dtypes"), std::string::npos);
  EXPECT_NE(parse(with_header("'shape'", "'shapf'")).find("needs the keys"), std::string::npos);
  EXPECT_NE(parse(with_header("(3, 4)", "(3, -4)")).find("bad .npy header"), std::string::npos);
  EXPECT_NE(parse(with_header("False", "Maybe")).find("bad .npy header"), std::string::npos);
  EXPECT_NE(parse(with_header("(3, 4), }", "(3, 4), ")).find("bad .npy header"), std::string::npos);
  EXPECT_NE(parse(with_header("(3, 4)", "(9999999999, 9999999999)")).find("too large"), std::string::npos);
  EXPECT_NE(message_of([] { rql::npy_load("/nonexistent/a.npy"); }).find("/nonexistent/a.npy: cannot open"),
            std::string::npos);
}

TEST(NpyTest, EveryTruncationAndRandomHeaderDamageIsAnErrorNotACrash) {
  const std::vector<float> f = to_float(base());
  const std::string good = rql::npy_encode({3, 4}, f.data());
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(rql::npy_parse(reinterpret_cast<const unsigned char*>(good.data()), n, "t"), rql::Error) << n;
  rql::Rng rng = rql::rng_make(7, 0);
  for (int it = 0; it < 5000; ++it) {
    std::string s = good;
    const int flips = 1 + static_cast<int>(rql::rng_below(rng, 3));
    for (int k = 0; k < flips; ++k)
      s[rql::rng_below(rng, 128)] = static_cast<char>(rql::rng_below(rng, 256));  // header bytes only
    try {
      const NpyArray a = rql::npy_parse(reinterpret_cast<const unsigned char*>(s.data()), s.size(), "t");
      EXPECT_LE(a.data.size(), 48u);
    } catch (const rql::Error&) {
    }
  }
}

// ---- .npz ----

std::vector<std::pair<std::string, std::string>> small_entries() {
  const std::vector<float> f = to_float(base());
  std::vector<int32_t> i(12);
  for (int k = 0; k < 12; ++k) i[static_cast<size_t>(k)] = (k - 5) * 100000000;
  const float s = 3.5f;
  return {{"a", rql::npy_encode({3, 4}, f.data())},
          {"i.npy", rql::npy_encode_i32({3, 4}, i.data())},
          {"s", rql::npy_encode({}, &s)}};
}

std::vector<unsigned char> bytes_of(const std::string& s) { return std::vector<unsigned char>(s.begin(), s.end()); }

TEST(NpzTest, WriterRoundTripsWithAndWithoutZip64) {
  for (bool z64 : {false, true}) {
    SCOPED_TRACE(z64);
    const auto m = rql::npz_parse(bytes_of(rql::npz_encode(small_entries(), z64)), "mem.npz");
    ASSERT_EQ(m.size(), 3u);
    expect_array(m.at("a"), "<f4", {3, 4}, base());
    expect_array(m.at("i"), "<i4", {3, 4}, ints("i4"));
    expect_array(m.at("s"), "<f4", {}, {3.5});
  }
  const fs::path dir = fresh_temp_dir("npz");
  rql::npz_save((dir / "a.npz").string(), small_entries());
  EXPECT_EQ(rql::npz_load((dir / "a.npz").string()).size(), 3u);
  fs::remove_all(dir);
}

TEST(NpzTest, MembersNotEndingInNpyAreIgnored) {
  const std::string zip = rql::zip_encode({{"readme.txt", "hello"}, {"a.npy", small_entries()[0].second}});
  const auto m = rql::npz_parse(bytes_of(zip), "mem.npz");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m.count("a"), 1u);
}

TEST(NpzTest, CrcMismatchNamesArchiveAndMember) {
  std::string zip = rql::npz_encode(small_entries());
  zip[30 + 5 + 130] ^= 0x40;  // a data byte of the first member "a.npy"
  const std::string msg = message_of([&] { rql::npz_parse(bytes_of(zip), "mem.npz"); });
  EXPECT_NE(msg.find("mem.npz: member 'a.npy': CRC-32 mismatch"), std::string::npos) << msg;
}

TEST(NpzTest, CorruptDeflateDataIsRejected) {
  std::vector<unsigned char> z = rql::read_file_bytes(kFixtures + "/compressed.npz");
  const rql::ZipArchive a = rql::zip_open_memory(z, "c.npz");
  const rql::ZipMember* m = rql::zip_find(a, "big.npy");
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->method, 8);
  // Damage the middle of the compressed data: the decoder or the CRC catches it.
  const size_t h = m->header_offset;  // local header: name length at +26, extra length at +28
  const size_t data = h + 30 + (z[h + 26] | (z[h + 27] << 8)) + (z[h + 28] | (z[h + 29] << 8));
  for (size_t k = 0; k < 16; ++k) z[data + m->compressed_size / 2 + k] ^= 0x5A;
  const std::string msg = message_of([&] { rql::npz_parse(z, "c.npz"); });
  EXPECT_TRUE(msg.find("c.npz: member 'big.npy': corrupt DEFLATE data") != std::string::npos ||
              msg.find("c.npz: member 'big.npy': decompressed to") != std::string::npos ||
              msg.find("c.npz: member 'big.npy': CRC-32 mismatch") != std::string::npos)
      << msg;
}

TEST(NpzTest, StructuralErrorsAreClear) {
  EXPECT_NE(message_of([] {
              rql::npz_parse(bytes_of("not a zip at all, just text"), "t.npz");
            }).find("t.npz: not a ZIP archive"),
            std::string::npos);
  std::string zip = rql::npz_encode(small_entries());
  const size_t cd = zip.rfind("PK\x01\x02");  // the last central directory entry
  std::string bad = zip;
  bad[cd + 10] = 12;  // method 12 (bzip2)
  EXPECT_NE(message_of([&] { rql::npz_parse(bytes_of(bad), "t.npz"); }).find("compression method 12"),
            std::string::npos);
  bad = zip;
  bad[cd + 8] = 1;  // encrypted
  EXPECT_NE(message_of([&] { rql::npz_parse(bytes_of(bad), "t.npz"); }).find("encrypted"), std::string::npos);
  EXPECT_NE(message_of([] { rql::npz_load("/nonexistent/d.npz"); }).find("/nonexistent/d.npz: cannot open"),
            std::string::npos);
}

TEST(NpzTest, EveryTruncationOfARealArchiveIsAnError) {
  const std::vector<unsigned char> z = rql::read_file_bytes(kFixtures + "/compressed.npz");
  for (size_t n = 0; n < z.size(); ++n)
    EXPECT_THROW(rql::npz_parse(std::vector<unsigned char>(z.begin(), z.begin() + static_cast<long>(n)), "t.npz"),
                 rql::Error)
        << n;
}

TEST(NpzTest, RandomDamageIsAnErrorNotACrash) {
  // 3000 copies of NumPy's compressed and stored archives with 1-4 bytes
  // replaced anywhere: each either loads or throws rql::Error (sizes and
  // offsets included, so allocations stay bounded by the file size).
  const std::vector<unsigned char> archives[2] = {rql::read_file_bytes(kFixtures + "/compressed.npz"),
                                                  rql::read_file_bytes(kFixtures + "/dataset.npz")};
  rql::Rng rng = rql::rng_make(11, 0);
  int errors = 0;
  for (int it = 0; it < 3000; ++it) {
    std::vector<unsigned char> z = archives[it % 2];
    const int flips = 1 + static_cast<int>(rql::rng_below(rng, 4));
    for (int k = 0; k < flips; ++k)
      z[rql::rng_below(rng, z.size())] = static_cast<unsigned char>(rql::rng_below(rng, 256));
    try {
      rql::npz_parse(z, "t.npz");
    } catch (const rql::Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 1000);
}

// A DEFLATE bit writer for hand-made streams: raw fields go least
// significant bit first, Huffman codes most significant bit first (RFC 1951
// 3.1.1).
struct DeflateBits {
  std::string out;
  unsigned acc = 0;
  int n = 0;
  void raw(unsigned v, int count) {
    for (int i = 0; i < count; ++i) {
      acc |= ((v >> i) & 1u) << n;
      if (++n == 8) flush();
    }
  }
  void code(unsigned c, int len) {
    for (int i = len - 1; i >= 0; --i) raw((c >> i) & 1u, 1);
  }
  void flush() {
    if (n) out.push_back(static_cast<char>(acc));
    acc = 0;
    n = 0;
  }
};

// An archive with one DEFLATE member "m.npy" holding `stream`, whose central
// directory declares `declared` uncompressed bytes and CRC `crc`.
std::vector<unsigned char> deflate_archive(const std::string& stream, uint32_t declared, uint32_t crc) {
  std::string zip = rql::zip_encode({{"m.npy", stream}});  // stored; then patched to method 8
  const size_t c = zip.find("PK\x01\x02");
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) zip[at + i] = static_cast<char>(v >> (8 * i));
  };
  zip[8] = 8;       // local header: method
  zip[c + 10] = 8;  // central directory: method
  put32(14, crc);
  put32(c + 16, crc);
  put32(22, declared);
  put32(c + 24, declared);
  return bytes_of(zip);
}

// Issue 11, item 3: a member's declared size was allocated and zero-filled
// before inflating, so a 1 MB member claiming 1 GB (within DEFLATE's 1032:1)
// cost a 1 GB allocation before being refused. Here: sixteen stored DEFLATE
// blocks of 65535 bytes (16 x (5 + 65535) = 1048640 compressed bytes,
// 1048560 of data)
// claiming 1e9 bytes. The load must be refused naming both sizes, without
// any allocation near the claim.
TEST(NpzTest, DeclaredSizeIsAClaimNotAnAllocation) {
  std::string stream;
  for (int b = 0; b < 16; ++b) {
    stream.push_back(static_cast<char>(b == 15 ? 1 : 0));  // BFINAL on the last, BTYPE 00 (stored)
    stream += std::string("\xff\xff\x00\x00", 4);        // LEN 65535, NLEN = ~LEN
    stream += std::string(65535, static_cast<char>(b));
  }
  ASSERT_EQ(stream.size(), 1048640u);
  const std::vector<unsigned char> z = deflate_archive(stream, 1000000000u, 0);
  rql_test_reset_largest_allocation();
  const std::string msg = message_of([&] { rql::npz_parse(z, "claim.npz"); });
  const size_t largest = rql_test_largest_allocation();
  EXPECT_NE(msg.find("claim.npz: member 'm.npy'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1048560"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1000000000"), std::string::npos) << msg;
  EXPECT_LT(largest, size_t{64} << 20) << "allocated " << largest << " bytes at once for a 1 MB member";
}

// The buffer grows as the data really arrive: a member expanding 159:1
// (far past the first guess of 16x its compressed size) is read exactly.
// Stream: one fixed-Huffman block (BTYPE 01): literal 'a' (code 0x30 + 97,
// 8 bits), then 4064 copies of length 258 (symbol 285, code 0xC5, 8 bits)
// at distance 1 (symbol 0, 5 bits), end of block (7 zero bits):
// 1 + 4064 * 258 = 1048513 bytes of 'a' from 6.6 KB.
TEST(NpzTest, HighlyCompressedMemberIsReadExactly) {
  DeflateBits w;
  w.raw(1, 1);  // BFINAL
  w.raw(1, 2);  // BTYPE 01
  w.code(0x30 + 'a', 8);
  for (int k = 0; k < 4064; ++k) {
    w.code(0xC0 + (285 - 280), 8);
    w.code(0, 5);
  }
  w.code(0, 7);
  w.flush();
  const std::string want(1048513, 'a');
  const uint32_t crc = rql::crc32_update(0, reinterpret_cast<const uint8_t*>(want.data()), want.size());
  const rql::ZipArchive a = rql::zip_open_memory(deflate_archive(w.out, 1048513u, crc), "ratio.npz");
  ASSERT_LT(w.out.size() * 16, want.size());  // the first guess is too small: the buffer must grow
  const std::vector<unsigned char> got = rql::zip_read(a, a.members[0]);
  EXPECT_TRUE(got.size() == want.size() && std::equal(got.begin(), got.end(), want.begin()));
  // Declared one byte short: refused, naming the directory's size.
  const rql::ZipArchive b = rql::zip_open_memory(deflate_archive(w.out, 1048512u, crc), "short.npz");
  const std::string msg = message_of([&] { rql::zip_read(b, b.members[0]); });
  EXPECT_NE(msg.find("more than the 1048512 bytes"), std::string::npos) << msg;
}

// ---- NumPy in the loop (skipped without /usr/bin/python3 + numpy) ----

TEST(NpyNumpyInteropTest, FreshNumpyFilesAreRead) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy not found (Debian: apt-get install python3-numpy)";
  const fs::path dir = fresh_temp_dir("numpy_fresh");
  const std::string cmd = "/usr/bin/python3 " + std::string(RQL_SOURCE_DIR) + "/tools/make_fixtures.py " + dir.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  expect_fixtures(dir.string());
  fs::remove_all(dir);
}

TEST(NpyNumpyInteropTest, NumpyReadsOurFiles) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy not found (Debian: apt-get install python3-numpy)";
  const fs::path dir = fresh_temp_dir("numpy_ours");
  const auto p = [&](const char* name) { return (dir / name).string(); };
  const std::vector<float> f = to_float(base());
  rql::npy_save(p("ours_f4.npy"), {3, 4}, f.data());
  const double d[4] = {0.1, 1.0 / 3.0, 1e30, -2.5};
  rql::npy_save(p("ours_double.npy"), {4}, d);
  std::vector<int32_t> i(12);
  for (int k = 0; k < 12; ++k) i[static_cast<size_t>(k)] = (k - 5) * 100000000;
  rql::npy_save_i32(p("ours_i4.npy"), {3, 4}, i.data());
  const float s = 3.5f;
  rql::npy_save(p("ours_0d.npy"), {}, &s);
  const std::vector<float> v = to_float(base(5));
  rql::npy_save(p("ours_vec.npy"), {5}, v.data());
  rql::npy_save(p("ours_empty.npy"), {0, 3}, v.data());
  rql::npz_save(p("ours.npz"), small_entries());
  rql::write_file_bytes(p("ours_zip64.npz"), rql::npz_encode(small_entries(), true));
  const rql::Dataset ds = rql::dataset_load(kFixtures + "/dataset.npz");
  rql::dataset_save(ds, p("ours_dataset.npz"));
  rql::dataset_save(ds, p("ours_dataset"));
  const std::string cmd = "/usr/bin/python3 " + std::string(RQL_SOURCE_DIR) + "/tools/check_rql_npy.py " + dir.string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  fs::remove_all(dir);
}

}  // namespace
