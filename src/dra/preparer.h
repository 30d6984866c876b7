// Prepares and unprepares claims on this node: reads each claim from the API server, checks its
// devices, writes its CDI spec and records it in the checkpoint, in an order that a crash at any
// point leaves repairable (docs/dra.md, "The checkpoint"). Claims are locked one by one, so calls
// for different claims run in parallel; only the checkpoint file write is serialized.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dra/checkpoint.h"
#include "dra/claim.h"
#include "dra/claim_cdi.h"
#include "dra/devices.h"

namespace nvdp::kube {
class Api;
}
namespace nvdp::health {
class HealthRegistry;
}

namespace nvdp::dra {

class SharingControl;

struct PreparerConfig {
  std::string node_name;  // the pool
  std::string checkpoint_path;
  std::string boot_id;
};

class Preparer {
 public:
  // `health`: the health monitor's marks, checked before a device is prepared; null: only what
  // discovery found at start counts. `sharing`: applies claims' sharing configurations; null:
  // a claim asking for time-slicing or MPS fails.
  Preparer(PreparerConfig config, std::vector<Device> devices, ClaimSpecs specs, kube::Api& api,
           const health::HealthRegistry* health = nullptr, SharingControl* sharing = nullptr);

  // Loads the checkpoint. One that is unreadable, corrupt, of an unknown version or of another
  // boot is moved aside (logged) and the prepared claims are rebuilt from the CDI specs on disk;
  // the API server fills in their names at the next Reconcile. MPS daemons of prepared claims
  // that do not answer are started again. Never throws.
  void Restore();

  struct Outcome {
    std::vector<PreparedDevice> devices;
    std::string error;  // non-empty: this claim failed
  };
  Outcome Prepare(const ClaimRef& claim);
  // "" on success (also for a claim that is not prepared), else the error.
  std::string Unprepare(const ClaimRef& claim);

  // Unprepares prepared claims that no longer exist in the API server (deleted, or created again
  // with another UID): each named claim is read by itself; claims rebuilt without their names take
  // one list of all claims. Returns how many; throws what the API calls throw (but 404).
  int Reconcile();

  std::size_t PreparedClaims() const;
  std::size_t ClaimLocks() const;  // per-claim locks held in memory (tests)
  Checkpoint Snapshot() const;
  const std::vector<Device>& devices() const { return devices_; }

 private:
  std::shared_ptr<std::mutex> ClaimLock(const std::string& uid);
  const Device* FindDevice(const std::string& name) const;
  // The claim holding a device that conflicts with `device` (the same one, or its GPU as a
  // whole), other than `uid`; "" when none. Caller holds mutex_.
  std::string ConflictingClaim(const Device& device, const std::string& uid) const;
  // Makes the state as of this call durable in the checkpoint file; throws FsError.
  void Save();
  Outcome PrepareLocked(const ClaimRef& claim);
  std::string UnprepareLocked(const ClaimRef& claim);
  void ForgetIdleLock(const std::string& uid);
  // Sets what `state` asks on the node; "" or the error (what was set is undone).
  std::string ApplySharing(const std::string& uid, const ClaimSharingState& state);
  // Best effort: resets timeslices, stops the MPS daemon; failures are logged.
  void UndoSharing(const std::string& uid, const ClaimSharingState& state);

  PreparerConfig config_;
  std::vector<Device> devices_;
  ClaimSpecs specs_;
  kube::Api& api_;
  const health::HealthRegistry* health_;
  SharingControl* sharing_;

  mutable std::mutex mutex_;  // checkpoint_ and claim_locks_; never held across I/O
  Checkpoint checkpoint_;
  std::map<std::string, std::shared_ptr<std::mutex>> claim_locks_;
  unsigned long long changes_ = 0;  // under mutex_: Save() calls so far
  std::mutex save_mutex_;           // one checkpoint write at a time, each of the latest state
  unsigned long long written_ = 0;  // under save_mutex_: the changes the file holds
};

// NVDP_DRA_CRASH_AT=<step>: the process _exits at that step (tests of crash consistency). Steps:
// prepare-started, prepare-sharing-applied, prepare-cdi-written, prepare-completed,
// unprepare-sharing-undone, unprepare-cdi-removed, unprepare-completed.
void CrashPoint(const char* step);

}  // namespace nvdp::dra
