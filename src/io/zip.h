// zip.h: the subset of the ZIP format (PKWARE APPNOTE.TXT 6.3) that NumPy's
// .npz archives use, read and written with no dependency.
//
// Reading: the end of central directory record (ZIP64 end records when
// present), the central directory, local headers (skipped by their own
// lengths), members stored (method 0) or DEFLATE-compressed (method 8, via
// inflate.h), data descriptors (bit 3: sizes and CRC are taken from the
// central directory), ZIP64 extra fields (NumPy writes them in every local
// header: np.savez passes force_zip64=True to zipfile). Each member's size and
// CRC-32 are checked. Refused with a clear message: encryption, multi-disk
// archives, other compression methods, duplicate names, any record that does
// not fit inside the file. A member's declared size is a claim: it is
// checked against the most DEFLATE can expand its compressed size (1032:1),
// and the output buffer grows with the data that really arrive (zip_read),
// so a corrupt size cannot trigger a huge allocation.
//
// Writing: members stored uncompressed with CRC-32, fixed timestamps
// (1980-01-01 00:00, so archives are reproducible), ZIP64 fields only where a
// size or offset needs them (or everywhere with force_zip64, for tests).
//
// Errors are rql::Error naming the archive (and member).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rql {

// One member of a ZIP archive, from its central directory.
struct ZipMember {
  std::string name;     // as stored, e.g. "observations.npy"
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint16_t flags = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;           // uncompressed
  uint64_t header_offset = 0;  // of the local file header
};

// A ZIP archive opened for reading members one at a time: the central
// directory is read and checked up front; member data stay on disk (or in
// `memory`) until asked for, so a large dataset is never held compressed and
// uncompressed at once.
struct ZipArchive {
  std::string name;  // path (re-opened by zip_read) or a label
  bool in_memory = false;
  std::vector<unsigned char> memory;  // the archive when in_memory
  uint64_t size = 0;                  // archive bytes
  std::vector<ZipMember> members;     // central directory order
};

ZipArchive zip_open(const std::string& path);
ZipArchive zip_open_memory(std::vector<unsigned char> bytes, const std::string& name_for_errors);
// The member with exactly this name, or null.
const ZipMember* zip_find(const ZipArchive& a, const std::string& name);
// The member's uncompressed bytes (m.size of them), CRC-32 checked.
std::vector<unsigned char> zip_read(const ZipArchive& a, const ZipMember& m);

// An archive of `entries` (member name, bytes), stored, as bytes.
std::string zip_encode(const std::vector<std::pair<std::string, std::string>>& entries, bool force_zip64 = false);
// The same, streamed to a file (no copy of the whole archive in memory).
void zip_save(const std::string& path, const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace rql
