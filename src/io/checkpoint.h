// checkpoint.h: crash-safe, versioned checkpoints of a whole agent, and the
// export/import of its parameters as golden-named .npy files (docs/spec.md §8).
//
// A checkpoint holds everything a resumed run needs besides the dataset
// (train.h): the config (config_to_text), the four networks, the four Adam
// moment blocks, the step count and the three RNG streams (batch, update,
// eval). Training N/2 steps, saving, loading and training N/2 more gives
// bit-for-bit the parameters, moments, step and RNG states of N steps
// straight. The byte layout, the versioning policy and the atomic-write
// protocol: docs/checkpoints.md.
//
//   file     = header (64 bytes) + payload
//   header   = magic "RQLCKPT\0", version, header size, scalar bytes (4 or 8),
//              payload size, CRC-32 of the payload, CRC-32 of the header
//   payload  = 10 sections in a fixed order, each a 16-byte NUL-padded name,
//              a u64 body size, the body, zero padding to a multiple of 8:
//              config, state, actor, value, target_actor, target_value,
//              adam.actor.m, adam.actor.v, adam.value.m, adam.value.v
// Every integer and float is little-endian whatever the host. Tensors are
// stored as the `real` of the build that wrote them (the header says which)
// and converted on load.
//
// Checksum: CRC-32 (inflate.h, the ZIP polynomial), over the payload and,
// separately, over the header.
//
// Loading verifies magic, version, header checksum, file size and payload
// checksum before it parses anything, then every section name and size
// against the config the file holds -- from the section heads, in 64-bit
// arithmetic, before the agent is allocated -- and every stored value for
// being finite; any failure is an rql::Error naming the file and what was
// wrong. A load returns a new Agent, so a failed load
// changes nothing.
//
// Saving writes `path.tmp.<pid>`, fsyncs it, renames it over `path` and
// fsyncs the folder: a crash at any moment leaves either the previous
// checkpoint or the new one at `path`, never a partial file (a partial
// `path.tmp.<pid>` may remain; it is never read).
//
// Not here: the dataset (a checkpoint names no dataset; the caller supplies
// the same one on resume), evaluation history, concurrent saves of one path
// from two threads of one process (they would share the temporary name).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/rql.h"

namespace rql {

// Version 1: the 10 sections above. Version 2: the same 10, then an 11th,
// `run` (CheckpointSaveOptions::run_text). A save writes version 2 only when
// it has run text, so files without it stay readable by version-1 builds.
constexpr uint32_t kCheckpointVersion = 2;    // the newest version this build reads and writes
constexpr uint32_t kCheckpointOldestVersion = 1;  // the oldest it reads
constexpr int kCheckpointHeaderBytes = 64;

struct CheckpointSaveOptions {
  // Bytes per stored tensor element: 4 (float32) or 8 (float64). Default:
  // the build's `real`, which makes save -> load exact.
  int scalar_bytes = static_cast<int>(sizeof(real));
  // Test hook (crash simulation): when set, called once with the temporary
  // file holding exactly `hook_after_bytes` bytes, flushed to the OS (or,
  // if hook_after_bytes >= the file size, with the complete and fsynced
  // temporary file just before the rename). No global state: the hook
  // travels with the call.
  long hook_after_bytes = -1;
  std::function<void()> hook;
  // What the agent was trained for, as "key=value\n" lines (`rql train`
  // writes env=, task=, dataset=): stored as the `run` section of a
  // version-2 file. Empty: a version-1 file without it. At most 64 KiB, no NUL.
  std::string run_text;
};

// Atomically replace `path` with a checkpoint of `agent`. Throws rql::Error
// naming the path (the temporary file is removed; `path` is untouched).
void checkpoint_save(const Agent& agent, const std::string& path);
void checkpoint_save(const Agent& agent, const std::string& path, const CheckpointSaveOptions& options);

// One payload section as found in a file.
struct CheckpointSection {
  std::string name;
  uint64_t offset = 0;   // of the body, from the start of the file
  uint64_t size = 0;     // body bytes (without padding)
};

// What a checkpoint says about itself (`rql checkpoint info`).
struct CheckpointInfo {
  uint32_t version = 0;
  int scalar_bytes = 0;       // 4 float32, 8 float64
  uint64_t file_size = 0;
  uint64_t payload_size = 0;
  uint32_t payload_crc = 0;   // verified
  std::vector<CheckpointSection> sections;
  std::string config_text;
  std::string run_text;       // the `run` section (version 2); empty in version 1
  long step = 0;
};

// Load and fully validate a checkpoint: agent_init(config) and then every
// block and state overwritten from the file. Throws rql::Error naming the
// file: cannot open, not a checkpoint (bad magic), unsupported version,
// corrupt header, truncated or trailing bytes, checksum mismatch, bad
// config, section of the wrong name or size. `info`, if given, is filled.
Agent checkpoint_load(const std::string& path, CheckpointInfo* info = nullptr);

// ---- Parameters as .npy files with the golden names of docs/spec.md §8 ----

// Write `dir`/<net>.<tensor>.npy for the four nets (agent_net_name,
// mlp_tensor names: "actor.dense0.kernel.npy", "value.ln0.scale.npy" with
// the K axis, ...) as <f4 (the docs/spec.md §8 exchange dtype; a double build rounds
// to float32), and `dir`/config.txt (config_to_text). Creates `dir` if
// needed. Adam moments, step and RNG states are not exported.
void checkpoint_export_npy(const Agent& agent, const std::string& dir);

// Overwrite the four nets of `agent` from `dir`/<net>.<tensor>.npy. Every
// file must exist, hold a floating-point dtype (f2, f4, f8; converted to
// `real`) and have exactly the tensor's shape under agent.cfg; otherwise an
// rql::Error names the file and the expected shape. On error `agent` is
// unchanged. (golden_load reads the parameters of a case the same way.)
void checkpoint_import_params(Agent& agent, const std::string& dir);

// A fresh agent for `cfg` (agent_init: step 0, zero Adam moments, RNG
// streams from cfg.seed) with the parameters of `dir`.
Agent checkpoint_import_npy(const std::string& dir, const RqlConfig& cfg);

}  // namespace rql
