// npy.h: NumPy's .npy array files and .npz archives, read and written with no
// dependency (format spec: numpy/lib/format.py, "NEP 1"; ZIP: PKWARE
// APPNOTE.TXT 6.3). The exchange format of datasets (docs/spec.md §3) and golden
// vectors (docs/spec.md §8).
//
// Reading accepts what NumPy writes:
//   .npy  format versions 1.0, 2.0 and 3.0; dtypes b1, i1 i2 i4 i8, u1 u2 u4
//         u8, f2 f4 f8, little ('<') or big ('>') endian ('|' and '=' for one
//         byte); any rank including 0-d; C order, and Fortran order (the data
//         are transposed into C order). Structured, complex, string and
//         object dtypes are refused with a message naming the dtype.
//   .npz  a ZIP archive of .npy members (np.savez: stored;
//         np.savez_compressed: DEFLATE), read by zip.h.
// Every read is bounds-checked; a truncated or corrupt file is an rql::Error
// naming the file (and the archive member), never a crash.
//
// Writing produces what NumPy writes for <f4 / <i4 arrays: format 1.0 (2.0 if
// the header would not fit), header padded with spaces to a multiple of 64
// bytes. npz_save stores members uncompressed (zip.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "zip.h"

namespace rql {

// A whole array, converted to double (exact for every supported dtype except
// i8/u8 beyond 2^53).
struct NpyArray {
  std::string dtype;         // NumPy descr as found in the file, e.g. "<f4"
  std::vector<long> shape;   // () for a 0-d array
  std::vector<double> data;  // prod(shape) values, C order
};

// The parsed header of a .npy file, checked against the buffer it came from.
struct NpyHeader {
  std::string dtype;  // descr, e.g. "<f4", ">i2", "|b1"
  char kind = 0;      // 'b' bool, 'i' signed, 'u' unsigned, 'f' float
  int itemsize = 0;   // bytes per element: 1, 2, 4 or 8
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<long> shape;
  size_t count = 0;        // prod(shape)
  size_t data_offset = 0;  // first data byte
};

// ---- .npy reading ----

// Parse the header of the .npy bytes[0 .. n) and check that exactly
// count * itemsize data bytes follow. Throws rql::Error naming
// `name_for_errors` (a file name, or "archive.npz:key").
NpyHeader npy_parse_header(const unsigned char* bytes, size_t n, const std::string& name_for_errors);
// Convert the data of a checked header to C order: out has h.count elements.
void npy_convert(const NpyHeader& h, const unsigned char* bytes, double* out);
void npy_convert(const NpyHeader& h, const unsigned char* bytes, float* out);

NpyArray npy_parse(const unsigned char* bytes, size_t n, const std::string& name_for_errors);
NpyArray npy_load(const std::string& path);  // throws rql::Error naming the file

// ---- .npy writing ----

// Bytes of a .npy file holding shape (C order), as <f4 or <i4.
std::string npy_encode(const std::vector<long>& shape, const float* data);
std::string npy_encode_i32(const std::vector<long>& shape, const int32_t* data);
void npy_save(const std::string& path, const std::vector<long>& shape, const float* data);
// Writes <f4 too: each value rounded to float (docs/spec.md §8 exchanges <f4).
void npy_save(const std::string& path, const std::vector<long>& shape, const double* data);
void npy_save_i32(const std::string& path, const std::vector<long>& shape, const int32_t* data);

// ---- .npz ----

// Every ".npy" member of a .npz, keyed by its name without ".npy" (members
// with other names are ignored, as np.load does not parse them as arrays).
std::map<std::string, NpyArray> npz_load(const std::string& path);
std::map<std::string, NpyArray> npz_parse(std::vector<unsigned char> bytes, const std::string& name_for_errors);

// A ZIP archive (stored, CRC-32) whose members are entries[i].first + ".npy"
// (".npy" is not doubled if already there) holding the .npy bytes
// entries[i].second. `force_zip64`: see zip_encode.
std::string npz_encode(const std::vector<std::pair<std::string, std::string>>& entries, bool force_zip64 = false);
void npz_save(const std::string& path, const std::vector<std::pair<std::string, std::string>>& entries);

// ---- files ----

// Whole file as bytes, or as text; throw rql::Error naming the file.
std::vector<unsigned char> read_file_bytes(const std::string& path);
std::string read_file_text(const std::string& path);
void write_file_bytes(const std::string& path, const std::string& bytes);
bool file_exists(const std::string& path);

// ---- named tensors (golden cases, parameter export) ----

// "[2, 3]"
std::string npy_shape_text(const std::vector<long>& shape);
// Load `path`, the tensor `name`, and require exactly `shape` (and a
// floating-point dtype with `floating_only`). Errors name the file, the
// tensor and the expected shape; `context` is appended to a shape mismatch
// ("under this config").
NpyArray npy_load_shaped(const std::string& path, const std::string& name, const std::vector<long>& shape,
                         bool floating_only = false, const std::string& context = "");

}  // namespace rql
