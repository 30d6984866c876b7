// gpu-kubelet-plugin's record of prepared claims, <plugins dir>/gpu.nvidia.com/checkpoint.json.
// The file is an envelope {"kind", "version", "checksum", "data"} whose `data` is the payload
// JSON as a string, and `checksum` is FNV-1a 64 over exactly those bytes: a later release can
// add fields without breaking the checksum (the anchor checksums re-marshalled structs, so a new
// field made old files "corrupt"), and unknown fields are ignored on read. Pure, except Load and
// Save.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvdp::dra {

inline constexpr int kCheckpointVersion = 1;

enum class ClaimState { kPrepareStarted, kPrepareCompleted };

struct PreparedDevice {
  std::vector<std::string> requests;
  std::string pool;
  std::string device;
  std::string share_id;
  std::vector<std::string> cdi_device_ids;
  bool operator==(const PreparedDevice&) const = default;
};

// The MPS control daemon of a claim: what it was started with, to start it again after a restart.
struct MpsDaemonState {
  std::vector<std::string> uuids;                        // the GPUs it serves, in claim order
  std::map<std::string, unsigned long long> pinned_mib;  // by UUID
  std::optional<int> active_thread_percentage;
  bool operator==(const MpsDaemonState&) const = default;
};

// What a claim's sharing configuration changed on the node, for unprepare to undo.
struct ClaimSharingState {
  std::map<std::string, int> timeslices;  // GPU UUID -> the timeslice set on it
  std::optional<MpsDaemonState> mps;
  bool empty() const { return timeslices.empty() && !mps; }
  bool operator==(const ClaimSharingState&) const = default;
};

struct PreparedClaim {
  std::string uid, ns, name;  // ns and name are empty for a claim rebuilt from its CDI spec
  ClaimState state = ClaimState::kPrepareStarted;
  std::vector<PreparedDevice> devices;
  ClaimSharingState sharing;
  bool operator==(const PreparedClaim&) const = default;
};

struct Checkpoint {
  std::string boot_id;
  std::map<std::string, PreparedClaim> claims;  // by UID
  bool operator==(const Checkpoint&) const = default;
};

std::string SerializeCheckpoint(const Checkpoint& checkpoint);

struct CheckpointLoad {
  enum class Status { kMissing, kLoaded, kCorrupt };
  Status status = Status::kMissing;
  Checkpoint checkpoint;
  std::string problem;  // kCorrupt: what is wrong, for the log
};

// Never throws: anything but a valid file of a known version is kCorrupt with the reason.
CheckpointLoad ParseCheckpoint(std::string_view bytes);
// kMissing when the file does not exist; an unreadable file is kCorrupt.
CheckpointLoad LoadCheckpoint(const std::string& path);
// Crash-consistent (common/fs.h WriteFileAtomically). Throws FsError.
void SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint);

unsigned long long Fnv1a64(std::string_view bytes);

}  // namespace nvdp::dra
