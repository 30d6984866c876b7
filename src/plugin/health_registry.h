// Node-wide device health, shared by every resource's ListAndWatch and written by the health
// monitor. A mark is kept per key: a GPU UUID (the GPU and every device derived from it in every
// resource: replicas, MIG devices) or a MIG device UUID (that MIG device and its replicas).
// Waiters are woken on every change.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace nvdp::plugin {

// Why a device is unhealthy; decides whether it may recover.
enum class HealthCause {
  kXid,          // a critical XID event: recovers after --health-recovery-period, if set
  kHung,         // an NVML call for it did not return in time: recovers like kXid
  kLost,         // XID 79 or NVML_ERROR_GPU_IS_LOST: only a restart brings it back
  kUnwatchable,  // its events cannot be watched: only a restart brings it back
  kStartup,      // it failed a query at start: only a restart brings it back
  kNvmlDown,     // NVML answered for no GPU at all: healthy again as soon as it answers
};
std::string_view HealthCauseName(HealthCause cause);  // "xid", "hung", "lost", ...
// Whether --health-recovery-period applies (kXid, kHung).
bool MayRecover(HealthCause cause);

struct HealthMark {
  HealthCause cause = HealthCause::kXid;
  std::string reason;  // e.g. "XID 48"
  std::chrono::steady_clock::time_point last_event;
};

class HealthRegistry {
 public:
  // Returns true when this changed the key's health. A repeated mark restarts the recovery
  // clock; kLost replaces a weaker cause.
  bool MarkUnhealthy(const std::string& key, HealthCause cause, const std::string& reason);
  bool MarkHealthy(const std::string& key);
  // Clears the mark only if no event renewed it since `last_event` (a Marks() snapshot's).
  bool Recover(const std::string& key, std::chrono::steady_clock::time_point last_event);

  // A device is healthy when neither its GPU nor (for a MIG device) its own UUID is marked.
  bool IsHealthy(std::string_view gpu_uuid, std::string_view mig_uuid = {}) const;
  // Why a device is unhealthy ("" when healthy).
  std::string Reason(std::string_view gpu_uuid, std::string_view mig_uuid = {}) const;
  std::map<std::string, HealthMark, std::less<>> Marks() const;

  // Increases on every change; ListAndWatch compares it with what it last sent.
  uint64_t version() const;
  // Returns when version() != seen, after Wake(), or after `timeout`.
  void WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const;
  // Wakes every waiter (used when servers stop).
  void Wake() const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, HealthMark, std::less<>> marks_;
  uint64_t version_ = 0;
  mutable uint64_t wakes_ = 0;
};

}  // namespace nvdp::plugin
