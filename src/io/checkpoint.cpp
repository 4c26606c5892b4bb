// checkpoint.cpp: checkpoint files and .npy export/import (checkpoint.h;
// layout and protocol in docs/checkpoints.md).
#include "checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "error.h"
#include "inflate.h"
#include "npy.h"

namespace rql {

namespace {

// ---- Layout (docs/checkpoints.md, "Byte layout") ----

const unsigned char kMagic[8] = {'R', 'Q', 'L', 'C', 'K', 'P', 'T', '\0'};
// Header fields: byte offsets. Magic and version stay at 0 and 8 in every
// future version, so any version can be recognised and refused by name.
constexpr int kOffVersion = 8;
constexpr int kOffHeaderSize = 12;
constexpr int kOffScalarBytes = 16;
constexpr int kOffPayloadSize = 24;
constexpr int kOffPayloadCrc = 32;
constexpr int kOffHeaderCrc = 60;   // CRC-32 of bytes 0 .. 59
constexpr int kNameBytes = 16;      // section name, NUL-padded
constexpr int kSectionHead = kNameBytes + 8;
constexpr int kRngBytes = 4 * 8 + 8 + 4 + 4;   // s[4], spare (f64), has_spare (u32), zero (u32)
constexpr int kStateBytes = 8 + 3 * kRngBytes;  // step (i64), rng_batch, rng_update, rng_eval
constexpr int kTensorSections = 8;
constexpr size_t kMaxRunText = 64 * 1024;  // the `run` section (version 2)

uint64_t padded(uint64_t n) { return (n + 7) / 8 * 8; }

// The tensor sections, in file order: the four nets (agent_net_name), then
// the Adam moments.
std::string tensor_section_name(int i) {
  static const char* const kMoments[4] = {"adam.actor.m", "adam.actor.v", "adam.value.m", "adam.value.v"};
  return i < kAgentNets ? agent_net_name(i) : kMoments[i - kAgentNets];
}
const std::vector<real>& tensor_section_block(const Agent& a, int i) {
  if (i < kAgentNets) return agent_net_block(a, i);
  const std::vector<real>* const moments[4] = {&a.actor_m, &a.actor_v, &a.value_m, &a.value_v};
  return *moments[i - kAgentNets];
}
std::vector<real>& tensor_section_block(Agent& a, int i) {
  return const_cast<std::vector<real>&>(tensor_section_block(static_cast<const Agent&>(a), i));
}

// ---- Little-endian encoding, independent of the host ----

void put_u32(unsigned char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put_u64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint32_t get_u32(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}
uint64_t double_bits(double x) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return b;
}
double bits_double(uint64_t b) {
  double x;
  std::memcpy(&x, &b, 8);
  return x;
}

// Tensor element <-> bytes: stored as float32 (4) or float64 (8).
void encode_real(unsigned char* p, real x, int scalar_bytes) {
  if (scalar_bytes == 4) {
    const float f = static_cast<float>(x);
    uint32_t b;
    std::memcpy(&b, &f, 4);
    put_u32(p, b);
  } else {
    put_u64(p, double_bits(static_cast<double>(x)));
  }
}
real decode_real(const unsigned char* p, int scalar_bytes) {
  if (scalar_bytes == 4) {
    const uint32_t b = get_u32(p);
    float f;
    std::memcpy(&f, &b, 4);
    return static_cast<real>(f);
  }
  return static_cast<real>(bits_double(get_u64(p)));
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string errno_text() { return std::strerror(errno); }

std::string scalar_name(int bytes) { return bytes == 4 ? "float32" : "float64"; }

// ---- Writing ----

// Buffered writes to a file descriptor that checksum the payload and can
// stop at an exact byte count to call the test hook.
struct Writer {
  int fd = -1;
  std::string path;            // the temporary file, for errors
  uint64_t written = 0;        // bytes handed to put()
  uint32_t crc = 0;            // over the bytes put while checksumming
  bool checksumming = false;
  long hook_at = -1;           // fire the hook when written == hook_at (< file size)
  const std::function<void()>* hook = nullptr;
  std::vector<unsigned char> buf;
  size_t used = 0;

  void flush() {
    const unsigned char* p = buf.data();
    size_t n = used;
    while (n > 0) {
      const ssize_t k = ::write(fd, p, n);
      if (k < 0) {
        if (errno == EINTR) continue;
        throw Error(path + ": write failed: " + errno_text());
      }
      p += k;
      n -= static_cast<size_t>(k);
    }
    used = 0;
  }

  void put(const unsigned char* p, size_t n) {
    if (checksumming) crc = crc32_update(crc, p, n);
    for (;;) {
      if (hook_at >= 0 && written == static_cast<uint64_t>(hook_at)) {
        flush();           // the file now holds exactly hook_at bytes
        hook_at = -1;
        (*hook)();
      }
      if (n == 0) return;
      size_t take = std::min(n, buf.size() - used);
      if (hook_at >= 0) take = std::min(take, static_cast<size_t>(static_cast<uint64_t>(hook_at) - written));
      std::memcpy(buf.data() + used, p, take);
      used += take;
      written += take;
      p += take;
      n -= take;
      if (used == buf.size()) flush();
    }
  }

  void zeros(size_t n) {
    const unsigned char z[8] = {};
    while (n > 0) {
      const size_t k = std::min<size_t>(n, 8);
      put(z, k);
      n -= k;
    }
  }

  void section_head(const std::string& name, uint64_t size) {
    unsigned char h[kSectionHead] = {};
    std::memcpy(h, name.data(), std::min<size_t>(name.size(), kNameBytes - 1));
    put_u64(h + kNameBytes, size);
    put(h, sizeof h);
  }
};

void put_rng(unsigned char* p, const Rng& r) {
  for (int i = 0; i < 4; ++i) put_u64(p + 8 * i, r.s[i]);
  put_u64(p + 32, double_bits(static_cast<double>(r.spare)));  // a float spare widens exactly
  put_u32(p + 40, static_cast<uint32_t>(r.has_spare));
  put_u32(p + 44, 0);
}

void fsync_folder_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // "where possible": some systems cannot open folders
  ::fsync(fd);         // and some file systems refuse to fsync them (EINVAL)
  ::close(fd);
}

// Removes the temporary file and closes its descriptor unless released.
struct TempFileGuard {
  std::string path;
  int* fd;
  bool armed = true;
  ~TempFileGuard() {
    if (!armed) return;
    if (*fd >= 0) ::close(*fd);
    ::unlink(path.c_str());
  }
};

// ---- Reading ----

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

struct Reader {
  std::FILE* f;
  const std::string& path;
  uint64_t pos;   // file offset
  uint64_t end;   // end of the payload (= file size, checked)

  void read(unsigned char* p, size_t n) {
    if (std::fread(p, 1, n, f) != n) throw Error(path + ": read error at byte " + std::to_string(pos));
    pos += n;
  }
  // Reads a section head, requires `name` and a body that fits; returns the
  // body size.
  uint64_t section(const std::string& name, std::vector<CheckpointSection>& list) {
    if (end - pos < kSectionHead)
      throw Error(path + ": section '" + name + "' expected at byte " + std::to_string(pos) + ", but the payload ends");
    unsigned char h[kSectionHead];
    read(h, sizeof h);
    const std::string found(reinterpret_cast<const char*>(h), strnlen(reinterpret_cast<const char*>(h), kNameBytes));
    if (found != name)
      throw Error(path + ": section '" + found + "' at byte " + std::to_string(pos - kSectionHead) + ", expected '" +
                  name + "' (sections of version 1 come in a fixed order)");
    const uint64_t size = get_u64(h + kNameBytes);
    if (size > end - pos || padded(size) > end - pos)
      throw Error(path + ": section '" + name + "' claims " + std::to_string(size) + " bytes, only " +
                  std::to_string(end - pos) + " remain in the payload");
    list.push_back({name, pos, size});
    return size;
  }
  // Move to file offset `to` (within the payload) without reading.
  void seek(uint64_t to) {
    if (to > end || std::fseek(f, static_cast<long>(to), SEEK_SET) != 0)
      throw Error(path + ": seek to byte " + std::to_string(to) + " failed");
    pos = to;
  }
  void skip_padding(uint64_t size) {
    unsigned char z[8];
    const size_t n = static_cast<size_t>(padded(size) - size);
    read(z, n);
    for (size_t i = 0; i < n; ++i)
      if (z[i] != 0) throw Error(path + ": non-zero padding after byte " + std::to_string(pos - n));
  }
};

Rng get_rng(const unsigned char* p, const std::string& path, const char* name) {
  Rng r;
  for (int i = 0; i < 4; ++i) r.s[i] = get_u64(p + 8 * i);
  r.spare = static_cast<real>(bits_double(get_u64(p + 32)));  // exact for a spare this build wrote
  const uint32_t has = get_u32(p + 40);
  if (has > 1 || get_u32(p + 44) != 0)
    throw Error(path + ": state section: " + name + ".has_spare is " + std::to_string(has) + ", expected 0 or 1");
  if ((r.s[0] | r.s[1] | r.s[2] | r.s[3]) == 0)
    throw Error(path + ": state section: " + name + " is all zero (xoshiro256** cannot leave that state)");
  r.has_spare = static_cast<int>(has);
  return r;
}

std::vector<long> tensor_shape(const MlpTensor& t) { return std::vector<long>(t.shape, t.shape + t.rank); }

// a * b and a + b, or false when the result would pass 2^62 (far beyond any
// file, so "too large" and "does not match the file" are the same verdict).
constexpr uint64_t kCountLimit = uint64_t{1} << 62;
bool mul_ok(uint64_t a, uint64_t b, uint64_t* r) {
  if (b != 0 && a > kCountLimit / b) return false;
  *r = a * b;
  return true;
}
bool add_ok(uint64_t a, uint64_t b, uint64_t* r) {
  if (a > kCountLimit - b) return false;
  *r = a + b;
  return true;
}

// Parameters of the MLP in -> hidden... -> out with K members (mlp.h: per
// layer kernel in*out and bias out, LayerNorm scale and bias on hidden
// layers), in 64 bits with overflow checks; false on overflow. The same
// formula as mlp_param_count, but safe on a config nobody has checked
// against memory yet: checkpoint_load compares it with the file's section
// sizes before agent_init allocates anything.
bool checked_mlp_params(uint64_t in, const std::vector<int>& hidden, uint64_t out, bool ln, uint64_t members,
                        uint64_t* count) {
  uint64_t n = 0, prev = in;
  for (size_t i = 0; i <= hidden.size(); ++i) {
    const uint64_t d = i < hidden.size() ? static_cast<uint64_t>(hidden[i]) : out;
    uint64_t w = 0, layer = 0;
    if (!mul_ok(prev, d, &w) || !add_ok(w, d, &layer)) return false;
    if (ln && i < hidden.size() && !add_ok(layer, 2 * d, &layer)) return false;
    if (!add_ok(n, layer, &n)) return false;
    prev = d;
  }
  return mul_ok(n, members, count);
}

// Expected element counts of the actor and value blocks under a validated
// config (agent_init's shapes: both nets read [s, x, t], x of size h *
// action_dim). False on overflow.
bool checked_agent_params(const RqlConfig& c, uint64_t* actor, uint64_t* value) {
  uint64_t A = 0, in = 0;
  if (!mul_ok(static_cast<uint64_t>(c.h), static_cast<uint64_t>(c.action_dim), &A)) return false;
  if (!add_ok(static_cast<uint64_t>(c.obs_dim), A, &in) || !add_ok(in, 1, &in)) return false;
  return checked_mlp_params(in, c.actor_hidden_dims, A, c.actor_layer_norm, 1, actor) &&
         checked_mlp_params(in, c.value_hidden_dims, 1, c.layer_norm, static_cast<uint64_t>(c.ensemble_ct), value);
}

// "actor.dense0.kernel element 5": the tensor of `shape` holding flat index k
// of a block laid out like `net` (parameters and their Adam moments alike).
std::string tensor_at(const MlpShape& shape, const std::string& net, long k) {
  for (int i = 0; i < mlp_tensor_count(shape); ++i) {
    const MlpTensor t = mlp_tensor(shape, i);
    if (k >= t.offset && k < t.offset + t.size)
      return net + "." + t.name + " element " + std::to_string(k - t.offset);
  }
  return net + " element " + std::to_string(k);
}

}  // namespace

// ---- Save ----

void checkpoint_save(const Agent& agent, const std::string& path) {
  checkpoint_save(agent, path, CheckpointSaveOptions());
}

void checkpoint_save(const Agent& agent, const std::string& path, const CheckpointSaveOptions& opt) {
  const int sb = opt.scalar_bytes;
  if (sb != 4 && sb != 8)
    throw Error(path + ": cannot save with scalar_bytes " + std::to_string(sb) + " (4 = float32 or 8 = float64)");

  if (opt.run_text.size() > kMaxRunText || opt.run_text.find('\0') != std::string::npos)
    throw Error(path + ": run text must be at most " + std::to_string(kMaxRunText) + " bytes without NUL");

  // Section sizes first: the header records the payload size.
  const std::string config_text = config_to_text(agent.cfg);
  uint64_t payload = kSectionHead + padded(config_text.size()) + kSectionHead + kStateBytes;
  for (int i = 0; i < kTensorSections; ++i)
    payload += kSectionHead + padded(tensor_section_block(agent, i).size() * static_cast<uint64_t>(sb));
  // Version 2 only when there is run text: without it the file is version 1.
  const bool has_run = !opt.run_text.empty();
  if (has_run) payload += kSectionHead + padded(opt.run_text.size());
  const uint64_t file_size = kCheckpointHeaderBytes + payload;

  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(tmp + ": cannot create the temporary file for checkpoint " + path + ": " + errno_text());
  TempFileGuard guard{tmp, &fd};

  Writer w;
  w.fd = fd;
  w.path = tmp;
  w.buf.resize(1 << 16);
  if (opt.hook && opt.hook_after_bytes >= 0 && static_cast<uint64_t>(opt.hook_after_bytes) < file_size) {
    w.hook_at = opt.hook_after_bytes;
    w.hook = &opt.hook;
  }

  // Header with both checksums 0; rewritten once the payload CRC is known.
  unsigned char header[kCheckpointHeaderBytes] = {};
  std::memcpy(header, kMagic, 8);
  put_u32(header + kOffVersion, has_run ? 2u : 1u);
  put_u32(header + kOffHeaderSize, kCheckpointHeaderBytes);
  put_u32(header + kOffScalarBytes, static_cast<uint32_t>(sb));
  put_u64(header + kOffPayloadSize, payload);
  w.put(header, sizeof header);
  w.checksumming = true;

  w.section_head("config", config_text.size());
  w.put(reinterpret_cast<const unsigned char*>(config_text.data()), config_text.size());
  w.zeros(padded(config_text.size()) - config_text.size());

  unsigned char state[kStateBytes];
  put_u64(state, static_cast<uint64_t>(static_cast<int64_t>(agent.step)));
  put_rng(state + 8, agent.rng_batch);
  put_rng(state + 8 + kRngBytes, agent.rng_update);
  put_rng(state + 8 + 2 * kRngBytes, agent.rng_eval);
  w.section_head("state", kStateBytes);
  w.put(state, sizeof state);

  std::vector<unsigned char> chunk(8192 * 8);
  for (int i = 0; i < kTensorSections; ++i) {
    const std::vector<real>& block = tensor_section_block(agent, i);
    const uint64_t bytes = block.size() * static_cast<uint64_t>(sb);
    w.section_head(tensor_section_name(i), bytes);
    for (size_t k0 = 0; k0 < block.size(); k0 += 8192) {
      const size_t n = std::min<size_t>(8192, block.size() - k0);
      for (size_t k = 0; k < n; ++k) encode_real(&chunk[k * sb], block[k0 + k], sb);
      w.put(chunk.data(), n * sb);
    }
    w.zeros(padded(bytes) - bytes);
  }
  if (has_run) {
    w.section_head("run", opt.run_text.size());
    w.put(reinterpret_cast<const unsigned char*>(opt.run_text.data()), opt.run_text.size());
    w.zeros(padded(opt.run_text.size()) - opt.run_text.size());
  }
  w.flush();
  if (w.written != file_size) throw Error(tmp + ": internal error: wrote " + std::to_string(w.written) + " bytes, planned " + std::to_string(file_size));

  put_u32(header + kOffPayloadCrc, w.crc);
  put_u32(header + kOffHeaderCrc, crc32_update(0, header, kOffHeaderCrc));
  if (::pwrite(fd, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
    throw Error(tmp + ": writing the header failed: " + errno_text());
  if (::fsync(fd) != 0) throw Error(tmp + ": fsync failed: " + errno_text());
  const int fd_closed = fd;
  fd = -1;
  if (::close(fd_closed) != 0) throw Error(tmp + ": close failed: " + errno_text());

  if (opt.hook && opt.hook_after_bytes >= 0 && static_cast<uint64_t>(opt.hook_after_bytes) >= file_size) opt.hook();
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw Error(path + ": cannot rename " + tmp + " over it: " + errno_text());
  guard.armed = false;
  fsync_folder_of(path);
}

// ---- Load, in named steps (checkpoint_load runs them in order) ----

namespace {

// 1. Header: magic, version, header checksum, sizes; fills the header
// fields of `info` (file_size already set).
void load_header(FILE* file, const std::string& path, CheckpointInfo& info) {
  unsigned char h[kCheckpointHeaderBytes] = {};
  const size_t got = std::fread(h, 1, sizeof h, file);
  const std::string too_short = path + ": truncated: " + std::to_string(got) + " bytes, shorter than the " +
                                std::to_string(kCheckpointHeaderBytes) + "-byte checkpoint header";
  if (std::memcmp(h, kMagic, std::min<size_t>(got, 8)) != 0) {
    std::string found;
    for (size_t i = 0; i < std::min<size_t>(got, 8); ++i) {
      char b[8];
      std::snprintf(b, sizeof b, i ? " %02x" : "%02x", h[i]);
      found += b;
    }
    throw Error(path + ": not an rql checkpoint (it starts with bytes " + found +
                ", a checkpoint with \"RQLCKPT\\0\")");
  }
  if (got < static_cast<size_t>(kOffVersion + 4)) throw Error(too_short);
  info.version = get_u32(h + kOffVersion);
  if (info.version < kCheckpointOldestVersion || info.version > kCheckpointVersion)
    throw Error(path + ": checkpoint format version " + std::to_string(info.version) + "; this build reads versions " +
                std::to_string(kCheckpointOldestVersion) + " and " + std::to_string(kCheckpointVersion) + " only" +
                (info.version > kCheckpointVersion ? " (the file was written by a newer rql-cpp)" : ""));
  if (got < sizeof h) throw Error(too_short);
  const uint32_t header_crc = crc32_update(0, h, kOffHeaderCrc);
  if (header_crc != get_u32(h + kOffHeaderCrc))
    throw Error(path + ": corrupt header: header checksum " + hex32(get_u32(h + kOffHeaderCrc)) + ", computed " +
                hex32(header_crc) + " (a save that did not finish leaves its header unchecksummed)");
  if (get_u32(h + kOffHeaderSize) != kCheckpointHeaderBytes)
    throw Error(path + ": header size " + std::to_string(get_u32(h + kOffHeaderSize)) + ", version 1 has " +
                std::to_string(kCheckpointHeaderBytes));
  info.scalar_bytes = static_cast<int>(get_u32(h + kOffScalarBytes));
  if (info.scalar_bytes != 4 && info.scalar_bytes != 8)
    throw Error(path + ": scalar size " + std::to_string(info.scalar_bytes) + " bytes, expected 4 (float32) or 8 (float64)");
  info.payload_size = get_u64(h + kOffPayloadSize);
  info.payload_crc = get_u32(h + kOffPayloadCrc);
  const uint64_t have = info.file_size - kCheckpointHeaderBytes;
  if (have < info.payload_size)
    throw Error(path + ": truncated: the header promises " + std::to_string(kCheckpointHeaderBytes + info.payload_size) +
                " bytes, the file has " + std::to_string(info.file_size));
  if (have > info.payload_size)
    throw Error(path + ": " + std::to_string(have - info.payload_size) + " trailing bytes after the " +
                std::to_string(kCheckpointHeaderBytes + info.payload_size) + "-byte checkpoint");
}

// 2. Payload checksum, before any of the payload is trusted.
void check_payload_crc(FILE* file, const std::string& path, const CheckpointInfo& info) {
  std::vector<unsigned char> buf(1 << 20);
  uint32_t crc = 0;
  uint64_t left = info.payload_size;
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (std::fread(buf.data(), 1, n, file) != n)
      throw Error(path + ": read error at byte " + std::to_string(info.file_size - left));
    crc = crc32_update(crc, buf.data(), n);
    left -= n;
  }
  if (crc != info.payload_crc)
    throw Error(path + ": checksum mismatch: the header says CRC-32 " + hex32(info.payload_crc) +
                ", the payload has " + hex32(crc) + " (the file is corrupt)");
}

// 3. Config section: parsed and validated (it decides every later size).
RqlConfig load_config(Reader& r, const std::string& path, CheckpointInfo& info) {
  const uint64_t config_size = r.section("config", info.sections);
  info.config_text.resize(static_cast<size_t>(config_size));
  r.read(reinterpret_cast<unsigned char*>(&info.config_text[0]), static_cast<size_t>(config_size));
  r.skip_padding(config_size);
  RqlConfig cfg;
  std::string err = config_parse(cfg, info.config_text, path + " (config section)");
  if (!err.empty()) throw Error(err);
  err = config_validate(cfg);
  if (!err.empty()) throw Error(path + ": config section: " + err);
  return cfg;
}

// 3b. Every tensor section's size against the config, read from the
// section heads alone, BEFORE agent_init allocates: a small file whose
// config claims huge networks is refused here, having allocated nothing.
void check_tensor_sizes(Reader& r, const std::string& path, const RqlConfig& cfg, int sb) {
  uint64_t na = 0, nv = 0;
  if (!checked_agent_params(cfg, &na, &nv))
    throw Error(path + ": config section: the networks' parameter counts overflow 64 bits (a corrupt config)");
  const uint64_t want[kTensorSections] = {na, nv, na, nv, na, na, nv, nv};  // tensor_section_name order
  const uint64_t resume = r.pos;
  std::vector<CheckpointSection> ignored;
  const uint64_t state_bytes = r.section("state", ignored);  // advances r.pos: not in one expression with it
  r.seek(r.pos + padded(state_bytes));
  for (int i = 0; i < kTensorSections; ++i) {
    const std::string name = tensor_section_name(i);
    const uint64_t size = r.section(name, ignored);
    uint64_t bytes = 0;
    if (!mul_ok(want[i], static_cast<uint64_t>(sb), &bytes) || size != bytes)
      throw Error(path + ": section '" + name + "' holds " + std::to_string(size) + " bytes (" +
                  std::to_string(size / sb) + " " + scalar_name(sb) + " values), the config needs " +
                  std::to_string(want[i]) + " values");
    r.seek(r.pos + padded(size));
  }
  r.seek(resume);
}

// 4. Step and RNG streams.
void load_state(Reader& r, const std::string& path, Agent& agent, CheckpointInfo& info) {
  const uint64_t state_size = r.section("state", info.sections);
  if (state_size != kStateBytes)
    throw Error(path + ": state section has " + std::to_string(state_size) + " bytes, version 1 has " +
                std::to_string(kStateBytes));
  unsigned char state[kStateBytes];
  r.read(state, sizeof state);
  const int64_t step = static_cast<int64_t>(get_u64(state));
  if (step < 0) throw Error(path + ": state section: step " + std::to_string(step) + " is negative");
  agent.step = static_cast<long>(step);
  info.step = agent.step;
  agent.rng_batch = get_rng(state + 8, path, "rng_batch");
  agent.rng_update = get_rng(state + 8 + kRngBytes, path, "rng_update");
  agent.rng_eval = get_rng(state + 8 + 2 * kRngBytes, path, "rng_eval");
}

// 5. Parameter and moment blocks, converted from the stored scalar type.
// Every value must be finite: a NaN or Inf parameter (or moment) would
// spread through every later update and evaluation.
void load_tensors(Reader& r, const std::string& path, Agent& agent, CheckpointInfo& info) {
  const int sb = info.scalar_bytes;
  std::vector<unsigned char> chunk(8192 * 8);
  for (int i = 0; i < kTensorSections; ++i) {
    const std::string name = tensor_section_name(i);
    std::vector<real>& block = tensor_section_block(agent, i);
    const uint64_t size = r.section(name, info.sections);
    if (size != block.size() * static_cast<uint64_t>(sb))
      throw Error(path + ": section '" + name + "' holds " + std::to_string(size) + " bytes (" +
                  std::to_string(size / sb) + " " + scalar_name(sb) + " values), the config needs " +
                  std::to_string(block.size()) + " values");
    for (size_t k0 = 0; k0 < block.size(); k0 += 8192) {
      const size_t n = std::min<size_t>(8192, block.size() - k0);
      r.read(chunk.data(), n * sb);
      for (size_t k = 0; k < n; ++k) {
        const real x = decode_real(&chunk[k * sb], sb);
        if (!std::isfinite(x)) {
          const int net = i < kAgentNets ? i : (i - kAgentNets < 2 ? 0 : 1);  // the layout the block follows
          throw Error(path + ": section '" + name + "': non-finite value " + std::to_string(static_cast<double>(x)) +
                      " at " + tensor_at(agent_net_shape(agent, net), name, static_cast<long>(k0 + k)) +
                      (sb == 8 && sizeof(real) == 4 ? " (or a float64 too large for float32)" : "") +
                      "; a checkpoint holds only finite values");
        }
        block[k0 + k] = x;
      }
    }
    r.skip_padding(size);
  }
}

// 6. Version 2 on: what the agent was trained for (text, checkpoint.h).
void load_run(Reader& r, const std::string& path, CheckpointInfo& info) {
  if (info.version >= 2) {
    const uint64_t run_size = r.section("run", info.sections);
    if (run_size > kMaxRunText)
      throw Error(path + ": run section has " + std::to_string(run_size) + " bytes, at most " +
                  std::to_string(kMaxRunText) + " allowed");
    info.run_text.resize(static_cast<size_t>(run_size));
    if (run_size > 0) r.read(reinterpret_cast<unsigned char*>(&info.run_text[0]), static_cast<size_t>(run_size));
    r.skip_padding(run_size);
    if (info.run_text.find('\0') != std::string::npos) throw Error(path + ": run section holds a NUL byte");
  }
}

}  // namespace

Agent checkpoint_load(const std::string& path, CheckpointInfo* info_out) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error(path + ": cannot open checkpoint: " + errno_text());
  struct stat st;
  if (::fstat(::fileno(file.get()), &st) != 0) throw Error(path + ": cannot stat: " + errno_text());
  if (S_ISDIR(st.st_mode)) throw Error(path + ": is a folder, expected a checkpoint file");
  CheckpointInfo info;
  info.file_size = static_cast<uint64_t>(st.st_size);

  load_header(file.get(), path, info);                                        // 1
  check_payload_crc(file.get(), path, info);                                  // 2
  if (std::fseek(file.get(), kCheckpointHeaderBytes, SEEK_SET) != 0) throw Error(path + ": seek failed: " + errno_text());
  Reader r{file.get(), path, static_cast<uint64_t>(kCheckpointHeaderBytes), info.file_size};
  const RqlConfig cfg = load_config(r, path, info);                           // 3
  check_tensor_sizes(r, path, cfg, info.scalar_bytes);                        // 3b: before allocating
  Agent agent;
  const std::string err = agent_init(agent, cfg);
  if (!err.empty()) throw Error(path + ": config section: " + err);
  load_state(r, path, agent, info);                                           // 4
  load_tensors(r, path, agent, info);                                         // 5
  load_run(r, path, info);                                                    // 6 (version 2 on)
  if (r.pos != r.end)
    throw Error(path + ": " + std::to_string(r.end - r.pos) + " bytes after the last section ('" +
                info.sections.back().name + "')");
  if (info_out) *info_out = std::move(info);
  return agent;
}

// ---- .npy export / import ----

void checkpoint_export_npy(const Agent& agent, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create the export folder: " + ec.message());
  for (int net = 0; net < kAgentNets; ++net) {
    const MlpShape& shape = agent_net_shape(agent, net);
    const std::vector<real>& block = agent_net_block(agent, net);
    for (int i = 0; i < mlp_tensor_count(shape); ++i) {
      const MlpTensor t = mlp_tensor(shape, i);
      npy_save(dir + "/" + agent_net_name(net) + "." + t.name + ".npy", tensor_shape(t), block.data() + t.offset);
    }
  }
  write_file_bytes(dir + "/config.txt", config_to_text(agent.cfg));
}

void checkpoint_import_params(Agent& agent, const std::string& dir) {
  std::vector<real> blocks[kAgentNets];
  for (int net = 0; net < kAgentNets; ++net) {
    const MlpShape& shape = agent_net_shape(agent, net);
    blocks[net].assign(agent_net_block(agent, net).size(), 0);
    for (int i = 0; i < mlp_tensor_count(shape); ++i) {
      const MlpTensor t = mlp_tensor(shape, i);
      const std::string name = std::string(agent_net_name(net)) + "." + t.name;
      const NpyArray a = npy_load_shaped(dir + "/" + name + ".npy", name, tensor_shape(t), true, " under this config");
      for (long k = 0; k < t.size; ++k) {
        const real x = static_cast<real>(a.data[k]);
        if (!std::isfinite(x))
          throw Error(dir + "/" + name + ".npy: non-finite value " + std::to_string(a.data[k]) + " at element " +
                      std::to_string(k) + (std::isfinite(a.data[k]) ? " (too large for this build's scalar)" : "") +
                      "; parameters must be finite");
        blocks[net][t.offset + k] = x;
      }
    }
  }
  for (int net = 0; net < kAgentNets; ++net) agent_net_block(agent, net).swap(blocks[net]);
}

Agent checkpoint_import_npy(const std::string& dir, const RqlConfig& cfg) {
  Agent agent;
  const std::string err = agent_init(agent, cfg);
  if (!err.empty()) throw Error(dir + ": cannot import into this config: " + err);
  checkpoint_import_params(agent, dir);
  return agent;
}

}  // namespace rql
