// dataset.cpp: loading, validating and saving an offline dataset (the
// preprocessing and the batch sampler are core/batch.cpp).
//
// Files: a .npz archive (np.savez or np.savez_compressed) or a folder of .npy
// files, with the keys observations (N, obs_dim), actions (N, action_dim),
// rewards (N), terminals (N), masks (N); other keys are ignored. Any dtype
// npy.h reads is accepted and converted to `real` as it is read (no double
// copy of a large array). docs/data.md lists the validation rules.
//
// Left out: image observations (rank > 2), goal-conditioned keys (OGBench's
// `valids`, goals); the sampler reads only the five keys above.
#include "dataset.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "error.h"
#include "npy.h"
#include "zip.h"

namespace rql {

namespace {

const char* const kKeys[5] = {"observations", "actions", "rewards", "terminals", "masks"};

std::string shape_str(const std::vector<long>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// The .npy bytes of each key, from a folder or an archive.
struct Source {
  std::string path;
  bool folder = false;
  ZipArchive zip;

  std::string where(const std::string& key) const {
    return folder ? (std::filesystem::path(path) / (key + ".npy")).string() : path + ":" + key + ".npy";
  }
  std::vector<unsigned char> bytes(const std::string& key) const {
    const std::string hint =
        " (required keys: observations, actions, rewards, terminals, masks; OGBench's raw files have no rewards "
        "or masks: convert them with tools/ogbench_to_rql.py, which runs OGBench's own single-task relabelling)";
    if (folder) {
      const std::string file = where(key);
      if (!std::filesystem::exists(file)) throw Error(path + ": missing key '" + key + "': no file " + file + hint);
      return read_file_bytes(file);
    }
    const ZipMember* m = zip_find(zip, key + ".npy");
    if (!m) throw Error(path + ": missing key '" + key + "'" + hint);
    return zip_read(zip, *m);
  }
};

// Read `key`, require rank `rank` (and N rows when n >= 0), convert to real.
// Returns the shape.
std::vector<long> load_key(const Source& src, const std::string& key, size_t rank, long n, std::vector<real>& out) {
  const std::vector<unsigned char> bytes = src.bytes(key);
  const std::string where = src.where(key);
  const NpyHeader h = npy_parse_header(bytes.data(), bytes.size(), where);
  if (h.shape.size() != rank) {
    std::string msg = where + ": key '" + key + "' has shape " + shape_str(h.shape) + ", expected " +
                      (rank == 1 ? "(N,)" : "(N, dim)");
    if (rank == 1 && h.shape.size() == 2 && h.shape[1] == 1) msg += " (flatten it: x.reshape(-1))";
    if (rank == 2 && h.shape.size() > 2) msg += " (image observations are not supported; flatten them)";
    throw Error(msg);
  }
  if (n >= 0 && h.shape[0] != n)
    throw Error(where + ": key '" + key + "' has " + std::to_string(h.shape[0]) + " rows, observations has " +
                std::to_string(n) + " (every key needs one row per transition)");
  out.resize(h.count);
  npy_convert(h, bytes.data(), out.data());
  return h.shape;
}

// Index of the first non-finite value of x, or -1.
long first_non_finite(const std::vector<real>& x) {
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) return static_cast<long>(i);
  return -1;
}

std::string num(real v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}

// .npy bytes of a real array, as <f4 (what docs/spec.md §8 exchanges).
std::string encode_real(const std::vector<long>& shape, const std::vector<real>& x) {
#ifdef RQL_DOUBLE
  std::vector<float> f(x.begin(), x.end());
  return npy_encode(shape, f.data());
#else
  return npy_encode(shape, x.data());
#endif
}

}  // namespace

Dataset dataset_load(const std::string& path) {
  Source src;
  src.path = path;
  std::error_code ec;
  src.folder = std::filesystem::is_directory(path, ec);
  if (!src.folder) {
    if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such file or folder");
    if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0)
      throw Error(path + ": a single .npy file is not a dataset; give a .npz archive or a folder of .npy files");
    src.zip = zip_open(path);
  }
  Dataset d;
  const std::vector<long> obs_shape = load_key(src, "observations", 2, -1, d.observations);
  d.n = obs_shape[0];
  if (d.n == 0) throw Error(src.where("observations") + ": key 'observations' has no rows (N = 0 transitions)");
  if (obs_shape[1] > INT32_MAX) throw Error(src.where("observations") + ": obs_dim too large");
  d.obs_dim = static_cast<int>(obs_shape[1]);
  const std::vector<long> act_shape = load_key(src, "actions", 2, d.n, d.actions);
  if (act_shape[1] > INT32_MAX) throw Error(src.where("actions") + ": action_dim too large");
  d.action_dim = static_cast<int>(act_shape[1]);
  load_key(src, "rewards", 1, d.n, d.rewards);
  load_key(src, "terminals", 1, d.n, d.terminals);
  load_key(src, "masks", 1, d.n, d.masks);
  dataset_validate(d, path);
  return d;
}

void dataset_validate(const Dataset& d, const std::string& source) {
  const std::string at = source + ": ";
  if (d.n <= 0) throw Error(at + "no transitions (N = " + std::to_string(d.n) + ")");
  if (d.obs_dim <= 0)
    throw Error(at + "key 'observations': obs_dim is " + std::to_string(d.obs_dim) + ", expected >= 1");
  if (d.action_dim <= 0)
    throw Error(at + "key 'actions': action_dim is " + std::to_string(d.action_dim) + ", expected >= 1");
  const size_t n = static_cast<size_t>(d.n);
  const std::vector<real>* arrays[5] = {&d.observations, &d.actions, &d.rewards, &d.terminals, &d.masks};
  const size_t widths[5] = {static_cast<size_t>(d.obs_dim), static_cast<size_t>(d.action_dim), 1, 1, 1};
  for (int k = 0; k < 5; ++k) {
    if (arrays[k]->size() != n * widths[k])
      throw Error(at + "key '" + kKeys[k] + "' holds " + std::to_string(arrays[k]->size()) + " values, expected " +
                  std::to_string(n * widths[k]) + " (N = " + std::to_string(n) + " rows of " +
                  std::to_string(widths[k]) + ")");
    const long i = first_non_finite(*arrays[k]);
    if (i >= 0) {
      const long row = i / static_cast<long>(widths[k]), col = i % static_cast<long>(widths[k]);
      throw Error(at + "key '" + kKeys[k] + "' has a non-finite value " + num((*arrays[k])[i]) + " at row " +
                  std::to_string(row) + (widths[k] > 1 ? ", column " + std::to_string(col) : "") +
                  (std::isinf((*arrays[k])[i]) ? " (infinite, or beyond the range of `real` after conversion)" : ""));
    }
  }
  for (int k = 3; k < 5; ++k) {
    const std::vector<real>& x = *arrays[k];
    for (size_t i = 0; i < n; ++i)
      if (x[i] != real(0) && x[i] != real(1))
        throw Error(at + "key '" + kKeys[k] + "' = " + num(x[i]) + " at row " + std::to_string(i) +
                    ", expected 0 or 1");
  }
  if (d.terminals[n - 1] != real(1)) {
    size_t start = n - 1;
    while (start > 0 && d.terminals[start - 1] == real(0)) --start;
    throw Error(at + "key 'terminals': the last episode (rows " + std::to_string(start) + " to " +
                std::to_string(n - 1) + ") has no terminal; terminals[" + std::to_string(n - 1) +
                "] must be 1 (truncate the dataset or mark the end)");
  }
}

void dataset_save(const Dataset& d, const std::string& path) {
  const std::vector<long> shapes[5] = {{d.n, d.obs_dim}, {d.n, d.action_dim}, {d.n}, {d.n}, {d.n}};
  const std::vector<real>* arrays[5] = {&d.observations, &d.actions, &d.rewards, &d.terminals, &d.masks};
  const bool npz = path.size() >= 4 && path.compare(path.size() - 4, 4, ".npz") == 0;
  if (npz) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (int k = 0; k < 5; ++k)
      entries.emplace_back(std::string(kKeys[k]) + ".npy", encode_real(shapes[k], *arrays[k]));
    npz_save(path, entries);
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw Error(path + ": cannot create the folder (" + ec.message() + ")");
  for (int k = 0; k < 5; ++k)
    write_file_bytes((std::filesystem::path(path) / (std::string(kKeys[k]) + ".npy")).string(),
                     encode_real(shapes[k], *arrays[k]));
}

}  // namespace rql
