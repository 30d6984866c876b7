// Node-wide device health, shared by every resource's ListAndWatch and written by the health
// monitor. A mark is kept per key: a GPU UUID (the GPU and every device derived from it in every
// resource: replicas, MIG devices) or a MIG device UUID (that MIG device and its replicas).
// A mark holds every cause that applies, each with its own reason and clock, and each cause is
// cleared only by its own rule: NVML answering again clears an outage, never an XID.
// Waiters are woken on every change.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace nvdp::health {

// Why a device is unhealthy; decides whether it may recover. Ordered strongest first, the order
// in which reasons are listed.
enum class HealthCause {
  kLost,         // XID 79 or NVML_ERROR_GPU_IS_LOST: only a restart brings it back
  kUnwatchable,  // its events cannot be watched: only a restart brings it back
  kStartup,      // it failed a query at start: only a restart brings it back
  kXid,          // a critical XID event: recovers after --health-recovery-period, if set
  kHung,         // an NVML call for it did not return in time: recovers like kXid
  kNvmlDown,     // NVML answered for no GPU at all: this cause clears as soon as it answers
};
std::string_view HealthCauseName(HealthCause cause);  // "xid", "hung", "lost", ...
// Whether --health-recovery-period applies (kXid, kHung).
bool MayRecover(HealthCause cause);

struct CauseMark {
  std::string reason;  // e.g. "XID 48": the event that set it (renewals keep it)
  std::chrono::steady_clock::time_point last_event;
};

struct HealthMark {
  std::map<HealthCause, CauseMark> causes;  // never empty in a registry
  bool Has(HealthCause cause) const { return causes.count(cause) != 0; }
  // Every cause's reason, strongest first, e.g. "XID 48; NVML answers for no GPU (UNKNOWN)".
  std::string Reason() const;
};

class HealthRegistry {
 public:
  // Cause clocks (and recovery) follow `clock`, which must outlive the registry.
  explicit HealthRegistry(const Clock& clock = SteadyClock()) : clock_(clock) {}
  const Clock& clock() const { return clock_; }

  // Adds `cause` to the key's mark, or renews it (restarting its recovery clock). Returns true
  // when the cause is new for the key.
  bool MarkUnhealthy(const std::string& key, HealthCause cause, const std::string& reason);
  // Removes one cause. Returns true when that made the key healthy.
  bool Clear(const std::string& key, HealthCause cause);
  // Removes `cause` only if no event renewed it since `last_event` (a Marks() snapshot's).
  // Returns true when the cause was removed.
  bool Recover(const std::string& key, HealthCause cause,
               std::chrono::steady_clock::time_point last_event);
  // Removes every cause (tests and tools). Returns true when the key was marked.
  bool MarkHealthy(const std::string& key);

  // A device is healthy when neither its GPU nor (for a MIG device) its own UUID is marked.
  bool IsHealthy(std::string_view gpu_uuid, std::string_view mig_uuid = {}) const;
  // Why a device is unhealthy ("" when healthy): the GPU's reasons, then the MIG device's.
  std::string Reason(std::string_view gpu_uuid, std::string_view mig_uuid = {}) const;
  std::map<std::string, HealthMark, std::less<>> Marks() const;

  // Increases on every change; ListAndWatch compares it with what it last sent.
  uint64_t version() const;
  // Returns when version() != seen, after Wake(), or after `timeout`.
  void WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const;
  // Wakes every waiter (used when servers stop).
  void Wake() const;

 private:
  void ChangedLocked() { ++version_; }

  const Clock& clock_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, HealthMark, std::less<>> marks_;
  uint64_t version_ = 0;
  mutable uint64_t wakes_ = 0;
};

}  // namespace nvdp::health
