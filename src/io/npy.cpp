// npy.cpp: .npy parsing, conversion and writing; .npz on top of zip.h. See
// npy.h for what is accepted. The .npy layout (numpy/lib/format.py):
//   "\x93NUMPY" major minor   (6 + 2 bytes)
//   header length             (uint16 LE for 1.0, uint32 LE for 2.0 / 3.0)
//   header                    a Python dict literal, e.g.
//                             {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//                             padded with spaces and ended with '\n'
//   data                      prod(shape) elements, no padding
#include "npy.h"

#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "error.h"

namespace rql {

namespace {

// ---- A Python-literal reader for the header dict ----
// Grammar: value := 'str' | "str" | True | False | None | int | (values) | [values]
//                 | {str: value, ...}
// Only what NumPy writes (and Python 2's "3L" integers) is needed.
struct PyValue {
  enum Kind { kStr, kBool, kNone, kInt, kTuple, kList, kDict } kind = kNone;
  std::string str;
  long long num = 0;
  std::vector<PyValue> items;                            // tuple, list
  std::vector<std::pair<std::string, PyValue>> entries;  // dict
};

// At most 200 characters of a header, for messages.
std::string excerpt(const std::string& text) { return text.size() <= 200 ? text : text.substr(0, 200) + "..."; }

struct HeaderParser {
  const std::string& s;
  const std::string& name;
  size_t p = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(name + ": bad .npy header: " + what + " at character " + std::to_string(p) + " of \"" + excerpt(s) +
                "\"");
  }
  void skip_space() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
  }
  bool eat(char c) {
    skip_space();
    if (p < s.size() && s[p] == c) {
      ++p;
      return true;
    }
    return false;
  }
  std::string parse_string() {
    const char quote = s[p++];
    std::string out;
    while (p < s.size() && s[p] != quote) {
      if (s[p] == '\\') {
        if (++p >= s.size()) break;
      }
      out.push_back(s[p++]);
    }
    if (p >= s.size()) fail("unterminated string");
    ++p;
    return out;
  }
  // Items separated by commas until `close`; a trailing comma is allowed.
  template <typename F>
  void parse_sequence(char close, F item) {
    for (;;) {
      if (eat(close)) return;
      item();
      if (eat(close)) return;
      if (!eat(',')) fail(std::string("expected ',' or '") + close + "'");
    }
  }
  PyValue parse_value(int depth) {
    if (depth > 8) fail("nesting too deep");
    skip_space();
    if (p >= s.size()) fail("unexpected end");
    PyValue v;
    const char c = s[p];
    if (c == '\'' || c == '"') {
      v.kind = PyValue::kStr;
      v.str = parse_string();
    } else if (c == '(' || c == '[') {
      ++p;
      v.kind = c == '(' ? PyValue::kTuple : PyValue::kList;
      parse_sequence(c == '(' ? ')' : ']', [&] { v.items.push_back(parse_value(depth + 1)); });
    } else if (c == '{') {
      ++p;
      v.kind = PyValue::kDict;
      parse_sequence('}', [&] {
        skip_space();
        if (p >= s.size() || (s[p] != '\'' && s[p] != '"')) fail("expected a string key");
        std::string key = parse_string();
        if (!eat(':')) fail("expected ':'");
        v.entries.emplace_back(std::move(key), parse_value(depth + 1));
      });
    } else if (c >= '0' && c <= '9') {
      v.kind = PyValue::kInt;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (v.num > (LLONG_MAX - 9) / 10) fail("integer too large");
        v.num = v.num * 10 + (s[p++] - '0');
      }
      if (p < s.size() && s[p] == 'L') ++p;  // Python 2 long
    } else if (s.compare(p, 4, "True") == 0) {
      v.kind = PyValue::kBool;
      v.num = 1;
      p += 4;
    } else if (s.compare(p, 5, "False") == 0) {
      v.kind = PyValue::kBool;
      p += 5;
    } else if (s.compare(p, 4, "None") == 0) {
      p += 4;
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    return v;
  }
};

// Parse a descr string such as "<f4" into h.kind / itemsize / big_endian.
void parse_descr(const std::string& d, const std::string& name, NpyHeader& h) {
  const std::string expected = " (supported: b1, i1 i2 i4 i8, u1 u2 u4 u8, f2 f4 f8, little or big endian)";
  if (d.size() != 3) throw Error(name + ": dtype '" + d + "' is not supported" + expected);
  const char order = d[0], kind = d[1];
  const int size = d[2] - '0';
  const bool ok = (kind == 'b' && size == 1) ||
                  ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                  (kind == 'f' && (size == 2 || size == 4 || size == 8));
  if (!ok) throw Error(name + ": dtype '" + d + "' is not supported" + expected);
  if (order == '|' || order == '=') {
    if (size != 1)
      throw Error(name + ": dtype '" + d +
                  "' has no explicit byte order (NumPy writes '<' or '>' for multi-byte types)");
  } else if (order != '<' && order != '>') {
    throw Error(name + ": dtype '" + d + "': unknown byte order '" + order + "'");
  }
  h.kind = kind;
  h.itemsize = size;
  h.big_endian = order == '>';
}

std::string shape_repr(const std::vector<long>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// IEEE half (binary16) bits to double, exactly.
double half_to_double(uint32_t bits) {
  const int sign = (bits >> 15) & 1, exp = (bits >> 10) & 0x1F;
  const int mant = bits & 0x3FF;
  double v;
  if (exp == 0)
    v = std::ldexp(static_cast<double>(mant), -24);  // zero, subnormal
  else if (exp == 31)
    v = mant ? std::nan("") : HUGE_VAL;
  else
    v = std::ldexp(static_cast<double>(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

// Element `index` (in file order) as double.
double element(const NpyHeader& h, const unsigned char* data, size_t index) {
  const unsigned char* p = data + index * static_cast<size_t>(h.itemsize);
  uint64_t bits = 0;
  for (int b = 0; b < h.itemsize; ++b) {
    const int shift = h.big_endian ? 8 * (h.itemsize - 1 - b) : 8 * b;
    bits |= static_cast<uint64_t>(p[b]) << shift;
  }
  switch (h.kind) {
    case 'b':
      return bits != 0 ? 1.0 : 0.0;
    case 'u':
      return static_cast<double>(bits);
    case 'i': {
      const int width = 8 * h.itemsize;
      // Sign-extend from `width` bits.
      const int64_t v =
          width == 64 ? static_cast<int64_t>(bits) : static_cast<int64_t>(bits << (64 - width)) >> (64 - width);
      return static_cast<double>(v);
    }
    default:
      break;
  }
  if (h.itemsize == 2) return half_to_double(static_cast<uint32_t>(bits));
  if (h.itemsize == 4) {
    const uint32_t b32 = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b32, 4);
    return static_cast<double>(f);
  }
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

template <typename T>
void convert(const NpyHeader& h, const unsigned char* bytes, T* out) {
  const unsigned char* data = bytes + h.data_offset;
  const size_t rank = h.shape.size();
  if (!h.fortran_order || rank < 2) {
    for (size_t i = 0; i < h.count; ++i) out[i] = static_cast<T>(element(h, data, i));
    return;
  }
  // Fortran order: element (i0, .., ik) is at i0 + d0 (i1 + d1 (i2 + ..)).
  // Walk the C-order multi-index and recompute the Fortran offset.
  std::vector<long> idx(rank, 0);
  for (size_t c = 0; c < h.count; ++c) {
    size_t f = 0;
    for (size_t k = rank; k-- > 0;) f = f * static_cast<size_t>(h.shape[k]) + static_cast<size_t>(idx[k]);
    out[c] = static_cast<T>(element(h, data, f));
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < h.shape[k]) break;
      idx[k] = 0;
    }
  }
}

void put_le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// The .npy header of NumPy >= 1.24 for a C-order array: the dict, room for
// the first axis to grow to 21 digits, spaces to a multiple of 64 and '\n'.
std::string encode_header(const std::vector<long>& shape, const char* descr) {
  for (long d : shape)
    if (d < 0) throw Error("npy_encode: negative dimension in shape " + shape_repr(shape));
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  if (!shape.empty()) dict.append(21 - std::to_string(shape[0]).size(), ' ');
  const size_t hlen = dict.size() + 1;  // with the final '\n'
  const bool v1 = 10 + hlen + 64 <= 0xFFFF;
  const size_t prefix = v1 ? 10 : 12;
  const size_t pad = 64 - (prefix + hlen) % 64;
  std::string out = "\x93NUMPY";
  out.push_back(v1 ? 1 : 2);
  out.push_back(0);
  put_le(out, hlen + pad, v1 ? 2 : 4);
  out += dict;
  out.append(pad, ' ');
  out.push_back('\n');
  return out;
}

size_t element_count(const std::vector<long>& shape) {
  size_t n = 1;
  for (long d : shape) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace

NpyHeader npy_parse_header(const unsigned char* bytes, size_t n, const std::string& name) {
  if (n < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0)
    throw Error(name + ": not a .npy file (no \\x93NUMPY magic" +
                (n < 10 ? ", only " + std::to_string(n) + " bytes" : "") + ")");
  const int major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    throw Error(name + ": .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                " is not supported (1.0, 2.0, 3.0)");
  size_t hlen, start;
  if (major == 1) {
    hlen = static_cast<size_t>(bytes[8]) | (static_cast<size_t>(bytes[9]) << 8);
    start = 10;
  } else {
    if (n < 12) throw Error(name + ": truncated .npy header");
    hlen = static_cast<size_t>(bytes[8]) | (static_cast<size_t>(bytes[9]) << 8) |
           (static_cast<size_t>(bytes[10]) << 16) | (static_cast<size_t>(bytes[11]) << 24);
    start = 12;
  }
  if (hlen > n - start)
    throw Error(name + ": truncated .npy header (declares " + std::to_string(hlen) + " bytes, the file has " +
                std::to_string(n - start) + " after the prefix)");
  const std::string text(reinterpret_cast<const char*>(bytes + start), hlen);
  HeaderParser parser{text, name};
  const PyValue dict = parser.parse_value(0);
  if (dict.kind != PyValue::kDict) throw Error(name + ": bad .npy header: not a dict: \"" + excerpt(text) + "\"");
  parser.skip_space();
  if (parser.p != text.size()) parser.fail("unexpected text after the dict");
  const PyValue* descr = nullptr;
  const PyValue* fortran = nullptr;
  const PyValue* shape = nullptr;
  for (const auto& e : dict.entries) {
    if (e.first == "descr")
      descr = &e.second;
    else if (e.first == "fortran_order")
      fortran = &e.second;
    else if (e.first == "shape")
      shape = &e.second;
  }
  if (!descr || !fortran || !shape)
    throw Error(name + ": bad .npy header: needs the keys 'descr', 'fortran_order' and 'shape': \"" + excerpt(text) +
                "\"");
  NpyHeader h;
  if (descr->kind == PyValue::kList) throw Error(name + ": structured dtypes (a list of fields) are not supported");
  if (descr->kind != PyValue::kStr) throw Error(name + ": bad .npy header: 'descr' is not a string");
  h.dtype = descr->str;
  parse_descr(h.dtype, name, h);
  if (fortran->kind != PyValue::kBool) throw Error(name + ": bad .npy header: 'fortran_order' is not True or False");
  h.fortran_order = fortran->num != 0;
  if (shape->kind != PyValue::kTuple) throw Error(name + ": bad .npy header: 'shape' is not a tuple");
  // prod(shape) * 8 must fit in size_t; a zero dimension makes any shape fine.
  bool overflow = false, zero = false;
  size_t count = 1;
  for (const PyValue& d : shape->items) {
    if (d.kind != PyValue::kInt || d.num > LONG_MAX)
      throw Error(name + ": bad .npy header: 'shape' holds something other than a non-negative integer");
    h.shape.push_back(static_cast<long>(d.num));
    const size_t dim = static_cast<size_t>(d.num);
    if (dim == 0)
      zero = true;
    else if (count > SIZE_MAX / 8 / dim)
      overflow = true;
    else
      count *= dim;
  }
  if (overflow && !zero) throw Error(name + ": shape " + shape_repr(h.shape) + " is too large");
  h.count = zero ? 0 : count;
  h.data_offset = start + hlen;
  const size_t need = h.count * static_cast<size_t>(h.itemsize), have = n - h.data_offset;
  if (have != need)
    throw Error(name + ": " + (have < need ? "truncated" : "trailing bytes") + ": shape " + shape_repr(h.shape) +
                " of " + h.dtype + " needs " + std::to_string(need) + " data bytes, the file has " +
                std::to_string(have));
  return h;
}

void npy_convert(const NpyHeader& h, const unsigned char* bytes, double* out) { convert(h, bytes, out); }
void npy_convert(const NpyHeader& h, const unsigned char* bytes, float* out) { convert(h, bytes, out); }

NpyArray npy_parse(const unsigned char* bytes, size_t n, const std::string& name_for_errors) {
  const NpyHeader h = npy_parse_header(bytes, n, name_for_errors);
  NpyArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  a.data.resize(h.count);
  npy_convert(h, bytes, a.data.data());
  return a;
}

NpyArray npy_load(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file_bytes(path);
  return npy_parse(bytes.data(), bytes.size(), path);
}

std::string npy_encode(const std::vector<long>& shape, const float* data) {
  std::string out = encode_header(shape, "<f4");
  const size_t n = element_count(shape);
  out.reserve(out.size() + 4 * n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &data[i], 4);
    put_le(out, bits, 4);
  }
  return out;
}

std::string npy_encode_i32(const std::vector<long>& shape, const int32_t* data) {
  std::string out = encode_header(shape, "<i4");
  const size_t n = element_count(shape);
  out.reserve(out.size() + 4 * n);
  for (size_t i = 0; i < n; ++i) put_le(out, static_cast<uint32_t>(data[i]), 4);
  return out;
}

void npy_save(const std::string& path, const std::vector<long>& shape, const float* data) {
  write_file_bytes(path, npy_encode(shape, data));
}

void npy_save(const std::string& path, const std::vector<long>& shape, const double* data) {
  std::vector<float> f(element_count(shape));
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(data[i]);
  npy_save(path, shape, f.data());
}

void npy_save_i32(const std::string& path, const std::vector<long>& shape, const int32_t* data) {
  write_file_bytes(path, npy_encode_i32(shape, data));
}

namespace {
bool ends_with_npy(const std::string& name) {
  return name.size() >= 4 && name.compare(name.size() - 4, 4, ".npy") == 0;
}
// `entries` with ".npy" appended to the names that lack it; null when every
// name has it already (then the caller passes `entries` on without a copy).
std::unique_ptr<std::vector<std::pair<std::string, std::string>>> renamed(
    const std::vector<std::pair<std::string, std::string>>& entries) {
  bool all = true;
  for (const auto& e : entries) all = all && ends_with_npy(e.first);
  if (all) return nullptr;
  auto out = std::make_unique<std::vector<std::pair<std::string, std::string>>>(entries);
  for (auto& e : *out)
    if (!ends_with_npy(e.first)) e.first += ".npy";
  return out;
}
// Every .npy member of an opened archive, keyed without ".npy".
std::map<std::string, NpyArray> npz_arrays(const ZipArchive& a) {
  std::map<std::string, NpyArray> out;
  for (const ZipMember& m : a.members) {
    if (!ends_with_npy(m.name)) continue;
    const std::vector<unsigned char> npy = zip_read(a, m);
    out[m.name.substr(0, m.name.size() - 4)] = npy_parse(npy.data(), npy.size(), a.name + ":" + m.name);
  }
  return out;
}
}  // namespace

std::map<std::string, NpyArray> npz_parse(std::vector<unsigned char> bytes, const std::string& name_for_errors) {
  return npz_arrays(zip_open_memory(std::move(bytes), name_for_errors));
}

std::map<std::string, NpyArray> npz_load(const std::string& path) { return npz_arrays(zip_open(path)); }

std::string npz_encode(const std::vector<std::pair<std::string, std::string>>& entries, bool force_zip64) {
  const auto r = renamed(entries);
  return zip_encode(r ? *r : entries, force_zip64);
}

void npz_save(const std::string& path, const std::vector<std::pair<std::string, std::string>>& entries) {
  const auto r = renamed(entries);
  zip_save(path, r ? *r : entries);
}

std::vector<unsigned char> read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder, expected a file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open (missing file or no permission)");
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size < 0) throw Error(path + ": cannot determine the file size (is it a folder?)");
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  f.seekg(0);
  if (size > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), size)) throw Error(path + ": read error");
  return bytes;
}

std::string read_file_text(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::string npy_shape_text(const std::vector<long>& shape) {
  std::string t = "[";
  for (size_t i = 0; i < shape.size(); ++i) t += (i ? ", " : "") + std::to_string(shape[i]);
  return t + "]";
}

NpyArray npy_load_shaped(const std::string& path, const std::string& name, const std::vector<long>& shape,
                         bool floating_only, const std::string& context) {
  if (!file_exists(path))
    throw Error(path + ": missing (expected tensor '" + name + "' of shape " + npy_shape_text(shape) + ")");
  NpyArray a = npy_load(path);
  if (floating_only && (a.dtype.size() < 2 || a.dtype[1] != 'f'))
    throw Error(path + ": dtype " + a.dtype + ", expected a floating-point array (<f4 or <f8)");
  if (a.shape != shape)
    throw Error(path + ": shape " + npy_shape_text(a.shape) + ", expected " + npy_shape_text(shape) + " for '" +
                name + "'" + context);
  return a;
}

void write_file_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(path + ": cannot create (missing folder or no permission?)");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) throw Error(path + ": write failed (disk full?)");
}

}  // namespace rql
