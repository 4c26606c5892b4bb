// fuzz_targets.h: the bodies of the fuzz harnesses (tests/fuzz/fuzz_*.cpp),
// shared with the regression test (tests/fuzz/test_fuzz_regressions.cpp)
// that replays every kept input in the normal GoogleTest suite.
//
// Contract of every target: feed arbitrary bytes to one parser. An rql::Error
// is an expected rejection (the target returns false); returning true means
// the input was accepted. Anything else -- another exception, a violated
// property (FuzzFailure, thrown by fuzz_require), a sanitizer report, a
// timeout, an allocation over libFuzzer's -malloc_limit_mb -- is a finding.
//
// Targets that need a file (datasets, checkpoints, golden cases) write it
// into a temporary folder made once per process (FuzzTempDir) and nowhere
// else; the folder is removed when the process ends normally.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/error.h"
#include "io/golden.h"
#include "io/inflate.h"
#include "io/npy.h"
#include "io/zip.h"

namespace rql {
namespace fuzz {

// A violated property: not an rql::Error, so the fuzzer reports it.
struct FuzzFailure : std::logic_error {
  explicit FuzzFailure(const std::string& what) : std::logic_error(what) {}
};

inline void fuzz_require(bool ok, const std::string& what) {
  if (!ok) throw FuzzFailure(what);
}

// A private temporary folder ($TMPDIR or /tmp, rql-fuzz-XXXXXX), removed on
// destruction.
class FuzzTempDir {
 public:
  FuzzTempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/rql-fuzz-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("fuzz: cannot create a temporary folder under " + templ);
    path_ = buf.data();
  }
  ~FuzzTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  FuzzTempDir(const FuzzTempDir&) = delete;
  FuzzTempDir& operator=(const FuzzTempDir&) = delete;
  const std::string& path() const { return path_; }
  // Replace the folder's contents with nothing (between inputs).
  void clear() const {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(path_, ec)) std::filesystem::remove_all(e.path(), ec);
  }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  write_file_bytes(path, std::string(reinterpret_cast<const char*>(data), size));
}

// ---- inflate ----
// Input: 2 bytes of output capacity (little-endian, in units of 16 bytes),
// then the raw DEFLATE stream. Properties: the status stays within bounds; a
// success decodes identically with exactly out_len of room, and fails with
// one byte less.
inline bool target_inflate(const uint8_t* data, size_t size) {
  if (size < 2) return false;
  const size_t cap = 16 * static_cast<size_t>(data[0] | (data[1] << 8));
  const uint8_t* in = data + 2;
  const size_t n = size - 2;
  std::vector<uint8_t> out(cap);
  const InflateStatus st = inflate_raw(in, n, out.data(), cap);
  fuzz_require(st.in_used <= n, "inflate: in_used past the input");
  fuzz_require(st.out_len <= cap, "inflate: out_len past the output");
  if (st.error) return false;
  std::vector<uint8_t> again(st.out_len);
  const InflateStatus st2 = inflate_raw(in, n, again.data(), again.size());
  fuzz_require(!st2.error && st2.out_len == st.out_len && st2.in_used == st.in_used,
               "inflate: not the same result with exactly out_len bytes of room");
  fuzz_require(st.out_len == 0 || std::memcmp(again.data(), out.data(), st.out_len) == 0,
               "inflate: different bytes on a second run");
  if (st.out_len > 0) {
    const InflateStatus st3 = inflate_raw(in, n, again.data(), st.out_len - 1);
    fuzz_require(st3.error != nullptr, "inflate: succeeded with one byte too little room");
  }
  return true;
}

// ---- .npy ----
// Properties: an accepted array has prod(shape) values; the float conversion
// of the header path agrees with npy_parse's doubles (rounded to float).
inline bool target_npy(const uint8_t* data, size_t size) {
  try {
    const NpyArray a = npy_parse(data, size, "fuzz.npy");
    size_t count = 1;
    for (long d : a.shape) {
      fuzz_require(d >= 0, "npy: negative dimension accepted");
      count *= static_cast<size_t>(d);
    }
    fuzz_require(a.data.size() == count, "npy: value count differs from prod(shape)");
    const NpyHeader h = npy_parse_header(data, size, "fuzz.npy");
    fuzz_require(h.count == count, "npy: header count differs");
    std::vector<float> f(h.count);
    npy_convert(h, data, f.data());
    for (size_t i = 0; i < count; ++i) {
      const float want = static_cast<float>(a.data[i]);
      fuzz_require((std::isnan(want) && std::isnan(f[i])) || want == f[i], "npy: float and double conversions differ");
    }
    return true;
  } catch (const Error&) {
    return false;
  }
}

// ---- ZIP / .npz ----
// Every member of an archive that opens is read (the CRC checked), then the
// whole thing is parsed as a .npz.
inline bool target_npz(const uint8_t* data, size_t size) {
  bool ok = true;
  try {
    const ZipArchive a = zip_open_memory(std::vector<unsigned char>(data, data + size), "fuzz.zip");
    for (const ZipMember& m : a.members) {
      try {
        const std::vector<unsigned char> bytes = zip_read(a, m);
        fuzz_require(bytes.size() == m.size, "zip: member size differs from the directory");
      } catch (const Error&) {
        ok = false;
      }
    }
  } catch (const Error&) {
    return false;
  }
  try {
    npz_parse(std::vector<unsigned char>(data, data + size), "fuzz.npz");
  } catch (const Error&) {
    return false;
  }
  return ok;
}

// ---- dataset load + validation, from a .npz file ----
inline bool target_dataset(const FuzzTempDir& tmp, const uint8_t* data, size_t size) {
  const std::string path = tmp.path() + "/dataset.npz";
  write_bytes(path, data, size);
  try {
    const Dataset d = dataset_load(path);
    dataset_validate(d, path);  // dataset_load validated: this must agree
    return true;
  } catch (const Error&) {
    return false;
  }
}

// ---- checkpoint load ----
// The header and payload checksums are recomputed (when the input is long
// enough to hold a header) so that mutations reach the parser behind them;
// inputs shorter than the header exercise the early checks.
inline bool target_checkpoint(const FuzzTempDir& tmp, const uint8_t* data, size_t size) {
  std::vector<uint8_t> b(data, data + size);
  if (b.size() >= 64 && (b[59] & 1) == 0) {  // bit 0 of a reserved byte: 1 keeps the checksums as given
    const uint32_t pcrc = crc32_update(0, b.data() + 64, b.size() - 64);
    for (int i = 0; i < 4; ++i) b[32 + i] = static_cast<uint8_t>(pcrc >> (8 * i));
    const uint32_t hcrc = crc32_update(0, b.data(), 60);
    for (int i = 0; i < 4; ++i) b[60 + i] = static_cast<uint8_t>(hcrc >> (8 * i));
  }
  const std::string path = tmp.path() + "/fuzz.ckpt";
  write_bytes(path, b.data(), b.size());
  try {
    CheckpointInfo info;
    const Agent a = checkpoint_load(path, &info);
    fuzz_require(info.step == a.step, "checkpoint: info.step differs from the agent's");
    for (int net = 0; net < kAgentNets; ++net)
      for (real x : agent_net_block(a, net)) fuzz_require(std::isfinite(static_cast<double>(x)), "checkpoint: non-finite parameter accepted");
    return true;
  } catch (const Error&) {
    return false;
  }
}

// ---- config parsing ----
// Property: a config that parses and validates round-trips through
// config_to_text exactly.
inline bool target_config(const uint8_t* data, size_t size) {
  RqlConfig c;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (!config_parse(c, text, "fuzz.txt").empty()) return false;
  if (!config_validate(c).empty()) return false;
  const std::string once = config_to_text(c);
  RqlConfig d;
  fuzz_require(config_parse(d, once, "round trip").empty(), "config: config_to_text output does not parse");
  fuzz_require(config_to_text(d) == once, "config: config_to_text does not round-trip");
  return true;
}

// ---- golden case loading ----
// Input: a sequence of files, each  [name length: 1 byte][name][size: 4 bytes
// little-endian][bytes], written into the temporary folder (names with '/'
// or starting with '.' are skipped); then golden_load on the folder.
inline std::vector<uint8_t> golden_pack(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<uint8_t> out;
  for (const auto& f : files) {
    out.push_back(static_cast<uint8_t>(f.first.size()));
    out.insert(out.end(), f.first.begin(), f.first.end());
    const uint32_t n = static_cast<uint32_t>(f.second.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    out.insert(out.end(), f.second.begin(), f.second.end());
  }
  return out;
}

inline bool target_golden(const FuzzTempDir& tmp, const uint8_t* data, size_t size) {
  tmp.clear();
  size_t p = 0;
  while (p < size) {
    const size_t nlen = data[p++];
    if (nlen == 0 || nlen > size - p) break;
    std::string name(reinterpret_cast<const char*>(data + p), nlen);
    p += nlen;
    if (size - p < 4) break;
    size_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<size_t>(data[p + i]) << (8 * i);
    p += 4;
    if (n > size - p) n = size - p;
    const bool safe = name[0] != '.' && name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
    if (safe) write_bytes(tmp.path() + "/" + name, data + p, n);
    p += n;
  }
  try {
    golden_load(tmp.path());
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace fuzz
}  // namespace rql
