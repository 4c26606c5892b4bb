// test_checkpoint.cpp: checkpoints (checkpoint.h, docs/checkpoints.md).
//   - save -> load is bit-exact for every block and state, and the bytes on
//     disk follow the documented header;
//   - resume is exact: N steps straight == N/2, save, load, N/2 more; and
//     each saved state matters (dropping any one of them changes the result);
//   - every kind of damage (truncation at many lengths, a flipped byte, a
//     wrong version, a foreign file, trailing bytes, sections that do not fit
//     the config) is a clear rql::Error naming the file;
//   - a process killed in the middle of a save (at chosen bytes, via the
//     test hook, and at random moments) leaves the previous checkpoint intact;
//   - export to golden-named .npy files and import back round-trip, and
//     import reads the committed golden cases as golden_load does;
//   - `rql checkpoint` exit codes and output.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/error.h"
#include "io/golden.h"
#include "io/inflate.h"
#include "io/npy.h"
#include "core/train.h"
#include "support/alloc_counter.h"

namespace rql {
namespace {

RqlConfig small_config() {
  RqlConfig c;
  c.obs_dim = 3;
  c.action_dim = 2;
  c.h = 2;
  c.ensemble_ct = 3;
  c.batch_size = 8;
  c.flow_steps = 3;
  c.actor_hidden_dims = {8, 6};
  c.value_hidden_dims = {7, 5};
  c.layer_norm = true;
  c.actor_layer_norm = true;
  c.alpha = 0.5;
  c.rho = 0.5;
  c.expectile = 0.7;
  c.seed = 21;
  return c;
}

// Episodes of the given lengths with random observations, actions and
// rewards; terminals at episode ends; every other episode ends in a true
// termination (mask 0).
Dataset synthetic_dataset(const RqlConfig& c, uint64_t seed) {
  const std::vector<long> lengths = {5, 7, 1, 9, 4, 6, 3};
  Dataset d;
  d.obs_dim = c.obs_dim;
  d.action_dim = c.action_dim;
  for (long L : lengths) d.n += L;
  Rng r = rng_make(seed, kStreamData);
  for (long i = 0; i < d.n * c.obs_dim; ++i) d.observations.push_back(static_cast<real>(rng_normal(r)));
  for (long i = 0; i < d.n * c.action_dim; ++i) d.actions.push_back(static_cast<real>(rng_range(r, -0.99, 0.99)));
  for (size_t e = 0; e < lengths.size(); ++e)
    for (long t = 0; t < lengths[e]; ++t) {
      const bool last = t == lengths[e] - 1;
      d.rewards.push_back(static_cast<real>(rng_range(r, -1, 1)));
      d.terminals.push_back(last ? 1 : 0);
      d.masks.push_back(last && e % 2 == 0 ? 0 : 1);
    }
  dataset_validate(d, "synthetic");
  return d;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "rql_ckpt_" + std::to_string(static_cast<long>(::getpid())) + "_" + name;
}

std::vector<unsigned char> file_bytes(const std::string& path) { return read_file_bytes(path); }
void write_bytes(const std::string& path, const std::vector<unsigned char>& b) {
  write_file_bytes(path, std::string(b.begin(), b.end()));
}

// Trainer from a fresh agent after `steps` training steps.
Trainer trained(int steps) {
  Trainer t;
  const RqlConfig c = small_config();
  EXPECT_EQ(trainer_init(t, c, synthetic_dataset(c, 4)), "");
  for (int i = 0; i < steps; ++i) trainer_step(t);
  return t;
}

bool same_bits(const std::vector<real>& a, const std::vector<real>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), sizeof(real) * a.size()) == 0);
}

bool same_rng(const Rng& a, const Rng& b) {
  return std::memcmp(a.s, b.s, sizeof a.s) == 0 && std::memcmp(&a.spare, &b.spare, sizeof a.spare) == 0 &&
         a.has_spare == b.has_spare;
}

// Every part of a checkpoint, compared bit for bit.
void expect_identical(const Agent& a, const Agent& b) {
  EXPECT_EQ(config_to_text(a.cfg), config_to_text(b.cfg));
  EXPECT_EQ(a.step, b.step);
  EXPECT_TRUE(same_bits(a.actor, b.actor)) << "actor";
  EXPECT_TRUE(same_bits(a.value, b.value)) << "value";
  EXPECT_TRUE(same_bits(a.target_actor, b.target_actor)) << "target_actor";
  EXPECT_TRUE(same_bits(a.target_value, b.target_value)) << "target_value";
  EXPECT_TRUE(same_bits(a.actor_m, b.actor_m)) << "actor_m";
  EXPECT_TRUE(same_bits(a.actor_v, b.actor_v)) << "actor_v";
  EXPECT_TRUE(same_bits(a.value_m, b.value_m)) << "value_m";
  EXPECT_TRUE(same_bits(a.value_v, b.value_v)) << "value_v";
  EXPECT_TRUE(same_rng(a.rng_batch, b.rng_batch)) << "rng_batch";
  EXPECT_TRUE(same_rng(a.rng_update, b.rng_update)) << "rng_update";
  EXPECT_TRUE(same_rng(a.rng_eval, b.rng_eval)) << "rng_eval";
}

bool identical(const Agent& a, const Agent& b) {
  return config_to_text(a.cfg) == config_to_text(b.cfg) && a.step == b.step && same_bits(a.actor, b.actor) &&
         same_bits(a.value, b.value) && same_bits(a.target_actor, b.target_actor) &&
         same_bits(a.target_value, b.target_value) && same_bits(a.actor_m, b.actor_m) &&
         same_bits(a.actor_v, b.actor_v) && same_bits(a.value_m, b.value_m) && same_bits(a.value_v, b.value_v) &&
         same_rng(a.rng_batch, b.rng_batch) && same_rng(a.rng_update, b.rng_update) &&
         same_rng(a.rng_eval, b.rng_eval);
}

// The error message of loading `path`, or "" if it loaded.
std::string load_error(const std::string& path) {
  try {
    checkpoint_load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

uint32_t get_u32(const std::vector<unsigned char>& b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}
void set_u32(std::vector<unsigned char>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<unsigned char>(v >> (8 * i));
}
uint64_t get_u64(const std::vector<unsigned char>& b, size_t at) {
  return get_u32(b, at) | static_cast<uint64_t>(get_u32(b, at + 4)) << 32;
}
// Recompute both checksums after an edit, as a careful forger would.
void fix_checksums(std::vector<unsigned char>& b) {
  set_u32(b, 32, crc32_update(0, b.data() + 64, b.size() - 64));
  set_u32(b, 60, crc32_update(0, b.data(), 60));
}

// An agent with every state away from its initial value: trained, and an
// odd number of normals drawn from the eval stream, so has_spare = 1.
Agent busy_agent() {
  Trainer t = trained(3);
  rng_normal(t.agent.rng_eval);
  EXPECT_EQ(t.agent.rng_eval.has_spare, 1);
  return t.agent;
}

// ---- Round trip and layout ----

TEST(CheckpointTest, SaveLoadRoundTripIsBitExact) {
  const Agent a = busy_agent();
  const std::string path = temp_path("roundtrip.ckpt");
  checkpoint_save(a, path);
  CheckpointInfo info;
  const Agent b = checkpoint_load(path, &info);
  expect_identical(a, b);
  EXPECT_EQ(info.version, 1u);  // no run text: version 1 (checkpoint.h)
  EXPECT_EQ(info.scalar_bytes, static_cast<int>(sizeof(real)));
  EXPECT_EQ(info.step, 3);
  EXPECT_EQ(info.config_text, config_to_text(a.cfg));
  const std::vector<std::string> names = {"config",       "state",        "actor",        "value",
                                          "target_actor", "target_value", "adam.actor.m", "adam.actor.v",
                                          "adam.value.m", "adam.value.v"};
  ASSERT_EQ(info.sections.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(info.sections[i].name, names[i]);
  EXPECT_EQ(info.sections[2].size, a.actor.size() * sizeof(real));
  EXPECT_EQ(info.sections[9].size, a.value_v.size() * sizeof(real));
  std::remove(path.c_str());
}

// The documented table (docs/checkpoints.md), field by field.
// Version 2 (docs/checkpoints.md): run text makes an 11th section `run`
// after the ten of version 1, which are unchanged; it reads back verbatim.
TEST(CheckpointTest, RunTextIsAVersion2Section) {
  const Agent a = busy_agent();
  const std::string p1 = temp_path("run1.ckpt"), p2 = temp_path("run2.ckpt");
  checkpoint_save(a, p1);
  CheckpointSaveOptions opt;
  opt.run_text = "env=pointmaze-medium\ntask=2\n";
  checkpoint_save(a, p2, opt);
  CheckpointInfo info;
  const Agent b = checkpoint_load(p2, &info);
  expect_identical(a, b);
  EXPECT_EQ(info.version, 2u);
  EXPECT_EQ(info.run_text, opt.run_text);
  ASSERT_EQ(info.sections.size(), 11u);
  EXPECT_EQ(info.sections.back().name, "run");
  // The file is the version-1 file with a different version, payload size and
  // CRCs, and 24 + 32 (28 bytes of text padded to 32) bytes appended.
  const std::vector<unsigned char> v1 = file_bytes(p1), v2 = file_bytes(p2);
  ASSERT_EQ(v2.size(), v1.size() + 24 + 32);
  EXPECT_TRUE(std::equal(v1.begin() + 64, v1.end(), v2.begin() + 64));
  CheckpointInfo info1;
  checkpoint_load(p1, &info1);
  EXPECT_EQ(info1.version, 1u);
  EXPECT_EQ(info1.run_text, "");
  opt.run_text = std::string("env=x\0y", 7);
  EXPECT_THROW(checkpoint_save(a, p2, opt), Error);  // NUL refused
  std::remove(p1.c_str());
  std::remove(p2.c_str());
}

TEST(CheckpointTest, BytesFollowTheDocumentedLayout) {
  const Agent a = busy_agent();
  const std::string path = temp_path("layout.ckpt");
  checkpoint_save(a, path);
  const std::vector<unsigned char> b = file_bytes(path);
  std::remove(path.c_str());
  ASSERT_GT(b.size(), 64u);
  EXPECT_EQ(std::memcmp(b.data(), "RQLCKPT\0", 8), 0);
  EXPECT_EQ(get_u32(b, 8), 1u);                                    // version
  EXPECT_EQ(get_u32(b, 12), 64u);                                  // header bytes
  EXPECT_EQ(get_u32(b, 16), sizeof(real));                         // scalar bytes
  EXPECT_EQ(get_u32(b, 20), 0u);                                   // reserved
  EXPECT_EQ(get_u64(b, 24), b.size() - 64);                        // payload bytes
  EXPECT_EQ(get_u32(b, 32), crc32_update(0, b.data() + 64, b.size() - 64));
  for (size_t i = 36; i < 60; ++i) EXPECT_EQ(b[i], 0) << "reserved byte " << i;
  EXPECT_EQ(get_u32(b, 60), crc32_update(0, b.data(), 60));
  // First section: name "config" NUL-padded to 16 bytes, u64 size, the text.
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&b[64])), "config");
  const std::string text = config_to_text(a.cfg);
  EXPECT_EQ(get_u64(b, 80), text.size());
  EXPECT_EQ(std::string(b.begin() + 88, b.begin() + 88 + static_cast<long>(text.size())), text);
  // Second section, after the padding to 8: state, 152 bytes, step first.
  const size_t state = 88 + (text.size() + 7) / 8 * 8;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&b[state])), "state");
  EXPECT_EQ(get_u64(b, state + 16), 152u);
  EXPECT_EQ(get_u64(b, state + 24), 3u);                                // step
  EXPECT_EQ(get_u64(b, state + 32), a.rng_batch.s[0]);                  // rng_batch.s[0]
  EXPECT_EQ(get_u32(b, state + 24 + 8 + 2 * 48 + 40), 1u);              // rng_eval.has_spare
  // Third section: the actor, its first element as stored.
  const size_t actor = state + 24 + 152;
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&b[actor])), "actor");
  real first;
  std::memcpy(&first, &b[actor + 24], sizeof(real));  // little-endian host
  EXPECT_EQ(first, a.actor[0]);
}

// Storing float64 and loading into a float32 build (or the reverse) converts;
// float64 holds every float32 exactly, so a float64 file always loads exactly.
TEST(CheckpointTest, OtherScalarTypeIsConvertedOnLoad) {
  const Agent a = busy_agent();
  const std::string path = temp_path("scalar.ckpt");
  CheckpointSaveOptions opt;
  opt.scalar_bytes = 8;
  checkpoint_save(a, path, opt);
  CheckpointInfo info;
  expect_identical(a, checkpoint_load(path, &info));
  EXPECT_EQ(info.scalar_bytes, 8);

  opt.scalar_bytes = 4;
  checkpoint_save(a, path, opt);
  const Agent b = checkpoint_load(path, &info);
  EXPECT_EQ(info.scalar_bytes, 4);
  std::vector<real> rounded = a.value_v;
  for (real& x : rounded) x = static_cast<real>(static_cast<float>(x));
  EXPECT_TRUE(same_bits(b.value_v, rounded));  // == a.value_v in a float build
  EXPECT_TRUE(same_rng(a.rng_eval, b.rng_eval));  // RNG states never depend on the scalar type
  EXPECT_EQ(a.step, b.step);
  std::remove(path.c_str());
}

// ---- Resume ----

TEST(CheckpointTest, ResumeIsBitExact) {
  const int N = 8;
  const Trainer straight = trained(N);

  Trainer first = trained(N / 2);
  const std::string path = temp_path("resume.ckpt");
  checkpoint_save(first.agent, path);
  Trainer second;
  const RqlConfig c = small_config();
  ASSERT_EQ(trainer_init_with_agent(second, checkpoint_load(path), synthetic_dataset(c, 4)), "");
  std::remove(path.c_str());
  for (int i = 0; i < N / 2; ++i) trainer_step(second);

  EXPECT_EQ(second.agent.step, N);
  expect_identical(straight.agent, second.agent);
  // Not vacuous: training moved the parameters away from their initial values.
  Agent fresh;
  ASSERT_EQ(agent_init(fresh, c), "");
  EXPECT_FALSE(same_bits(fresh.actor, straight.agent.actor));
  EXPECT_FALSE(same_bits(fresh.value, straight.agent.value));
}

// Each piece of state a checkpoint holds changes the continuation: resuming
// without any one of them (moments, step, either training stream) diverges,
// so ResumeIsBitExact would catch a checkpoint that forgot it.
TEST(CheckpointTest, ResumeDependsOnEverySavedState) {
  const int N = 6;
  const Trainer straight = trained(N);
  const RqlConfig c = small_config();
  const std::vector<std::string> drops = {"adam moments", "step", "rng_batch", "rng_update"};
  for (const std::string& drop : drops) {
    Trainer t = trained(N / 2);
    Agent ag = t.agent;
    if (drop == "adam moments") {
      std::fill(ag.actor_m.begin(), ag.actor_m.end(), real(0));
      std::fill(ag.value_v.begin(), ag.value_v.end(), real(0));
    }
    if (drop == "step") ag.step = 0;  // Adam's bias correction restarts
    if (drop == "rng_batch") ag.rng_batch = rng_make(c.seed, kStreamBatch);
    if (drop == "rng_update") ag.rng_update = rng_make(c.seed, kStreamUpdate);
    Trainer resumed;
    ASSERT_EQ(trainer_init_with_agent(resumed, ag, synthetic_dataset(c, 4)), "");
    for (int i = 0; i < N / 2; ++i) trainer_step(resumed);
    EXPECT_FALSE(same_bits(resumed.agent.actor, straight.agent.actor)) << "without " << drop;
  }
}

// ---- Damaged and foreign files ----

TEST(CheckpointTest, TruncatedFileIsRejectedAtEveryLength) {
  const Agent a = busy_agent();
  const std::string good = temp_path("trunc_good.ckpt"), bad = temp_path("trunc_bad.ckpt");
  checkpoint_save(a, good);
  const std::vector<unsigned char> b = file_bytes(good);
  const std::vector<size_t> lengths = {0, 1, 7, 8, 11, 12, 40, 63, 64, 65, 88, 200, b.size() / 2, b.size() - 1};
  for (size_t len : lengths) {
    write_bytes(bad, std::vector<unsigned char>(b.begin(), b.begin() + static_cast<long>(len)));
    const std::string e = load_error(bad);
    EXPECT_TRUE(contains(e, bad)) << len << ": " << e;
    EXPECT_TRUE(contains(e, "truncated")) << len << ": " << e;
  }
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

TEST(CheckpointTest, FlippedPayloadByteIsAChecksumError) {
  const Agent a = busy_agent();
  const std::string path = temp_path("flip.ckpt");
  checkpoint_save(a, path);
  const std::vector<unsigned char> b = file_bytes(path);
  // A section name, the config text, the middle of a tensor, the last byte.
  for (size_t at : {size_t{64}, size_t{90}, b.size() / 2, b.size() - 1}) {
    std::vector<unsigned char> c = b;
    c[at] ^= 0x10;
    write_bytes(path, c);
    const std::string e = load_error(path);
    EXPECT_TRUE(contains(e, path) && contains(e, "checksum mismatch")) << at << ": " << e;
  }
  std::remove(path.c_str());
}

TEST(CheckpointTest, FlippedHeaderByteIsACorruptHeader) {
  const Agent a = busy_agent();
  const std::string path = temp_path("flip_header.ckpt");
  checkpoint_save(a, path);
  const std::vector<unsigned char> b = file_bytes(path);
  for (size_t at : {size_t{16}, size_t{26}, size_t{33}, size_t{45}, size_t{61}}) {
    std::vector<unsigned char> c = b;
    c[at] ^= 0x01;
    write_bytes(path, c);
    const std::string e = load_error(path);
    EXPECT_TRUE(contains(e, path) && contains(e, "corrupt header")) << at << ": " << e;
  }
  std::remove(path.c_str());
}

TEST(CheckpointTest, WrongVersionNamesBothVersions) {
  const Agent a = busy_agent();
  const std::string path = temp_path("version.ckpt");
  checkpoint_save(a, path);
  std::vector<unsigned char> b = file_bytes(path);
  set_u32(b, 8, 3);
  write_bytes(path, b);
  std::string e = load_error(path);
  EXPECT_TRUE(contains(e, path) && contains(e, "version 3") && contains(e, "reads versions 1 and 2") &&
              contains(e, "newer"))
      << e;
  set_u32(b, 8, 0);
  write_bytes(path, b);
  e = load_error(path);
  EXPECT_TRUE(contains(e, "version 0") && contains(e, "reads versions 1 and 2")) << e;
  std::remove(path.c_str());
}

TEST(CheckpointTest, ForeignFileHasBadMagic) {
  const std::string path = temp_path("foreign");
  const float x[2] = {1, 2};
  npy_save(path, {2}, x);  // another format entirely
  std::string e = load_error(path);
  EXPECT_TRUE(contains(e, path) && contains(e, "not an rql checkpoint")) << e;
  write_file_bytes(path, "step=100\nactor=...\n");
  e = load_error(path);
  EXPECT_TRUE(contains(e, "not an rql checkpoint")) << e;
  write_file_bytes(path, "RQLX");  // shorter than the magic, and different
  e = load_error(path);
  EXPECT_TRUE(contains(e, "not an rql checkpoint")) << e;
  std::remove(path.c_str());
  e = load_error(path);
  EXPECT_TRUE(contains(e, path) && contains(e, "cannot open")) << e;
}

TEST(CheckpointTest, TrailingBytesAreRejected) {
  const Agent a = busy_agent();
  const std::string path = temp_path("trailing.ckpt");
  checkpoint_save(a, path);
  std::vector<unsigned char> b = file_bytes(path);
  b.push_back(0);
  write_bytes(path, b);
  const std::string e = load_error(path);
  EXPECT_TRUE(contains(e, path) && contains(e, "1 trailing bytes")) << e;
  std::remove(path.c_str());
}

// A file whose checksums are right but whose config does not fit its
// tensors (edited and re-checksummed): the section is named.
TEST(CheckpointTest, SectionThatDoesNotFitTheConfigIsNamed) {
  const Agent a = busy_agent();
  const std::string path = temp_path("mismatch.ckpt");
  checkpoint_save(a, path);
  std::vector<unsigned char> b = file_bytes(path);
  std::string s(b.begin(), b.end());
  const size_t at = s.find("actor_hidden_dims=8,6");
  ASSERT_NE(at, std::string::npos);
  b[at + std::strlen("actor_hidden_dims=8,")] = '5';  // same length: only the actor changes size
  fix_checksums(b);
  write_bytes(path, b);
  const std::string e = load_error(path);
  EXPECT_TRUE(contains(e, path) && contains(e, "section 'actor'") && contains(e, "the config needs")) << e;

  // An invalid config is reported as such.
  b = file_bytes(path);
  s.assign(b.begin(), b.end());
  b[s.find("batch_size=8") + std::strlen("batch_size=")] = '7';  // odd batch size
  fix_checksums(b);
  write_bytes(path, b);
  EXPECT_TRUE(contains(load_error(path), "batch_size")) << load_error(path);
  std::remove(path.c_str());
}

// The file with its config section replaced by `text` (section size,
// payload size and both checksums fixed up), as a forger would write it.
std::vector<unsigned char> with_config(const std::vector<unsigned char>& b, const std::string& text) {
  const uint64_t old_size = get_u64(b, 64 + 16);
  const size_t rest = 64 + 24 + static_cast<size_t>((old_size + 7) / 8 * 8);
  std::vector<unsigned char> out;
  out.reserve(64 + 24 + text.size() + 8 + (b.size() - rest));  // one allocation (and no GCC 12 -Warray-bounds false positive)
  out.assign(b.begin(), b.begin() + 64 + 24);
  for (int i = 0; i < 8; ++i) out[64 + 16 + i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
  out.insert(out.end(), text.begin(), text.end());
  out.resize(out.size() + (8 - text.size() % 8) % 8, 0);
  out.insert(out.end(), b.begin() + static_cast<long>(rest), b.end());
  const uint64_t payload = out.size() - 64;
  for (int i = 0; i < 8; ++i) out[24 + i] = static_cast<unsigned char>(payload >> (8 * i));
  fix_checksums(out);
  return out;
}

// Issue 11, item 3: a few-KB file whose config claims large networks was
// built (agent_init: every block allocated) before its sections were
// compared with the config. Now the section sizes are checked first: the
// config below needs 2000x2000 value kernels (3 members: 12e6 values, 48 MB
// per block), and the load must be refused with no allocation near that.
TEST(CheckpointTest, ConfigClaimingLargeNetworksIsRefusedBeforeAllocating) {
  const Agent a = busy_agent();
  const std::string path = temp_path("claims_large.ckpt");
  checkpoint_save(a, path);
  RqlConfig big = a.cfg;
  big.value_hidden_dims = {2000, 2000};
  const std::vector<unsigned char> b = with_config(file_bytes(path), config_to_text(big));
  ASSERT_LT(b.size(), 64u * 1024);  // the file stays small
  write_bytes(path, b);
  rql_test_reset_largest_allocation();
  const std::string e = load_error(path);
  const size_t largest = rql_test_largest_allocation();
  EXPECT_TRUE(contains(e, path) && contains(e, "section 'value'") && contains(e, "the config needs")) << e;
  EXPECT_LT(largest, size_t{2} << 20) << "the load allocated " << largest << " bytes at once";
  std::remove(path.c_str());
}

// A config whose sizes overflow 64 bits (h * action_dim * hidden ...) is a
// clear error too, not undefined behaviour or a wrapped-around match.
TEST(CheckpointTest, ConfigWhoseSizesOverflowIsRefused) {
  const Agent a = busy_agent();
  const std::string path = temp_path("overflow.ckpt");
  checkpoint_save(a, path);
  RqlConfig big = a.cfg;
  big.obs_dim = 2000000000;
  big.actor_hidden_dims = std::vector<int>(15, 2000000000);
  write_bytes(path, with_config(file_bytes(path), config_to_text(big)));
  rql_test_reset_largest_allocation();
  const std::string e = load_error(path);
  EXPECT_TRUE(contains(e, path)) << e;
  EXPECT_FALSE(e.empty());
  EXPECT_LT(rql_test_largest_allocation(), size_t{2} << 20);
  std::remove(path.c_str());
}

// Issue 11, item 3: NaN or Inf parameters (or Adam moments) were accepted
// and evaluated. The error names the section, the tensor and the element.
TEST(CheckpointTest, NonFiniteValueIsRefusedNamingTensorAndElement) {
  const Agent a = busy_agent();
  const std::string path = temp_path("nan.ckpt");
  checkpoint_save(a, path);  // float32 storage in a float build, float64 in a double build
  CheckpointInfo info;
  checkpoint_load(path, &info);
  const int sb = info.scalar_bytes;
  const std::vector<unsigned char> good = file_bytes(path);
  struct Case {
    std::string section;
    long element;  // flat index into the block
    double value;
    std::string want;
  };
  // actor: obs 3 + h 2 * action 2 + 1 = 8 inputs, first layer 8x8 kernel
  // (64 values), then 8 bias: element 64 + 3 is dense0.bias element 3.
  // adam.value.v: value dense0.kernel is (K=3, 8, 7), 168 values: element 5
  // is in it.
  const Case cases[] = {{"actor", 67, std::nan(""), "actor.dense0.bias element 3"},
                        {"adam.value.v", 5, HUGE_VAL, "adam.value.v.dense0.kernel element 5"},
                        {"target_value", 0, -HUGE_VAL, "target_value.dense0.kernel element 0"}};
  for (const Case& c : cases) {
    std::vector<unsigned char> b = good;
    uint64_t at = 0;
    for (const CheckpointSection& sec : info.sections)
      if (sec.name == c.section) at = sec.offset + static_cast<uint64_t>(c.element) * sb;
    ASSERT_NE(at, 0u) << c.section;
    if (sb == 4) {
      const float f = static_cast<float>(c.value);
      std::memcpy(&b[at], &f, 4);  // little-endian host (x86, ARM): as stored
    } else {
      std::memcpy(&b[at], &c.value, 8);
    }
    fix_checksums(b);
    write_bytes(path, b);
    const std::string e = load_error(path);
    EXPECT_TRUE(contains(e, path) && contains(e, "section '" + c.section + "'") && contains(e, "non-finite") &&
                contains(e, c.want))
        << e;
  }
  std::remove(path.c_str());
}

// ---- Crash safety ----

// Save `next` over `path` in a child process that is SIGKILLed by the hook
// after `kill_at` bytes of the temporary file. Returns the child's pid.
pid_t save_and_die(const Agent& next, const std::string& path, long kill_at) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    CheckpointSaveOptions opt;
    opt.hook_after_bytes = kill_at;
    opt.hook = [] { ::raise(SIGKILL); };
    try {
      checkpoint_save(next, path, opt);
    } catch (...) {
      ::_exit(4);
    }
    ::_exit(3);  // the hook never fired: the parent reports it
  }
  return pid;
}

long file_size_or_minus_one(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : -1;
}

// Where the child dies, in the temporary file.
enum KillPoint { kKillStart, kKillHeader, kKillConfig, kKillState, kKillMiddle, kKillLastByte, kKillBeforeRename };

class CheckpointCrashTest : public ::testing::TestWithParam<KillPoint> {};

TEST_P(CheckpointCrashTest, KillDuringSaveLeavesPreviousCheckpoint) {
  const Agent before = busy_agent();
  const Agent next = trained(5).agent;
  ASSERT_FALSE(identical(before, next));
  const std::string path = temp_path("crash.ckpt");
  checkpoint_save(before, path);
  CheckpointInfo info;
  checkpoint_load(path, &info);
  const long size = static_cast<long>(info.file_size);
  const long state_body = static_cast<long>(info.sections.at(1).offset);  // same layout for `next`
  const long kill_points[] = {0, 30, 64 + 24 + 10, state_body + 20, size / 2, size - 1, size};
  const long kill_at = kill_points[GetParam()];

  const pid_t pid = save_and_die(next, path, kill_at);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child was not killed by the hook (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";

  // The child died with the temporary file holding exactly kill_at bytes.
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(pid));
  EXPECT_EQ(file_size_or_minus_one(tmp), kill_at);
  // `path` is still the previous checkpoint, bit for bit.
  expect_identical(before, checkpoint_load(path));
  // The partial file itself is refused; the complete one (killed just
  // before the rename) is the new checkpoint: the rename is the commit.
  if (kill_at < size)
    EXPECT_NE(load_error(tmp), "");
  else
    expect_identical(next, checkpoint_load(tmp));
  std::remove(tmp.c_str());
  std::remove(path.c_str());
}

std::string kill_point_name(const ::testing::TestParamInfo<KillPoint>& info) {
  const char* const names[] = {"Start", "Header", "Config", "State", "Middle", "LastByte", "BeforeRename"};
  return names[info.param];
}

INSTANTIATE_TEST_SUITE_P(KillPoints, CheckpointCrashTest,
                         ::testing::Values(kKillStart, kKillHeader, kKillConfig, kKillState, kKillMiddle,
                                           kKillLastByte, kKillBeforeRename),
                         kill_point_name);

// Without a kill the same save replaces the checkpoint and leaves no
// temporary file: the crash test above is not passing because saves do
// nothing.
TEST(CheckpointAtomicTest, CompletedSaveReplacesAndCleansUp) {
  const Agent before = busy_agent();
  const Agent next = trained(5).agent;
  const std::string path = temp_path("replace.ckpt");
  checkpoint_save(before, path);
  int fired = 0;
  CheckpointSaveOptions opt;
  opt.hook_after_bytes = 100;
  opt.hook = [&fired] { ++fired; };
  checkpoint_save(next, path, opt);
  EXPECT_EQ(fired, 1);
  expect_identical(next, checkpoint_load(path));
  EXPECT_EQ(file_size_or_minus_one(path + ".tmp." + std::to_string(static_cast<long>(::getpid()))), -1);
  std::remove(path.c_str());
}

// A child saves two different agents over one path in a loop and is killed
// at an arbitrary moment, several times: the path always loads, as one of
// the two.
TEST(CheckpointAtomicTest, RandomKillsDuringRepeatedSavesAlwaysLeaveAValidCheckpoint) {
  RqlConfig c = small_config();
  c.value_hidden_dims = {96, 96, 96};  // a few hundred kB, so a save takes a while
  c.actor_hidden_dims = {96, 96, 96};
  Agent a, b;
  ASSERT_EQ(agent_init(a, c), "");
  c.seed += 1;
  ASSERT_EQ(agent_init(b, c), "");
  b.cfg.seed = a.cfg.seed;  // same config text; different parameters
  const std::string path = temp_path("loop.ckpt");
  checkpoint_save(a, path);
  int mid_write = 0;
  for (int round = 0; round < 6; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (;;) {
        checkpoint_save(b, path);
        checkpoint_save(a, path);
      }
    }
    ::usleep(static_cast<useconds_t>(2000 + 3700 * round));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(pid));
    if (file_size_or_minus_one(tmp) >= 0) ++mid_write;
    std::remove(tmp.c_str());
    const Agent got = checkpoint_load(path);
    EXPECT_TRUE(identical(got, a) || identical(got, b)) << "round " << round;
  }
  RecordProperty("kills_during_a_write", mid_write);
  std::remove(path.c_str());
}

TEST(CheckpointTest, FailedSaveNamesPathAndLeavesNoTemporary) {
  const Agent a = busy_agent();
  try {
    checkpoint_save(a, "/nonexistent-folder/x.ckpt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "/nonexistent-folder/x.ckpt")) << e.what();
  }
  // The target is a non-empty folder: the rename fails after a complete
  // temporary file was written; the temporary is removed.
  const std::string dir = temp_path("target_is_folder");
  std::filesystem::create_directories(dir + "/inside");
  EXPECT_THROW(checkpoint_save(a, dir), Error);
  EXPECT_EQ(file_size_or_minus_one(dir + ".tmp." + std::to_string(static_cast<long>(::getpid()))), -1);
  std::filesystem::remove_all(dir);
}

// ---- Export / import ----

TEST(CheckpointNpyTest, ExportWritesGoldenNamesAndShapes) {
  const Agent a = busy_agent();
  const std::string dir = temp_path("export_names");
  checkpoint_export_npy(a, dir);
  const long in = 3 + 2 * 2 + 1, K = 3;  // obs_dim + A + 1
  const NpyArray k0 = npy_load(dir + "/actor.dense0.kernel.npy");
  EXPECT_EQ(k0.dtype, "<f4");
  EXPECT_EQ(k0.shape, (std::vector<long>{in, 8}));
  EXPECT_EQ(npy_load(dir + "/actor.ln1.scale.npy").shape, (std::vector<long>{6}));
  EXPECT_EQ(npy_load(dir + "/actor.dense2.bias.npy").shape, (std::vector<long>{4}));  // A = h * adim
  EXPECT_EQ(npy_load(dir + "/value.dense0.kernel.npy").shape, (std::vector<long>{K, in, 7}));
  EXPECT_EQ(npy_load(dir + "/value.ln0.scale.npy").shape, (std::vector<long>{K, 7}));
  EXPECT_EQ(npy_load(dir + "/target_value.dense2.kernel.npy").shape, (std::vector<long>{K, 5, 1}));
  EXPECT_EQ(npy_load(dir + "/target_actor.ln0.bias.npy").shape, (std::vector<long>{8}));
  // Values: the first element of the first kernel of each net.
  EXPECT_EQ(static_cast<float>(k0.data[0]), static_cast<float>(a.actor[0]));
  EXPECT_EQ(static_cast<float>(npy_load(dir + "/target_value.dense0.kernel.npy").data[0]),
            static_cast<float>(a.target_value[0]));
  // Exactly the tensors of the four nets (3 dense + 2 ln each, 2 tensors apiece), and config.txt.
  int npy = 0, other = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    (e.path().extension() == ".npy" ? npy : other) += 1;
  EXPECT_EQ(npy, 4 * (3 + 2) * 2);
  EXPECT_EQ(other, 1);
  const std::vector<unsigned char> cfg = file_bytes(dir + "/config.txt");
  EXPECT_EQ(std::string(cfg.begin(), cfg.end()), config_to_text(a.cfg));
  std::filesystem::remove_all(dir);
}

// Float build: bit-exact. Double build: the export is <f4 (docs/spec.md §8), so the
// import holds each parameter rounded to float32, exactly.
TEST(CheckpointNpyTest, ExportImportRoundTrip) {
  const Agent a = busy_agent();
  const std::string dir = temp_path("export_roundtrip");
  checkpoint_export_npy(a, dir);
  const Agent b = checkpoint_import_npy(dir, a.cfg);
  for (int net = 0; net < kAgentNets; ++net) {
    std::vector<real> want = agent_net_block(a, net);
    for (real& x : want) x = static_cast<real>(static_cast<float>(x));
    EXPECT_TRUE(same_bits(agent_net_block(b, net), want)) << agent_net_name(net);
  }
  // Import starts a fresh optimiser: step 0, zero moments.
  EXPECT_EQ(b.step, 0);
  EXPECT_TRUE(std::all_of(b.actor_v.begin(), b.actor_v.end(), [](real v) { return v == 0; }));
  std::filesystem::remove_all(dir);
}

TEST(CheckpointNpyTest, ImportShapeMismatchNamesFileAndExpectedShape) {
  const Agent a = busy_agent();
  const std::string dir = temp_path("export_mismatch");
  checkpoint_export_npy(a, dir);
  RqlConfig c = a.cfg;
  c.actor_hidden_dims = {8, 5};
  try {
    checkpoint_import_npy(dir, c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), dir + "/actor.dense1.kernel.npy")) << e.what();
    EXPECT_TRUE(contains(e.what(), "shape [8, 6], expected [8, 5]")) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(CheckpointNpyTest, ImportMissingOrNonFloatFileIsNamed) {
  const Agent a = busy_agent();
  const std::string dir = temp_path("export_missing");
  checkpoint_export_npy(a, dir);
  const int32_t ints[4] = {0, 0, 0, 0};
  npy_save_i32(dir + "/actor.dense2.bias.npy", {4}, ints);
  try {
    checkpoint_import_npy(dir, a.cfg);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "actor.dense2.bias.npy: dtype <i4")) << e.what();
  }
  std::remove((dir + "/target_value.dense0.bias.npy").c_str());
  const float zeros[4] = {0, 0, 0, 0};
  npy_save(dir + "/actor.dense2.bias.npy", {4}, zeros);
  try {
    checkpoint_import_npy(dir, a.cfg);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), dir + "/target_value.dense0.bias.npy: missing")) << e.what();
    EXPECT_TRUE(contains(e.what(), "[3, 7]")) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// The last net is bad, the first three were read: the agent still holds
// what it held before.
// Issue 11, item 3: a NaN or Inf in an imported parameter file was taken
// as a parameter. The error names the file and the element.
TEST(CheckpointNpyTest, ImportRefusesNonFiniteValuesNamingFileAndElement) {
  const Agent a = busy_agent();
  const std::string dir = temp_path("import_nan");
  checkpoint_export_npy(a, dir);
  const std::string file = dir + "/value.ln1.bias.npy";  // shape (K=3, 5)
  NpyArray t = npy_load(file);
  t.data[7] = std::nan("");
  npy_save(file, t.shape, t.data.data());
  try {
    checkpoint_import_npy(dir, a.cfg);
    ADD_FAILURE() << "a NaN parameter was imported";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_TRUE(contains(m, file) && contains(m, "non-finite") && contains(m, "element 7")) << m;
  }
  t.data[7] = HUGE_VAL;
  npy_save(file, t.shape, t.data.data());
  EXPECT_THROW(checkpoint_import_npy(dir, a.cfg), Error);
  std::filesystem::remove_all(dir);
}

TEST(CheckpointNpyTest, FailedImportLeavesAgentUnchanged) {
  const Agent a = busy_agent();
  const std::string dir = temp_path("export_partial");
  checkpoint_export_npy(trained(6).agent, dir);
  std::remove((dir + "/target_value.ln1.bias.npy").c_str());
  Agent b = a;
  EXPECT_THROW(checkpoint_import_params(b, dir), Error);
  expect_identical(a, b);
  std::filesystem::remove_all(dir);
}

// The export names ARE the golden names: importing a committed golden case
// gives exactly the parameters golden_load reads.
TEST(CheckpointNpyTest, ImportReadsGoldenCasesLikeGoldenLoad) {
  const std::string root = std::string(RQL_SOURCE_DIR) + "/data/golden";
  int cases = 0;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    if (!std::filesystem::exists(e.path() / "config.txt")) continue;
    const GoldenInputs in = golden_load(e.path().string());
    // Policy and sampler cases hold no full agent (docs/spec.md §8 format extensions).
    if (in.kind == GoldenKind::kPolicy || in.kind == GoldenKind::kSampler) continue;
    const Agent got = checkpoint_import_npy(e.path().string(), in.agent.cfg);
    for (int net = 0; net < kAgentNets; ++net)
      EXPECT_TRUE(same_bits(agent_net_block(got, net), agent_net_block(in.agent, net)))
          << e.path() << " " << agent_net_name(net);
    ++cases;
  }
  EXPECT_GE(cases, 1);
}

// ---- Command line ----

int run(const std::string& args) {
  const std::string cmd = std::string(RQL_BINARY) + " " + args + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string run_output(const std::string& args) {
  std::string out;
  FILE* p = ::popen((std::string(RQL_BINARY) + " " + args + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

TEST(CheckpointCliTest, ExitCodes) {
  EXPECT_EQ(run("checkpoint --help"), 0);
  EXPECT_EQ(run("checkpoint info --help"), 0);
  EXPECT_EQ(run("checkpoint"), 2);
  EXPECT_EQ(run("checkpoint frobnicate x"), 2);
  EXPECT_EQ(run("checkpoint info"), 2);
  EXPECT_EQ(run("checkpoint info a b"), 2);
  EXPECT_EQ(run("checkpoint export a"), 2);
  EXPECT_EQ(run("checkpoint info --color x"), 2);
  EXPECT_EQ(run("checkpoint import --config"), 2);
  EXPECT_EQ(run("checkpoint info /nonexistent/x.ckpt"), 1);
}

TEST(CheckpointCliTest, InfoExportImportRoundTrip) {
  const Agent a = busy_agent();
  const std::string path = temp_path("cli.ckpt"), dir = temp_path("cli_export"), back = temp_path("cli_back.ckpt");
  checkpoint_save(a, path);
  const std::string info = run_output("checkpoint info " + path);
  EXPECT_TRUE(contains(info, "version 1\n")) << info;
  EXPECT_TRUE(contains(info, "step 3\n")) << info;
  EXPECT_TRUE(contains(info, " ok\n")) << info;
  EXPECT_TRUE(contains(info, "section adam.value.v ")) << info;
  EXPECT_TRUE(contains(info, "config actor_hidden_dims=8,6\n")) << info;

  EXPECT_EQ(run("checkpoint export " + path + " " + dir), 0);
  EXPECT_EQ(run("checkpoint import " + dir + " " + back), 0);  // config from dir/config.txt
  EXPECT_EQ(run("checkpoint import --config " + dir + "/config.txt " + dir + " " + back), 0);
  const Agent b = checkpoint_load(back);
  for (int net = 0; net < kAgentNets; ++net) {
    std::vector<real> want = agent_net_block(a, net);
    for (real& x : want) x = static_cast<real>(static_cast<float>(x));
    EXPECT_TRUE(same_bits(agent_net_block(b, net), want)) << agent_net_name(net);
  }

  std::vector<unsigned char> bytes = file_bytes(path);
  bytes[bytes.size() / 2] ^= 1;
  write_bytes(path, bytes);
  EXPECT_EQ(run("checkpoint info " + path), 1);
  EXPECT_EQ(run("checkpoint export " + path + " " + dir), 1);
  std::remove(path.c_str());
  std::remove(back.c_str());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rql
