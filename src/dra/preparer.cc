#include "dra/preparer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fs.h"
#include "common/log.h"
#include "dra/sharing.h"
#include "dra/sharing_control.h"
#include "health/health_registry.h"
#include "kube/api.h"

namespace nvdp::dra {
namespace {

std::string DescribeApiFailure(const std::exception& failure) {
  if (const auto* api = dynamic_cast<const kube::ApiError*>(&failure)) {
    return "API server answered " + std::to_string(api->status()) + ": " + api->what();
  }
  return failure.what();
}

std::string Describe(const ClaimRef& claim) {
  return (claim.ns.empty() ? std::string("?") : claim.ns) + "/" +
         (claim.name.empty() ? std::string("?") : claim.name) + " (" + claim.uid + ")";
}

}  // namespace

void CrashPoint(const char* step) {
  static const char* target = std::getenv("NVDP_DRA_CRASH_AT");
  if (target == nullptr || std::string(target) != step) return;
  std::fprintf(stderr, "NVDP_DRA_CRASH_AT=%s: exiting at that step\n", step);
  std::fflush(stderr);
  _exit(99);
}

Preparer::Preparer(PreparerConfig config, std::vector<Device> devices, ClaimSpecs specs,
                   kube::Api& api, const health::HealthRegistry* health, SharingControl* sharing)
    : config_(std::move(config)),
      devices_(std::move(devices)),
      specs_(std::move(specs)),
      api_(api),
      health_(health),
      sharing_(sharing) {}

void Preparer::Restore() {
  CheckpointLoad load = LoadCheckpoint(config_.checkpoint_path);
  bool rebuild = false;
  switch (load.status) {
    case CheckpointLoad::Status::kMissing:
      rebuild = true;  // a first start, or the file was removed: take what the specs say
      break;
    case CheckpointLoad::Status::kCorrupt: {
      const std::string aside =
          config_.checkpoint_path + ".corrupt-" + std::to_string(std::time(nullptr));
      const bool moved = std::rename(config_.checkpoint_path.c_str(), aside.c_str()) == 0;
      LOG_ERROR(
          "The checkpoint {} is unusable ({}); {} and rebuilding the prepared claims from the CDI "
          "specs and the API server",
          config_.checkpoint_path, load.problem,
          moved ? "moved it to " + aside : std::string("could not move it aside"));
      rebuild = true;
      break;
    }
    case CheckpointLoad::Status::kLoaded:
      if (load.checkpoint.boot_id != config_.boot_id) {
        LOG_WARNING(
            "The checkpoint {} is from another boot ({}, now {}); discarding it and rebuilding the "
            "prepared claims from the CDI specs and the API server",
            config_.checkpoint_path, load.checkpoint.boot_id, config_.boot_id);
        rebuild = true;
      }
      break;
  }
  Checkpoint restored;
  restored.boot_id = config_.boot_id;
  if (!rebuild) restored.claims = std::move(load.checkpoint.claims);
  // Specs without an entry: a lost checkpoint, or one from before a reboot (pods still use them).
  for (auto& [uid, names] : specs_.Scan()) {
    if (restored.claims.count(uid)) continue;
    PreparedClaim claim;
    claim.uid = uid;
    claim.state = ClaimState::kPrepareCompleted;
    for (const std::string& name : names) {
      claim.devices.push_back({{}, config_.node_name, name, "", {CdiDeviceId(uid, name)}});
    }
    restored.claims[uid] = std::move(claim);
    LOG_INFO("Rebuilt prepared claim {} from its CDI spec ({} devices)", uid, names.size());
  }
  {
    std::lock_guard lock(mutex_);
    checkpoint_ = std::move(restored);
  }
  LOG_INFO("{} prepared claims after restoring the checkpoint", PreparedClaims());
  try {
    Save();
  } catch (const std::exception& failure) {
    LOG_ERROR("Cannot write the checkpoint: {}", failure.what());
  }
  // The daemons died with the previous process's container; their pods expect them back.
  for (const auto& [uid, claim] : Snapshot().claims) {
    if (!claim.sharing.mps || claim.state != ClaimState::kPrepareCompleted || !sharing_) continue;
    if (sharing_->MpsAnswers(uid)) continue;
    try {
      sharing_->StartMps(uid, *claim.sharing.mps);
      LOG_INFO("Started the MPS control daemon of prepared claim {} again", uid);
    } catch (const std::exception& failure) {
      LOG_ERROR("Cannot start the MPS control daemon of prepared claim {} again: {}", uid,
                failure.what());
    }
  }
}

std::string Preparer::ApplySharing(const std::string& uid, const ClaimSharingState& state) {
  if (state.empty()) return "";  // else sharing_ is set: PrepareLocked checked
  try {
    for (const auto& [gpu_uuid, timeslice] : state.timeslices) {
      sharing_->SetTimeSlice(gpu_uuid, timeslice);
    }
    if (state.mps) sharing_->StartMps(uid, *state.mps);
  } catch (const std::exception& failure) {
    UndoSharing(uid, state);
    return std::string("cannot apply the claim's sharing configuration: ") + failure.what();
  }
  return "";
}

void Preparer::UndoSharing(const std::string& uid, const ClaimSharingState& state) {
  if (state.empty() || sharing_ == nullptr) return;
  if (state.mps) {
    const std::string problem = sharing_->StopMps(uid, *state.mps);
    if (!problem.empty()) LOG_WARNING("Claim {}: {}", uid, problem);
  }
  for (const auto& [gpu_uuid, timeslice] : state.timeslices) {
    if (timeslice == 0) continue;
    try {
      sharing_->SetTimeSlice(gpu_uuid, 0);
    } catch (const std::exception& failure) {
      LOG_WARNING("Claim {}: cannot reset the timeslice of {}: {}", uid, gpu_uuid, failure.what());
    }
  }
}

std::shared_ptr<std::mutex> Preparer::ClaimLock(const std::string& uid) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<std::mutex>& entry = claim_locks_[uid];
  if (!entry) entry = std::make_shared<std::mutex>();
  return entry;
}

const Device* Preparer::FindDevice(const std::string& name) const {
  for (const Device& device : devices_) {
    if (device.name == name) return &device;
  }
  return nullptr;
}

std::string Preparer::ConflictingClaim(const Device& device, const std::string& uid) const {
  for (const auto& [other_uid, claim] : checkpoint_.claims) {
    if (other_uid == uid) continue;
    for (const PreparedDevice& held : claim.devices) {
      if (held.device == device.name) return other_uid;
      const Device* other = FindDevice(held.device);
      if (other && other->gpu_uuid == device.gpu_uuid && (!other->mig || !device.mig)) {
        return other_uid;
      }
    }
  }
  return "";
}

void Preparer::Save() {
  // Group commit: a write whose snapshot was taken after this caller's change covers it, so
  // claims prepared together share checkpoint writes instead of queueing one each.
  unsigned long long mine = 0;
  {
    std::lock_guard lock(mutex_);
    mine = ++changes_;
  }
  std::lock_guard save(save_mutex_);
  if (written_ >= mine) return;
  Checkpoint snapshot;
  unsigned long long covered = 0;
  {
    std::lock_guard lock(mutex_);
    snapshot = checkpoint_;
    covered = changes_;
  }
  SaveCheckpoint(config_.checkpoint_path, snapshot);
  written_ = covered;
}

Checkpoint Preparer::Snapshot() const {
  std::lock_guard lock(mutex_);
  return checkpoint_;
}

std::size_t Preparer::PreparedClaims() const {
  std::lock_guard lock(mutex_);
  return checkpoint_.claims.size();
}

Preparer::Outcome Preparer::Prepare(const ClaimRef& claim) {
  if (std::string invalid = InvalidClaimRef(claim); !invalid.empty()) return {{}, invalid};
  Outcome outcome;
  {
    std::shared_ptr<std::mutex> claim_lock = ClaimLock(claim.uid);
    std::lock_guard hold(*claim_lock);
    outcome = PrepareLocked(claim);
  }
  ForgetIdleLock(claim.uid);
  return outcome;
}

void Preparer::ForgetIdleLock(const std::string& uid) {
  std::lock_guard lock(mutex_);
  auto it = claim_locks_.find(uid);
  // Not prepared and nobody else waiting on it: without this, every claim ever seen would keep
  // an entry for the life of the process.
  if (it != claim_locks_.end() && it->second.use_count() == 1 && !checkpoint_.claims.count(uid)) {
    claim_locks_.erase(it);
  }
}

Preparer::Outcome Preparer::PrepareLocked(const ClaimRef& claim) {
  {
    std::lock_guard lock(mutex_);
    auto it = checkpoint_.claims.find(claim.uid);
    // Prepared, and not rebuilt from its spec (which lacks the request names): the same answer.
    if (it != checkpoint_.claims.end() && it->second.state == ClaimState::kPrepareCompleted &&
        std::none_of(it->second.devices.begin(), it->second.devices.end(),
                     [](const PreparedDevice& d) { return d.requests.empty(); })) {
      return {it->second.devices, ""};
    }
  }
  std::vector<AllocatedDevice> allocated;
  std::vector<ConfigEntry> configs;
  const std::string which = "ResourceClaim " + claim.ns + "/" + claim.name;
  try {
    const nlohmann::json object = api_.Get(ClaimPath(claim.ns, claim.name));
    allocated = AllocatedDevices(object, claim, kDriverName, config_.node_name);
    try {
      configs = ClaimConfigs(object, kDriverName);
    } catch (const ClaimError& error) {
      return {{}, which + ": " + error.what()};
    }
  } catch (const ClaimError& error) {
    return {{}, error.what()};
  } catch (const std::exception& failure) {
    return {{}, "cannot read " + which + ": " + DescribeApiFailure(failure)};
  }
  std::vector<SharedDevice> to_share;
  // One entry per device; a device listed for several requests is prepared once.
  std::vector<PreparedDevice> prepared;
  std::vector<std::pair<std::string, std::string>> spec_devices;  // (name, UUID)
  std::vector<const Device*> resolved;
  for (const AllocatedDevice& result : allocated) {
    const Device* device = FindDevice(result.device);
    if (device == nullptr) {
      return {{},
              "device " + result.device + " of ResourceClaim " + claim.ns + "/" + claim.name +
                  " is not published by node " + config_.node_name};
    }
    if (!device->problem.empty()) {
      return {{}, "device " + device->name + " is unhealthy: " + device->problem};
    }
    if (health_ != nullptr) {
      const std::string mig_uuid = device->mig ? device->uuid : std::string();
      if (!health_->IsHealthy(device->gpu_uuid, mig_uuid)) {
        return {{},
                "device " + device->name +
                    " is unhealthy: " + health_->Reason(device->gpu_uuid, mig_uuid)};
      }
    }
    auto same = std::find_if(prepared.begin(), prepared.end(), [&](const PreparedDevice& p) {
      return p.device == result.device && p.share_id == result.share_id;
    });
    if (same != prepared.end()) {
      same->requests.push_back(result.request);
      continue;
    }
    to_share.push_back({result.request, device});
    prepared.push_back({{result.request},
                        result.pool,
                        result.device,
                        result.share_id,
                        {CdiDeviceId(claim.uid, result.device)}});
    spec_devices.emplace_back(device->name, device->uuid);
    resolved.push_back(device);
  }
  ClaimSharingState sharing;
  try {
    sharing = PlanSharing(configs, to_share);
  } catch (const ClaimError& error) {
    return {{}, which + ": " + error.what()};
  }
  if (!sharing.empty() && sharing_ == nullptr) {
    return {{}, which + " asks for time-slicing or MPS, which this plugin cannot apply"};
  }
  {
    std::lock_guard lock(mutex_);
    for (const Device* device : resolved) {
      const std::string holder = ConflictingClaim(*device, claim.uid);
      if (!holder.empty()) {
        return {{}, "device " + device->name + " is already prepared for claim " + holder};
      }
    }
    checkpoint_.claims[claim.uid] = {claim.uid, claim.ns, claim.name, ClaimState::kPrepareStarted,
                                     prepared,  sharing};
  }
  auto forget = [&](const std::string& why) -> Outcome {
    {
      std::lock_guard lock(mutex_);
      checkpoint_.claims.erase(claim.uid);
    }
    try {
      Save();
    } catch (const std::exception& failure) {
      LOG_ERROR("Cannot write the checkpoint: {}", failure.what());
    }
    return {{}, why};
  };
  try {
    Save();
  } catch (const std::exception& failure) {
    return forget(std::string("cannot write the checkpoint: ") + failure.what());
  }
  CrashPoint("prepare-started");
  if (std::string failure = ApplySharing(claim.uid, sharing); !failure.empty()) {
    return forget(failure);
  }
  CrashPoint("prepare-sharing-applied");
  try {
    const cdi::ContainerEdits extra =
        sharing.mps ? sharing_->MpsEdits(claim.uid) : cdi::ContainerEdits{};
    specs_.Write(claim.uid, specs_.Build(claim.uid, spec_devices, extra));
  } catch (const std::exception& failure) {
    UndoSharing(claim.uid, sharing);
    return forget(std::string("cannot write the claim's CDI spec: ") + failure.what());
  }
  CrashPoint("prepare-cdi-written");
  {
    std::lock_guard lock(mutex_);
    checkpoint_.claims[claim.uid].state = ClaimState::kPrepareCompleted;
  }
  try {
    Save();
  } catch (const std::exception& failure) {
    // The spec is written; the next prepare of this claim completes the record.
    return {{}, std::string("cannot write the checkpoint: ") + failure.what()};
  }
  CrashPoint("prepare-completed");
  LOG_INFO("Prepared claim {}: {} devices", Describe(claim), prepared.size());
  return {prepared, ""};
}

std::string Preparer::Unprepare(const ClaimRef& claim) {
  {
    std::lock_guard lock(mutex_);  // only UIDs it prepared have files to remove
    if (!checkpoint_.claims.count(claim.uid)) return "";
  }
  std::string error;
  {
    std::shared_ptr<std::mutex> claim_lock = ClaimLock(claim.uid);
    std::lock_guard hold(*claim_lock);
    error = UnprepareLocked(claim);
  }
  ForgetIdleLock(claim.uid);
  return error;
}

std::size_t Preparer::ClaimLocks() const {
  std::lock_guard lock(mutex_);
  return claim_locks_.size();
}

std::string Preparer::UnprepareLocked(const ClaimRef& claim) {
  PreparedClaim removed;
  {
    std::lock_guard lock(mutex_);
    auto it = checkpoint_.claims.find(claim.uid);
    if (it == checkpoint_.claims.end()) return "";
    removed = it->second;
  }
  // Best effort: a daemon that cannot be stopped must not keep the pod from terminating.
  UndoSharing(claim.uid, removed.sharing);
  CrashPoint("unprepare-sharing-undone");
  try {
    specs_.Remove(claim.uid);
  } catch (const std::exception& failure) {
    return std::string("cannot remove the claim's CDI spec: ") + failure.what();
  }
  CrashPoint("unprepare-cdi-removed");
  {
    std::lock_guard lock(mutex_);
    checkpoint_.claims.erase(claim.uid);
  }
  try {
    Save();
  } catch (const std::exception& failure) {
    std::lock_guard lock(mutex_);
    checkpoint_.claims[claim.uid] = removed;  // asked again, it tries again
    return std::string("cannot write the checkpoint: ") + failure.what();
  }
  CrashPoint("unprepare-completed");
  LOG_INFO("Unprepared claim {}", Describe({claim.uid, removed.ns, removed.name}));
  return "";
}

int Preparer::Reconcile() {
  // Only claims prepared before the lookups: one prepared since may not be visible yet.
  const Checkpoint before = Snapshot();
  // A claim with a name is read by itself (a node holds a few; listing every claim of the
  // cluster from every node would load the API server). Only claims rebuilt from their spec, whose
  // names are unknown, need the list, once.
  std::map<std::string, ClaimRef> listed;
  const bool unnamed = std::any_of(before.claims.begin(), before.claims.end(),
                                   [](const auto& entry) { return entry.second.name.empty(); });
  if (unnamed) {
    const nlohmann::json list = api_.Get(kAllClaimsPath);
    for (const nlohmann::json& item : list.value("items", nlohmann::json::array())) {
      const nlohmann::json metadata = item.value("metadata", nlohmann::json::object());
      const std::string uid = metadata.value("uid", "");
      if (!uid.empty()) {
        listed[uid] = {uid, metadata.value("namespace", ""), metadata.value("name", "")};
      }
    }
  }
  int unprepared = 0;
  bool named = false;
  for (const auto& [uid, claim] : before.claims) {
    bool exists = true;
    if (claim.name.empty()) {
      auto it = listed.find(uid);
      exists = it != listed.end();
      if (exists) {  // rebuilt from its spec: now its name is known
        std::lock_guard lock(mutex_);
        auto entry = checkpoint_.claims.find(uid);
        if (entry != checkpoint_.claims.end() && entry->second.name.empty()) {
          entry->second.ns = it->second.ns;
          entry->second.name = it->second.name;
          named = true;
        }
      }
    } else {
      try {
        const nlohmann::json object = api_.Get(ClaimPath(claim.ns, claim.name));
        exists = object.value("metadata", nlohmann::json::object()).value("uid", "") == uid;
      } catch (const kube::ApiError& error) {
        if (error.status() != 404) throw;
        exists = false;
      }
    }
    if (exists) continue;
    LOG_INFO("Claim {} no longer exists; unpreparing it", Describe({uid, claim.ns, claim.name}));
    const std::string error = Unprepare({uid, claim.ns, claim.name});
    if (error.empty()) {
      ++unprepared;
    } else {
      LOG_WARNING("Cannot unprepare claim {}: {}", uid, error);
    }
  }
  if (named) Save();
  return unprepared;
}

}  // namespace nvdp::dra
