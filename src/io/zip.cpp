// zip.cpp: reading and writing the ZIP subset of NumPy's .npz archives. See
// zip.h for the scope. Record layouts are from PKWARE's APPNOTE.TXT 6.3:
//   local file header      4.3.7   (30 bytes + name + extra)
//   central directory      4.3.12  (46 bytes + name + extra + comment)
//   end of central dir     4.3.16  (22 bytes + comment)
//   ZIP64 end record       4.3.14  (56 bytes), locator 4.3.15 (20 bytes)
//   ZIP64 extra field      4.5.3   (id 0x0001: only the fields that are
//                                   0xFFFFFFFF in the fixed record, in the
//                                   order size, compressed size, offset)
// All integers are little-endian.
#include "zip.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "error.h"
#include "inflate.h"

namespace rql {

namespace {

constexpr uint32_t kSigLocal = 0x04034b50;
constexpr uint32_t kSigCentral = 0x02014b50;
constexpr uint32_t kSigEnd = 0x06054b50;
constexpr uint32_t kSigEnd64 = 0x06064b50;
constexpr uint32_t kSigLocator64 = 0x07064b50;
constexpr uint32_t k32 = 0xFFFFFFFFu;        // "see the ZIP64 field"
constexpr uint64_t kMaxDeflateRatio = 1032;  // 258 bytes per 2 bits

uint16_t rd16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t rd64(const unsigned char* p) { return rd32(p) | (static_cast<uint64_t>(rd32(p + 4)) << 32); }

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Read bytes [off, off + n) of the archive into dst, or throw naming `what`.
void read_at(const ZipArchive& a, std::ifstream* f, uint64_t off, uint64_t n, unsigned char* dst, const char* what) {
  if (off > a.size || n > a.size - off)
    throw Error(a.name + ": truncated or corrupt ZIP archive: " + what + " at byte " + std::to_string(off) + " needs " +
                std::to_string(n) + " bytes, the archive has " + std::to_string(a.size));
  if (n == 0) return;
  if (a.in_memory) {
    std::memcpy(dst, a.memory.data() + off, n);
    return;
  }
  f->clear();
  f->seekg(static_cast<std::streamoff>(off));
  f->read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
  if (static_cast<uint64_t>(f->gcount()) != n) throw Error(a.name + ": read error at byte " + std::to_string(off));
}

// Apply a ZIP64 extra field (id 0x0001) found in extra[0 .. len) to the
// fields of m that hold 0xFFFFFFFF.
void apply_zip64_extra(const ZipArchive& a, const unsigned char* extra, size_t len, ZipMember& m, bool size32,
                       bool csize32, bool offset32) {
  size_t p = 0;
  while (p + 4 <= len) {
    const uint16_t id = rd16(extra + p), n = rd16(extra + p + 2);
    if (n > len - p - 4) throw Error(a.name + ": member '" + m.name + "': extra field runs past its record");
    if (id == 0x0001) {
      size_t q = p + 4;
      const size_t end = q + n;
      auto take = [&](uint64_t& field) {
        if (end - q < 8) throw Error(a.name + ": member '" + m.name + "': ZIP64 extra field too short");
        field = rd64(extra + q);
        q += 8;
      };
      if (size32) take(m.size);
      if (csize32) take(m.compressed_size);
      if (offset32) take(m.header_offset);
      return;
    }
    p += 4 + n;
  }
  if (size32 || csize32 || offset32)
    throw Error(a.name + ": member '" + m.name + "': size or offset is 0xFFFFFFFF but there is no ZIP64 extra field");
}

void read_directory(ZipArchive& a, std::ifstream* f) {
  if (a.size < 22) throw Error(a.name + ": not a ZIP archive (" + std::to_string(a.size) + " bytes, too short)");
  // The end record is the last 22 bytes plus a comment of up to 65535 bytes.
  const uint64_t tail_len = std::min<uint64_t>(a.size, 22 + 65535);
  std::vector<unsigned char> tail(tail_len);
  read_at(a, f, a.size - tail_len, tail_len, tail.data(), "end record");
  long at = -1;
  for (long i = static_cast<long>(tail_len) - 22; i >= 0; --i) {
    if (rd32(&tail[i]) == kSigEnd && i + 22 + rd16(&tail[i + 20]) == static_cast<long>(tail_len)) {
      at = i;
      break;
    }
  }
  if (at < 0)
    throw Error(a.name + ": not a ZIP archive, or truncated: no end of central directory record" +
                " (a .npz is a ZIP archive written by np.savez or np.savez_compressed)");
  const uint64_t end_off = a.size - tail_len + static_cast<uint64_t>(at);
  const unsigned char* e = &tail[at];
  uint64_t entries = rd16(e + 10), cd_size = rd32(e + 12), cd_off = rd32(e + 16);
  bool multi_disk = rd16(e + 4) != 0 || rd16(e + 6) != 0 || rd16(e + 8) != rd16(e + 10);
  if (end_off >= 20 && (rd16(e + 10) == 0xFFFF || rd32(e + 12) == k32 || rd32(e + 16) == k32 ||
                        (at >= 20 && rd32(&tail[at - 20]) == kSigLocator64))) {
    unsigned char loc[20];
    read_at(a, f, end_off - 20, 20, loc, "ZIP64 end locator");
    if (rd32(loc) != kSigLocator64) throw Error(a.name + ": ZIP64 end locator missing (corrupt archive)");
    unsigned char r[56];
    read_at(a, f, rd64(loc + 8), 56, r, "ZIP64 end record");
    if (rd32(r) != kSigEnd64) throw Error(a.name + ": bad ZIP64 end record signature (corrupt archive)");
    multi_disk = rd32(loc + 4) != 0 || rd32(loc + 16) > 1 || rd32(r + 16) != 0 || rd32(r + 20) != 0 ||
                 rd64(r + 24) != rd64(r + 32);
    entries = rd64(r + 32);
    cd_size = rd64(r + 40);
    cd_off = rd64(r + 48);
  }
  if (multi_disk) throw Error(a.name + ": multi-disk (split) ZIP archives are not supported");
  if (cd_off > end_off || cd_size > end_off - cd_off)
    throw Error(a.name + ": truncated or corrupt ZIP archive: the central directory (" + std::to_string(cd_size) +
                " bytes at " + std::to_string(cd_off) + ") does not fit before the end record at " +
                std::to_string(end_off));
  if (entries > cd_size / 46)
    throw Error(a.name + ": corrupt ZIP archive: " + std::to_string(entries) + " entries cannot fit in a " +
                std::to_string(cd_size) + "-byte central directory");
  std::vector<unsigned char> cd(cd_size);
  read_at(a, f, cd_off, cd_size, cd.data(), "central directory");
  std::set<std::string> names;
  size_t p = 0;
  for (uint64_t k = 0; k < entries; ++k) {
    if (cd_size - p < 46 || rd32(&cd[p]) != kSigCentral)
      throw Error(a.name + ": corrupt ZIP central directory (entry " + std::to_string(k) + ")");
    const unsigned char* c = &cd[p];
    const size_t nlen = rd16(c + 28), xlen = rd16(c + 30), clen = rd16(c + 32);
    if (cd_size - p - 46 < nlen + xlen + clen)
      throw Error(a.name + ": corrupt ZIP central directory (entry " + std::to_string(k) + " runs past its end)");
    ZipMember m;
    m.name.assign(reinterpret_cast<const char*>(c + 46), nlen);
    m.flags = rd16(c + 8);
    m.method = rd16(c + 10);
    m.crc32 = rd32(c + 16);
    m.compressed_size = rd32(c + 20);
    m.size = rd32(c + 24);
    m.header_offset = rd32(c + 42);
    apply_zip64_extra(a, c + 46 + nlen, xlen, m, m.size == k32, m.compressed_size == k32, m.header_offset == k32);
    if (m.flags & 0x41) throw Error(a.name + ": member '" + m.name + "' is encrypted (not supported)");
    if (!names.insert(m.name).second) throw Error(a.name + ": duplicate member '" + m.name + "'");
    if (m.header_offset > cd_off || m.compressed_size > cd_off - m.header_offset)
      throw Error(a.name + ": truncated or corrupt ZIP archive: member '" + m.name + "' (" +
                  std::to_string(m.compressed_size) + " bytes at " + std::to_string(m.header_offset) +
                  ") does not fit before the central directory");
    if (m.method == 0 && m.size != m.compressed_size)
      throw Error(a.name + ": member '" + m.name + "' is stored but its sizes differ (" + std::to_string(m.size) +
                  " vs " + std::to_string(m.compressed_size) + ")");
    if (m.method == 8 && m.size / kMaxDeflateRatio > m.compressed_size + 64)
      throw Error(a.name + ": member '" + m.name + "' claims " + std::to_string(m.size) + " bytes from " +
                  std::to_string(m.compressed_size) + " compressed bytes, more than DEFLATE can encode");
    a.members.push_back(std::move(m));
    p += 46 + nlen + xlen + clen;
  }
}

// Little-endian record builder for the writer.
struct Record {
  std::string s;
  void u16(uint32_t v) {
    for (int i = 0; i < 2; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
};

// Where the writer's bytes go: a string or a file.
struct Sink {
  std::string* mem;
  std::ofstream* file;
  const std::string& path;
  uint64_t offset;
  void put(const std::string& bytes) {
    if (mem)
      mem->append(bytes);
    else if (!file->write(bytes.data(), static_cast<std::streamsize>(bytes.size())))
      throw Error(path + ": write failed (disk full or no permission?)");
    offset += bytes.size();
  }
};

void zip_write(Sink& out, const std::vector<std::pair<std::string, std::string>>& entries, bool force_zip64) {
  constexpr uint32_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, the DOS epoch
  struct Written {
    uint32_t crc;
    uint64_t size, offset;
  };
  std::vector<Written> written;
  for (const auto& e : entries) {
    const std::string& name = e.first;
    const std::string& data = e.second;
    if (name.size() > 0xFFFF) throw Error(out.path + ": member name too long: " + name.substr(0, 64) + "...");
    const uint32_t crc = crc32_update(0, reinterpret_cast<const uint8_t*>(data.data()), data.size());
    const bool z64 = force_zip64 || data.size() >= k32;
    const bool utf8 = std::any_of(name.begin(), name.end(), [](char ch) { return (ch & 0x80) != 0; });
    Record r;
    r.u32(kSigLocal);
    r.u16(z64 ? 45 : 20);        // version needed: 4.5 for ZIP64, else 2.0
    r.u16(utf8 ? 1u << 11 : 0);  // bit 11: name is UTF-8
    r.u16(0);                    // method: stored
    r.u16(0);                    // time 00:00:00
    r.u16(kDosDate);
    r.u32(crc);
    r.u32(z64 ? k32 : static_cast<uint32_t>(data.size()));
    r.u32(z64 ? k32 : static_cast<uint32_t>(data.size()));
    r.u16(static_cast<uint32_t>(name.size()));
    r.u16(z64 ? 20 : 0);
    r.s += name;
    if (z64) {
      r.u16(0x0001);
      r.u16(16);
      r.u64(data.size());
      r.u64(data.size());
    }
    written.push_back({crc, data.size(), out.offset});
    out.put(r.s);
    out.put(data);
  }
  const uint64_t cd_off = out.offset;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& name = entries[i].first;
    const Written& w = written[i];
    const bool big_size = force_zip64 || w.size >= k32;
    const bool big_off = force_zip64 || w.offset >= k32;
    const bool utf8 = std::any_of(name.begin(), name.end(), [](char ch) { return (ch & 0x80) != 0; });
    Record r;
    r.u32(kSigCentral);
    r.u16((3u << 8) | 45);  // made by: Unix, spec 4.5
    r.u16(big_size || big_off ? 45 : 20);
    r.u16(utf8 ? 1u << 11 : 0);
    r.u16(0);
    r.u16(0);
    r.u16(kDosDate);
    r.u32(w.crc);
    r.u32(big_size ? k32 : static_cast<uint32_t>(w.size));
    r.u32(big_size ? k32 : static_cast<uint32_t>(w.size));
    r.u16(static_cast<uint32_t>(name.size()));
    const uint32_t xlen = (big_size ? 16 : 0) + (big_off ? 8 : 0);
    r.u16(xlen ? 4 + xlen : 0);
    r.u16(0);               // comment length
    r.u16(0);               // disk number start
    r.u16(0);               // internal attributes
    r.u32(0100644u << 16);  // external: regular file, rw-r--r--
    r.u32(big_off ? k32 : static_cast<uint32_t>(w.offset));
    r.s += name;
    if (xlen) {
      r.u16(0x0001);
      r.u16(xlen);
      if (big_size) {
        r.u64(w.size);
        r.u64(w.size);
      }
      if (big_off) r.u64(w.offset);
    }
    out.put(r.s);
  }
  const uint64_t cd_size = out.offset - cd_off;
  const uint64_t n = entries.size();
  const bool z64 = force_zip64 || n >= 0xFFFF || cd_size >= k32 || cd_off >= k32;
  Record r;
  if (z64) {
    const uint64_t end64_off = out.offset;
    r.u32(kSigEnd64);
    r.u64(44);  // size of the rest of this record
    r.u16((3u << 8) | 45);
    r.u16(45);
    r.u32(0);
    r.u32(0);
    r.u64(n);
    r.u64(n);
    r.u64(cd_size);
    r.u64(cd_off);
    r.u32(kSigLocator64);
    r.u32(0);
    r.u64(end64_off);
    r.u32(1);
  }
  r.u32(kSigEnd);
  r.u16(0);
  r.u16(0);
  r.u16(z64 ? 0xFFFF : static_cast<uint32_t>(n));
  r.u16(z64 ? 0xFFFF : static_cast<uint32_t>(n));
  r.u32(z64 ? k32 : static_cast<uint32_t>(cd_size));
  r.u32(z64 ? k32 : static_cast<uint32_t>(cd_off));
  r.u16(0);
  out.put(r.s);
}

}  // namespace

ZipArchive zip_open(const std::string& path) {
  ZipArchive a;
  a.name = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder, expected a ZIP archive");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open (missing file or no permission)");
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size < 0) throw Error(path + ": cannot determine the file size");
  a.size = static_cast<uint64_t>(size);
  read_directory(a, &f);
  return a;
}

ZipArchive zip_open_memory(std::vector<unsigned char> bytes, const std::string& name_for_errors) {
  ZipArchive a;
  a.name = name_for_errors;
  a.in_memory = true;
  a.memory = std::move(bytes);
  a.size = a.memory.size();
  read_directory(a, nullptr);
  return a;
}

const ZipMember* zip_find(const ZipArchive& a, const std::string& name) {
  for (const ZipMember& m : a.members)
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<unsigned char> zip_read(const ZipArchive& a, const ZipMember& m) {
  const std::string where = a.name + ": member '" + m.name + "'";
  if (m.method != 0 && m.method != 8)
    throw Error(where + ": compression method " + std::to_string(m.method) +
                " is not supported (only 0 stored and 8 deflate, what np.savez and np.savez_compressed write)");
  std::ifstream f;
  if (!a.in_memory) {
    f.open(a.name, std::ios::binary);
    if (!f) throw Error(a.name + ": cannot re-open the archive");
  }
  unsigned char h[30];
  read_at(a, &f, m.header_offset, 30, h, "local file header");
  if (rd32(h) != kSigLocal) throw Error(where + ": bad local header signature (corrupt archive)");
  const uint64_t nlen = rd16(h + 26), xlen = rd16(h + 28);
  std::string local_name(nlen, '\0');
  read_at(a, &f, m.header_offset + 30, nlen, reinterpret_cast<unsigned char*>(&local_name[0]), "member name");
  if (local_name != m.name) throw Error(where + ": local header names '" + local_name + "' (corrupt archive)");
  const uint64_t data_off = m.header_offset + 30 + nlen + xlen;
  std::vector<unsigned char> out;
  if (m.method == 0) {
    out.resize(m.size);
    read_at(a, &f, data_off, m.size, out.data(), "member data");
  } else {
    std::vector<unsigned char> packed(m.compressed_size);
    read_at(a, &f, data_off, m.compressed_size, packed.data(), "member data");
    // The directory's size is a claim, checked so far only against the most
    // DEFLATE can expand (1032:1): a corrupt 1 MB member may claim 1 GB.
    // Room is therefore given for what the data plausibly hold (16x the
    // compressed size, at least 64 KiB, at most the claim) and doubled only
    // when the stream really fills it, decoding again from the start: the
    // memory follows the real output, and the repeated work is at most as
    // much again as the final decode.
    uint64_t cap = std::min<uint64_t>(m.size, std::max<uint64_t>(uint64_t{1} << 16, 16 * m.compressed_size));
    InflateStatus st;
    for (;;) {
      out.resize(static_cast<size_t>(cap));
      st = inflate_raw(packed.data(), packed.size(), out.data(), out.size());
      if (!st.out_full || cap >= m.size) break;
      cap = std::min<uint64_t>(m.size, 2 * cap);
    }
    if (st.out_full)
      throw Error(where + ": decompresses to more than the " + std::to_string(m.size) +
                  " bytes the directory says (corrupt archive)");
    if (st.error)
      throw Error(where + ": corrupt DEFLATE data: " + st.error + " (at compressed byte " + std::to_string(st.in_used) +
                  " of " + std::to_string(packed.size()) + ")");
    if (st.out_len != m.size)
      throw Error(where + ": decompressed to " + std::to_string(st.out_len) + " bytes, the directory says " +
                  std::to_string(m.size));
  }
  const uint32_t crc = crc32_update(0, out.data(), out.size());
  if (crc != m.crc32)
    throw Error(where + ": CRC-32 mismatch (directory " + hex32(m.crc32) + ", data " + hex32(crc) +
                "): the archive is corrupt");
  return out;
}

std::string zip_encode(const std::vector<std::pair<std::string, std::string>>& entries, bool force_zip64) {
  std::string bytes;
  const std::string label = "(in-memory ZIP)";
  Sink sink{&bytes, nullptr, label, 0};
  zip_write(sink, entries, force_zip64);
  return bytes;
}

void zip_save(const std::string& path, const std::vector<std::pair<std::string, std::string>>& entries) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(path + ": cannot create (missing folder or no permission?)");
  Sink sink{nullptr, &f, path, 0};
  zip_write(sink, entries, false);
  f.close();
  if (!f) throw Error(path + ": write failed (disk full?)");
}

}  // namespace rql
