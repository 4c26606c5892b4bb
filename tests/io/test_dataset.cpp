// test_dataset.cpp: dataset loading, validation, preprocessing (src/dataset.h)
// and the docs/spec.md §3 batch sampler; the `rql dataset info` command.
//
// The hand-built datasets store their own index in every field:
//   observations[i] = (i, 100 + i), actions[i] = -i, rewards[i] = 1000 + i,
// so a batch tells which transition each slot came from, and every expected
// value follows from docs/spec.md §3: slot [k, b] holds transition
// min(t0_b + k, terminal of t0_b's episode), t0_b = observations[0, b, 0].
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "support/alloc_counter.h"
#include "support/error_capture.h"
#include "io/dataset.h"
#include "io/error.h"
#include "io/npy.h"

namespace {

namespace fs = std::filesystem;
using rql::Batch;
using rql::BatchSampler;
using rql::Dataset;
using rql::real;

const std::string kFixtures = std::string(RQL_SOURCE_DIR) + "/data/fixtures";

// Episodes of the given lengths, every field holding its own index (above);
// masks[i] = i % 2.
BatchSampler make_sampler(const Dataset& d) {
  BatchSampler s;
  const std::string err = rql::batch_sampler_make(s, d);
  EXPECT_EQ(err, "");
  return s;
}

Dataset make_dataset(const std::vector<long>& lengths) {
  Dataset d;
  d.obs_dim = 2;
  d.action_dim = 1;
  long i = 0;
  for (long len : lengths) {
    for (long t = 0; t < len; ++t, ++i) {
      d.observations.push_back(static_cast<real>(i));
      d.observations.push_back(static_cast<real>(100 + i));
      d.actions.push_back(static_cast<real>(-i));
      d.rewards.push_back(static_cast<real>(1000 + i));
      d.terminals.push_back(t == len - 1 ? real(1) : real(0));
      d.masks.push_back(static_cast<real>(i % 2));
    }
  }
  d.n = i;
  return d;
}

// The episode index of every transition.
std::vector<long> episode_of(const Dataset& d) {
  std::vector<long> e(static_cast<size_t>(d.n));
  long k = 0;
  for (long i = 0; i < d.n; ++i) {
    e[static_cast<size_t>(i)] = k;
    if (d.terminals[static_cast<size_t>(i)] > 0) ++k;
  }
  return e;
}


// Check every slot of a batch against docs/spec.md §3 using the index-valued fields.
// Returns t0 of each row.
std::vector<long> check_batch(const Dataset& d, const Batch& b) {
  const std::vector<rql::Episode> eps = rql::dataset_episodes(d);
  const std::vector<long> ep = episode_of(d);
  const long B = b.batch_size;
  std::vector<long> starts;
  for (long r = 0; r < B; ++r) {
    const long t0 = static_cast<long>(b.observations[static_cast<size_t>(r) * 2]);
    const rql::Episode& e = eps[static_cast<size_t>(ep[static_cast<size_t>(t0)])];
    EXPECT_GE(t0, e.initial);
    EXPECT_LT(t0, e.terminal) << "the last transition of an episode was a start";
    for (long k = 0; k <= b.h; ++k) {
      const long j = std::min(t0 + k, e.terminal);
      const size_t slot = static_cast<size_t>(k * B + r);  // [k, r]
      EXPECT_EQ(b.observations[slot * 2], static_cast<real>(j));
      EXPECT_EQ(b.observations[slot * 2 + 1], static_cast<real>(100 + j));
      EXPECT_EQ(b.actions[slot], static_cast<real>(-j));
      EXPECT_EQ(b.rewards[slot], static_cast<real>(1000 + j));
      EXPECT_EQ(b.terminals[slot], d.terminals[static_cast<size_t>(j)]);
      EXPECT_EQ(b.masks[slot], d.masks[static_cast<size_t>(j)]);
    }
    starts.push_back(t0);
  }
  return starts;
}

// ---- Episodes, preprocessing, round trips ----

TEST(DatasetTest, EpisodesRunFromInitialToTerminalInclusive) {
  const Dataset d = make_dataset({3, 1, 5, 2});
  const std::vector<rql::Episode> e = rql::dataset_episodes(d);
  ASSERT_EQ(e.size(), 4u);
  const long want[4][2] = {{0, 2}, {3, 3}, {4, 8}, {9, 10}};
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(e[k].initial, want[k][0]);
    EXPECT_EQ(e[k].terminal, want[k][1]);
  }
}

TEST(DatasetTest, PreprocessClipsActionsAndSparsifiesRewards) {
  Dataset d = make_dataset({6});
  d.actions = {-2, -1, real(-0.5), real(0.999), 1, 3};
  d.rewards = {0, 2, -3, real(0.5), 0, 1};
  Dataset dense = d;
  rql::dataset_preprocess(dense, false);
  // The bound is 1 - 1e-5 rounded to `real` (np.clip on a float32 array).
  const real hi = static_cast<real>(1.0 - 1e-5);
  const std::vector<real> clipped = {-hi, -hi, real(-0.5), real(0.999), hi, hi};
  EXPECT_EQ(dense.actions, clipped);
  EXPECT_EQ(dense.rewards, d.rewards);  // untouched without --sparse
  rql::dataset_preprocess(d, true);
  EXPECT_EQ(d.actions, clipped);
  const std::vector<real> sparse = {0, -1, -1, -1, 0, -1};  // -1 * (r != 0)
  EXPECT_EQ(d.rewards, sparse);
}

TEST(DatasetTest, SaveAndLoadRoundTripAsNpzAndFolder) {
  const Dataset d = make_dataset({3, 1, 5, 2});
  const fs::path dir = fresh_temp_dir("dataset");
  for (const std::string& path : {(dir / "d.npz").string(), (dir / "folder").string()}) {
    rql::dataset_save(d, path);
    const Dataset e = rql::dataset_load(path);
    EXPECT_EQ(e.n, d.n);
    EXPECT_EQ(e.obs_dim, d.obs_dim);
    EXPECT_EQ(e.action_dim, d.action_dim);
    EXPECT_EQ(e.observations, d.observations);
    EXPECT_EQ(e.actions, d.actions);
    EXPECT_EQ(e.rewards, d.rewards);
    EXPECT_EQ(e.terminals, d.terminals);
    EXPECT_EQ(e.masks, d.masks);
  }
  fs::remove_all(dir);
}

// make_fixtures.py: dataset_arrays(): episodes of 4, 1, 5 transitions,
// observations[i] = (i, 10 + i, -i), actions[i] = ((i - 4) / 4, +-1),
// rewards[i] = (i % 3 == 0), masks[i] = (i != 9).
void expect_fixture_dataset(const Dataset& d) {
  ASSERT_EQ(d.n, 10);
  ASSERT_EQ(d.obs_dim, 3);
  ASSERT_EQ(d.action_dim, 2);
  for (int i = 0; i < 10; ++i) {
    const size_t u = static_cast<size_t>(i);
    EXPECT_EQ(d.observations[u * 3 + 0], static_cast<real>(i));
    EXPECT_EQ(d.observations[u * 3 + 1], static_cast<real>(10 + i));
    EXPECT_EQ(d.observations[u * 3 + 2], static_cast<real>(-i));
    EXPECT_EQ(d.actions[u * 2 + 0], static_cast<real>((i - 4) * 0.25));
    EXPECT_EQ(d.actions[u * 2 + 1], i % 2 == 1 ? real(1) : real(-1));
    EXPECT_EQ(d.rewards[u], i % 3 == 0 ? real(1) : real(0));
    EXPECT_EQ(d.terminals[u], i == 3 || i == 4 || i == 9 ? real(1) : real(0));
    EXPECT_EQ(d.masks[u], i != 9 ? real(1) : real(0));
  }
}

TEST(DatasetTest, LoadsNumpyCompressedNpzIgnoringExtraKeys) {
  // np.savez_compressed with next_observations and qpos besides the five keys.
  expect_fixture_dataset(rql::dataset_load(kFixtures + "/dataset.npz"));
}

TEST(DatasetTest, LoadsFolderOfNpyInMixedDtypes) {
  // >f8 observations, <f8 actions, <i4 rewards, |u1 terminals, |b1 masks.
  expect_fixture_dataset(rql::dataset_load(kFixtures + "/dataset_folder"));
}

// ---- Validation: every message names the file and the key ----

class DatasetValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_temp_dir("dataset_bad");
    good_ = make_dataset({3, 1, 5, 2});  // N = 11
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Write good_ as a folder, then overwrite one key with (shape, values).
  std::string folder_with(const std::string& key, const std::vector<long>& shape, const std::vector<double>& v) {
    const std::string folder = (dir_ / "ds").string();
    rql::dataset_save(good_, folder);
    if (!shape.empty() || !v.empty()) rql::npy_save(folder + "/" + key + ".npy", shape, v.data());
    return folder;
  }
  std::vector<double> column(const std::vector<real>& x) { return std::vector<double>(x.begin(), x.end()); }
  std::string load_error(const std::string& path) {
    return message_of([&] { rql::dataset_load(path); });
  }
  fs::path dir_;
  Dataset good_;
};

TEST_F(DatasetValidationTest, MissingKeyIsNamedWithAHint) {
  const std::string folder = folder_with("", {}, {});
  fs::remove(folder + "/masks.npy");
  std::string msg = load_error(folder);
  EXPECT_NE(msg.find(folder + ": missing key 'masks'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ogbench_to_rql.py"), std::string::npos) << msg;
  // The same in a .npz archive.
  const std::string npz = (dir_ / "no_masks.npz").string();
  const std::vector<float> obs(good_.observations.begin(), good_.observations.end());
  rql::npz_save(npz, {{"observations", rql::npy_encode({11, 2}, obs.data())}});
  msg = load_error(npz);
  EXPECT_NE(msg.find(npz + ": missing key 'actions'"), std::string::npos) << msg;
}

TEST_F(DatasetValidationTest, MismatchedLengthIsNamed) {
  const std::string folder = folder_with("rewards", {10}, std::vector<double>(10, 0.0));
  const std::string msg = load_error(folder);
  EXPECT_NE(msg.find("rewards.npy: key 'rewards' has 10 rows, observations has 11"), std::string::npos) << msg;
}

TEST_F(DatasetValidationTest, WrongRankIsNamedWithAHint) {
  std::string msg = load_error(folder_with("rewards", {11, 1}, column(good_.rewards)));
  EXPECT_NE(msg.find("rewards.npy: key 'rewards' has shape (11, 1), expected (N,) (flatten it"), std::string::npos)
      << msg;
  msg = load_error(folder_with("observations", {22}, column(good_.observations)));
  EXPECT_NE(msg.find("observations.npy: key 'observations' has shape (22,), expected (N, dim)"), std::string::npos)
      << msg;
}

TEST_F(DatasetValidationTest, NonFiniteValuesAreLocated) {
  std::vector<double> obs = column(good_.observations);
  obs[4 * 2 + 1] = std::nan("");
  std::string msg = load_error(folder_with("observations", {11, 2}, obs));
  EXPECT_NE(msg.find("key 'observations' has a non-finite value nan at row 4, column 1"), std::string::npos) << msg;
  std::vector<double> rew = column(good_.rewards);
  rew[7] = -HUGE_VAL;
  msg = load_error(folder_with("rewards", {11}, rew));
  EXPECT_NE(msg.find("key 'rewards' has a non-finite value -inf at row 7"), std::string::npos) << msg;
}

TEST_F(DatasetValidationTest, DoubleBeyondFloatRangeDependsOnTheBuild) {
  // 1e300 as <f8 is finite, but it is inf as float: an error only when `real` is float.
  const std::string folder = folder_with("", {}, {});
  std::vector<double> rew = column(good_.rewards);
  rew[2] = 1e300;
  std::string bytes;
  {
    // Hand-written <f8 file (our writer only writes <f4).
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (11,), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header.push_back('\n');
    bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes.push_back(static_cast<char>(header.size() & 0xFF));
    bytes.push_back(static_cast<char>(header.size() >> 8));
    bytes += header;
    bytes.append(reinterpret_cast<const char*>(rew.data()), rew.size() * 8);  // little-endian host
  }
  rql::write_file_bytes(folder + "/rewards.npy", bytes);
  if (sizeof(real) == 4) {
    const std::string msg = load_error(folder);
    EXPECT_NE(msg.find("key 'rewards' has a non-finite value inf at row 2 (infinite, or beyond the range"),
              std::string::npos)
        << msg;
  } else {
    EXPECT_EQ(rql::dataset_load(folder).rewards[2], 1e300);
  }
}

TEST_F(DatasetValidationTest, TerminalsAndMasksMustBeZeroOrOne) {
  std::vector<double> t = column(good_.terminals);
  t[1] = 0.5;
  std::string msg = load_error(folder_with("terminals", {11}, t));
  EXPECT_NE(msg.find("key 'terminals' = 0.5 at row 1, expected 0 or 1"), std::string::npos) << msg;
  std::vector<double> m = column(good_.masks);
  m[6] = 2;
  msg = load_error(folder_with("masks", {11}, m));
  EXPECT_NE(msg.find("key 'masks' = 2 at row 6, expected 0 or 1"), std::string::npos) << msg;
}

TEST_F(DatasetValidationTest, LastEpisodeWithoutTerminalIsRefused) {
  std::vector<double> t = column(good_.terminals);
  t[10] = 0;
  const std::string msg = load_error(folder_with("terminals", {11}, t));
  EXPECT_NE(msg.find("key 'terminals': the last episode (rows 9 to 10) has no terminal; terminals[10] must be 1"),
            std::string::npos)
      << msg;
}

TEST_F(DatasetValidationTest, EmptyDatasetIsRefused) {
  Dataset empty;
  empty.obs_dim = 2;
  empty.action_dim = 1;
  const std::string folder = (dir_ / "empty").string();
  rql::dataset_save(empty, folder);
  const std::string msg = load_error(folder);
  EXPECT_NE(msg.find("observations.npy: key 'observations' has no rows (N = 0 transitions)"), std::string::npos) << msg;
}

TEST_F(DatasetValidationTest, BadPathsAndCorruptArchivesAreNamed) {
  EXPECT_NE(load_error("/nonexistent/ds.npz").find("/nonexistent/ds.npz: no such file or folder"), std::string::npos);
  EXPECT_NE(load_error(kFixtures + "/f4_le.npy").find("a single .npy file is not a dataset"), std::string::npos);
  std::vector<unsigned char> z = rql::read_file_bytes(kFixtures + "/dataset.npz");
  z.resize(z.size() / 2);
  const std::string cut = (dir_ / "cut.npz").string();
  rql::write_file_bytes(cut, std::string(z.begin(), z.end()));
  EXPECT_NE(load_error(cut).find(cut + ": not a ZIP archive, or truncated"), std::string::npos);
}

TEST_F(DatasetValidationTest, InMemoryDatasetsAreCheckedToo) {
  Dataset d = good_;
  d.rewards.pop_back();
  EXPECT_NE(
      message_of([&] { rql::dataset_validate(d, "mem"); }).find("mem: key 'rewards' holds 10 values, expected 11"),
      std::string::npos);
}

// ---- The batch sampler (docs/spec.md §3) ----

TEST(BatchSamplerTest, KeepsOnlyEpisodesLongerThanOneTransition) {
  const BatchSampler s = make_sampler(make_dataset({3, 1, 5, 2}));
  ASSERT_EQ(s.episodes.size(), 3u);
  EXPECT_EQ(s.episodes[0].initial, 0);
  EXPECT_EQ(s.episodes[1].initial, 4);
  EXPECT_EQ(s.episodes[2].initial, 9);
  BatchSampler none;
  EXPECT_NE(rql::batch_sampler_make(none, make_dataset({1, 1, 1})), "");
}

TEST(BatchSamplerTest, ClampsAtTheEpisodeEnd) {
  // One sampled episode, transitions 1..2 (the first episode has one
  // transition and is never drawn). t0 can only be 1, so with h = 3 every
  // row holds transitions 1, 2, 2, 2: the last stored one repeats.
  const Dataset d = make_dataset({1, 2});
  BatchSampler s = make_sampler(d);
  Batch b;
  rql::batch_alloc(b, 3, 4, d.obs_dim, d.action_dim);
  rql::Rng rng = rql::rng_make(1, rql::kStreamBatch);
  rql::batch_sample(d, s, rng, b);
  const long want[4] = {1, 2, 2, 2};
  for (int k = 0; k <= 3; ++k)
    for (int r = 0; r < 4; ++r) {
      EXPECT_EQ(b.observations[static_cast<size_t>((k * 4 + r) * 2)], static_cast<real>(want[k]));
      EXPECT_EQ(b.terminals[static_cast<size_t>(k * 4 + r)], real(k >= 1 ? 1 : 0));
    }
}

TEST(BatchSamplerTest, EverySlotIsTheClampedTransitionAndNoStartIsTerminal) {
  // h = 6 is longer than every episode but one, so clamping happens often.
  const Dataset d = make_dataset({3, 1, 5, 2, 9, 4});
  BatchSampler s = make_sampler(d);
  Batch b;
  rql::Rng rng = rql::rng_make(2, rql::kStreamBatch);
  for (int B : {3, 5, 16}) {  // without replacement (B < 5 episodes) and with
    rql::batch_alloc(b, 6, B, d.obs_dim, d.action_dim);
    for (int it = 0; it < 200; ++it) {
      rql::batch_sample(d, s, rng, b);
      check_batch(d, b);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(BatchSamplerTest, FollowsTheDocumentedDrawOrder) {
  // Per row: rng_below(E) (with replacement) or a partial Fisher-Yates step
  // rng_below(E - b), then rng_below(terminal - initial) for t0.
  const Dataset d = make_dataset({3, 1, 5, 2, 9, 4});
  BatchSampler s = make_sampler(d);
  const long E = static_cast<long>(s.episodes.size());  // 5
  for (long B : {3L, 5L, 8L}) {
    Batch b;
    rql::batch_alloc(b, 2, static_cast<int>(B), d.obs_dim, d.action_dim);
    rql::Rng rng = rql::rng_make(3, rql::kStreamBatch);
    rql::Rng mirror = rng;
    for (int it = 0; it < 20; ++it) {
      rql::batch_sample(d, s, rng, b);
      std::vector<long> perm(static_cast<size_t>(E));
      std::iota(perm.begin(), perm.end(), 0L);
      for (long r = 0; r < B; ++r) {
        long e;
        if (B >= E) {
          e = static_cast<long>(rql::rng_below(mirror, static_cast<uint64_t>(E)));
        } else {
          const long j = r + static_cast<long>(rql::rng_below(mirror, static_cast<uint64_t>(E - r)));
          std::swap(perm[static_cast<size_t>(r)], perm[static_cast<size_t>(j)]);
          e = perm[static_cast<size_t>(r)];
        }
        const rql::Episode& ep = s.episodes[static_cast<size_t>(e)];
        const long t0 =
            ep.initial + static_cast<long>(rql::rng_below(mirror, static_cast<uint64_t>(ep.terminal - ep.initial)));
        EXPECT_EQ(b.observations[static_cast<size_t>(r) * 2], static_cast<real>(t0)) << "B " << B << " row " << r;
      }
    }
  }
}

TEST(BatchSamplerTest, EpisodesNotTransitionsAreUniform) {
  // Four episodes with 1, 2, 9 and 99 possible starts. B = 8 >= 4 episodes:
  // draws with replacement, so the n = 5000 * 8 = 40000 episode draws are
  // independent with p = 1/4 each. Count ~ Binomial(n, p): mean 10000,
  // sd = sqrt(n p (1 - p)) = sqrt(7500) = 86.6. We allow 5 sd (433), a false
  // alarm probability below 1e-6 per episode. Sampling transitions uniformly
  // instead would give the first episode 1/111 of the draws (~360): 111 sd
  // away.
  const Dataset d = make_dataset({2, 3, 10, 100});
  BatchSampler s = make_sampler(d);
  const std::vector<long> ep = episode_of(d);
  Batch b;
  rql::batch_alloc(b, 1, 8, d.obs_dim, d.action_dim);
  rql::Rng rng = rql::rng_make(4, rql::kStreamBatch);
  std::vector<long> count(4, 0), start_count(static_cast<size_t>(d.n), 0);
  const long n = 5000 * 8;
  for (int it = 0; it < 5000; ++it) {
    rql::batch_sample(d, s, rng, b);
    for (const long t0 : check_batch(d, b)) {
      ++count[static_cast<size_t>(ep[static_cast<size_t>(t0)])];
      ++start_count[static_cast<size_t>(t0)];
    }
  }
  const double sd = std::sqrt(n * 0.25 * 0.75);
  for (int e = 0; e < 4; ++e)
    EXPECT_LE(std::fabs(static_cast<double>(count[static_cast<size_t>(e)]) - n / 4.0), 5 * sd) << "episode " << e;
  // Within the long episode (transitions 15..114, starts 15..113), starts
  // are uniform: each of the 99 has ~ Binomial(count[3], 1/99), sd ~ 10;
  // again 5 sd. The terminal (114) is never a start.
  const double c = static_cast<double>(count[3]) / 99.0, sd_start = std::sqrt(c * (1 - 1 / 99.0));
  for (long t = 15; t < 114; ++t)
    EXPECT_LE(std::fabs(static_cast<double>(start_count[static_cast<size_t>(t)]) - c), 5 * sd_start) << t;
  EXPECT_EQ(start_count[114], 0);
}

TEST(BatchSamplerTest, WithoutReplacementWhenBatchIsSmallerThanEpisodeCount) {
  // 10 episodes, B = 4: a batch never repeats an episode, and each episode
  // is in a batch with probability B / E = 0.4. Over 5000 batches its count
  // is Binomial(5000, 0.4): mean 2000, sd = sqrt(5000 * 0.4 * 0.6) = 34.6;
  // bound 5 sd.
  const Dataset d = make_dataset({2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  BatchSampler s = make_sampler(d);
  const std::vector<long> ep = episode_of(d);
  Batch b;
  rql::batch_alloc(b, 2, 4, d.obs_dim, d.action_dim);
  rql::Rng rng = rql::rng_make(5, rql::kStreamBatch);
  std::vector<long> count(10, 0);
  for (int it = 0; it < 5000; ++it) {
    rql::batch_sample(d, s, rng, b);
    std::vector<long> in_batch;
    for (const long t0 : check_batch(d, b)) in_batch.push_back(ep[static_cast<size_t>(t0)]);
    std::sort(in_batch.begin(), in_batch.end());
    ASSERT_EQ(std::adjacent_find(in_batch.begin(), in_batch.end()), in_batch.end()) << "episode repeated in a batch";
    for (long e : in_batch) ++count[static_cast<size_t>(e)];
  }
  const double sd = std::sqrt(5000 * 0.4 * 0.6);
  for (int e = 0; e < 10; ++e)
    EXPECT_LE(std::fabs(static_cast<double>(count[static_cast<size_t>(e)]) - 2000.0), 5 * sd) << e;
}

TEST(BatchSamplerTest, WithReplacementWhenBatchReachesEpisodeCount) {
  // 3 episodes, B = 3 (docs/spec.md §3: B >= E means with replacement): a batch has
  // three distinct episodes with probability 3!/3^3 = 2/9, so over 1000
  // batches ~778 contain a repeat (sd = sqrt(1000 * 2/9 * 7/9) = 13.1).
  // Without replacement there would be none.
  const Dataset d = make_dataset({4, 4, 4});
  BatchSampler s = make_sampler(d);
  const std::vector<long> ep = episode_of(d);
  Batch b;
  rql::batch_alloc(b, 1, 3, d.obs_dim, d.action_dim);
  rql::Rng rng = rql::rng_make(6, rql::kStreamBatch);
  int with_repeat = 0;
  for (int it = 0; it < 1000; ++it) {
    rql::batch_sample(d, s, rng, b);
    std::vector<long> e;
    for (const long t0 : check_batch(d, b)) e.push_back(ep[static_cast<size_t>(t0)]);
    std::sort(e.begin(), e.end());
    if (std::adjacent_find(e.begin(), e.end()) != e.end()) ++with_repeat;
  }
  EXPECT_NEAR(with_repeat, 1000 * 7.0 / 9.0, 5 * 13.1);
}

TEST(BatchSamplerTest, BatchDependsOnlyOnTheRngState) {
  // The Fisher-Yates scratch is the identity again after every call, so a
  // sampler that has been used and a fresh one give the same batch for the
  // same generator state (what an exact resume needs); and batch_sample
  // reuses the batch's storage.
  const Dataset d = make_dataset({3, 1, 5, 2, 9, 4, 6});
  BatchSampler used = make_sampler(d);
  Batch b1, b2;
  rql::batch_alloc(b1, 3, 4, d.obs_dim, d.action_dim);
  rql::batch_alloc(b2, 3, 4, d.obs_dim, d.action_dim);
  const real* storage = b1.observations.data();
  rql::Rng rng = rql::rng_make(8, rql::kStreamBatch);
  for (int it = 0; it < 50; ++it) rql::batch_sample(d, used, rng, b1);
  std::vector<long> identity(used.perm.size());
  std::iota(identity.begin(), identity.end(), 0L);
  EXPECT_EQ(used.perm, identity);
  BatchSampler fresh = make_sampler(d);
  rql::Rng copy = rng;
  rql::batch_sample(d, used, rng, b1);
  rql::batch_sample(d, fresh, copy, b2);
  EXPECT_EQ(b1.observations, b2.observations);
  EXPECT_EQ(b1.observations.data(), storage);
}

TEST(BatchSamplerTest, SampleAllocatesNothing) {
  // Both regimes: with replacement (B >= E) and the Fisher-Yates path.
  const Dataset d = make_dataset({3, 1, 5, 2, 9, 4, 6});
  BatchSampler s = make_sampler(d);
  Batch small, large;
  rql::batch_alloc(small, 5, 3, d.obs_dim, d.action_dim);
  rql::batch_alloc(large, 5, 256, d.obs_dim, d.action_dim);
  rql::Rng rng = rql::rng_make(10, rql::kStreamBatch);
  const long before = rql_test_allocations();
  for (int it = 0; it < 100; ++it) {
    rql::batch_sample(d, s, rng, small);
    rql::batch_sample(d, s, rng, large);
  }
  EXPECT_EQ(rql_test_allocations() - before, 0);
}

TEST(BatchSamplerTest, SamplesNumpyFixtureDataset) {
  // dataset.npz: episodes 0..3, 4..4, 5..9; only two are drawn, with
  // observations[i][0] = i, so t0 is in {0, 1, 2} or {5, .., 8}.
  const Dataset d = rql::dataset_load(kFixtures + "/dataset.npz");
  BatchSampler s = make_sampler(d);
  ASSERT_EQ(s.episodes.size(), 2u);
  Batch b;
  rql::batch_alloc(b, 5, 64, d.obs_dim, d.action_dim);
  rql::Rng rng = rql::rng_make(9, rql::kStreamBatch);
  rql::batch_sample(d, s, rng, b);
  for (int r = 0; r < 64; ++r) {
    const real t0 = b.observations[static_cast<size_t>(r) * 3];
    EXPECT_TRUE((t0 >= 0 && t0 <= 2) || (t0 >= 5 && t0 <= 8)) << t0;
    const real last = b.observations[static_cast<size_t>(5 * 64 + r) * 3];  // [h, r]
    EXPECT_EQ(last, std::min(t0 + 5, t0 <= 2 ? real(3) : real(9)));
  }
}

// ---- rql dataset info ----

struct CliRun {
  int status;
  std::string out, err;
};

CliRun run_rql(const std::string& args) {
  const fs::path dir = fresh_temp_dir("cli");
  const std::string cmd =
      std::string(RQL_BINARY) + " " + args + " > " + (dir / "out").string() + " 2> " + (dir / "err").string();
  const int rc = std::system(cmd.c_str());
  CliRun r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, "", ""};
  std::ifstream o(dir / "out"), e(dir / "err");
  std::stringstream so, se;
  so << o.rdbuf();
  se << e.rdbuf();
  r.out = so.str();
  r.err = se.str();
  fs::remove_all(dir);
  return r;
}

TEST(DatasetCliTest, InfoPrintsTheSummary) {
  const CliRun r = run_rql("dataset info " + kFixtures + "/dataset.npz");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "transitions 10\nepisodes 3\nsampled_episodes 2\nobs_dim 3\naction_dim 2\n"
            "reward_min 0\nreward_max 1\nmask_zero_rows 1\n");
}

TEST(DatasetCliTest, BadInputExitsOneAndBadUsageTwo) {
  CliRun r = run_rql("dataset info /nonexistent/x.npz");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent/x.npz: no such file or folder"), std::string::npos) << r.err;
  r = run_rql("dataset info " + kFixtures + "/compressed.npz");  // a .npz, but not a dataset
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing key 'observations'"), std::string::npos) << r.err;
  EXPECT_EQ(run_rql("dataset").status, 2);
  EXPECT_EQ(run_rql("dataset info").status, 2);
  EXPECT_EQ(run_rql("dataset info --bogus x").status, 2);
  EXPECT_EQ(run_rql("dataset frobnicate x").status, 2);
  r = run_rql("dataset --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("usage: rql dataset info PATH"), std::string::npos);
}

}  // namespace
