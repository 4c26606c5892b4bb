// fuzz_seeds.cpp: writes the seed corpus of every fuzz harness, deterministically,
// from the repository's data (no large binaries are committed):
//
//   rql_fuzz_seeds SOURCE_DIR OUT_DIR   ->  OUT_DIR/<harness>/<seed files>
//
//   inflate     the raw DEFLATE streams inside data/fixtures/compressed.npz,
//               each prefixed with the 2-byte output capacity of target_inflate
//   npy         data/fixtures/*.npy and data/fixtures/dataset_folder/*.npy
//   npz         data/fixtures/*.npz
//   dataset     data/fixtures/*.npz, and a 6-transition dataset saved here
//   checkpoint  checkpoints of two tiny agents (float32 storage, version 1;
//               float64 storage with a `run` section, version 2)
//   config      every data/golden/*/config.txt, and config_to_text of a default
//   golden      the input files of each golden case, packed (golden_pack)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "fuzz_targets.h"

namespace fs = std::filesystem;
using namespace rql;

namespace {

void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  write_file_bytes((dir / name).string(), bytes);
}

std::string slurp(const fs::path& p) {
  const std::vector<unsigned char> b = read_file_bytes(p.string());
  return std::string(b.begin(), b.end());
}

std::vector<fs::path> sorted_files(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ext) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

void seed_inflate(const fs::path& src, const fs::path& out) {
  const std::string zip = slurp(src / "data/fixtures/compressed.npz");
  const ZipArchive a = zip_open(( src / "data/fixtures/compressed.npz").string());
  int k = 0;
  for (const ZipMember& m : a.members) {
    if (m.method != 8) continue;
    const auto* h = reinterpret_cast<const unsigned char*>(zip.data() + m.header_offset);
    const size_t data_off = m.header_offset + 30 + (h[26] | (h[27] << 8)) + (h[28] | (h[29] << 8));
    const size_t cap16 = std::min<size_t>((m.size + 15) / 16, 0xFFFF);
    std::string s;
    s.push_back(static_cast<char>(cap16 & 0xFF));
    s.push_back(static_cast<char>(cap16 >> 8));
    s += zip.substr(data_off, m.compressed_size);
    put(out, "member" + std::to_string(k++), s);
  }
  // A stored block "hi" and an empty fixed-Huffman block, by hand.
  put(out, "stored", std::string("\x01\x00\x01\x02\x00\xfd\xff" "hi", 9));
  put(out, "fixed_empty", std::string("\x01\x00\x03\x00", 4));
}

void seed_files(const fs::path& dir, const std::string& ext, const fs::path& out, const std::string& prefix) {
  for (const fs::path& p : sorted_files(dir, ext)) put(out, prefix + p.filename().string(), slurp(p));
}

void seed_dataset(const fs::path& src, const fs::path& out, const fs::path& tmp) {
  seed_files(src / "data/fixtures", ".npz", out, "");
  Dataset d;
  d.n = 6;
  d.obs_dim = 2;
  d.action_dim = 1;
  for (long i = 0; i < d.n; ++i) {
    d.observations.push_back(static_cast<real>(i));
    d.observations.push_back(static_cast<real>(-i));
    d.actions.push_back(static_cast<real>(0.5));
    d.rewards.push_back(static_cast<real>(i % 2));
    d.terminals.push_back(i == 2 || i == 5 ? 1 : 0);
    d.masks.push_back(i == 5 ? 0 : 1);
  }
  const std::string path = (tmp / "tiny.npz").string();
  dataset_save(d, path);
  put(out, "tiny.npz", slurp(path));
}

RqlConfig tiny_config(bool ln) {
  RqlConfig c;
  c.obs_dim = 2;
  c.action_dim = 1;
  c.h = 2;
  c.ensemble_ct = 2;
  c.batch_size = 2;
  c.actor_hidden_dims = {4};
  c.value_hidden_dims = {3, 3};
  c.layer_norm = ln;
  c.actor_layer_norm = !ln;
  c.seed = 7;
  return c;
}

void seed_checkpoint(const fs::path& out, const fs::path& tmp) {
  for (int v = 0; v < 2; ++v) {
    Agent a;
    const std::string err = agent_init(a, tiny_config(v == 0));
    if (!err.empty()) throw Error("fuzz seeds: " + err);
    a.step = 3 + v;
    CheckpointSaveOptions opt;
    opt.scalar_bytes = v == 0 ? 4 : 8;
    if (v == 1) opt.run_text = "env=bandit\ntask=1\n";  // a version-2 file with the `run` section
    const std::string path = (tmp / "seed.ckpt").string();
    checkpoint_save(a, path, opt);
    put(out, v == 0 ? "tiny_f32.ckpt" : "tiny_f64.ckpt", slurp(path));
  }
}

void seed_config(const fs::path& src, const fs::path& out) {
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(src / "data/golden"))
    if (e.is_directory()) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  for (const fs::path& c : cases) put(out, c.filename().string() + ".txt", slurp(c / "config.txt"));
  put(out, "tiny.txt", config_to_text(tiny_config(true)));
}

void seed_golden(const fs::path& src, const fs::path& out) {
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(src / "data/golden"))
    if (e.is_directory()) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  for (const fs::path& c : cases) {
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& e : fs::directory_iterator(c)) {
      const std::string name = e.path().filename().string();
      const bool input = name == "config.txt" ||
                         (e.path().extension() == ".npy" && name.rfind("out.", 0) != 0 &&
                          name.rfind("grad.", 0) != 0 && name.rfind("after.", 0) != 0);
      if (input) files.emplace_back(name, slurp(e.path()));
    }
    std::sort(files.begin(), files.end());
    const std::vector<uint8_t> packed = fuzz::golden_pack(files);
    if (packed.size() > 64 * 1024) continue;  // keep the corpus small and fast
    put(out, c.filename().string(), std::string(packed.begin(), packed.end()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: rql_fuzz_seeds SOURCE_DIR OUT_DIR\n");
    return 2;
  }
  try {
    const fs::path src = argv[1], out = argv[2];
    const fuzz::FuzzTempDir tmp;
    seed_inflate(src, out / "inflate");
    seed_files(src / "data/fixtures", ".npy", out / "npy", "");
    seed_files(src / "data/fixtures/dataset_folder", ".npy", out / "npy", "folder_");
    seed_files(src / "data/fixtures", ".npz", out / "npz", "");
    seed_dataset(src, out / "dataset", tmp.path());
    seed_checkpoint(out / "checkpoint", tmp.path());
    seed_config(src, out / "config");
    seed_golden(src, out / "golden");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rql_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
