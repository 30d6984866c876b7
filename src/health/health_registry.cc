#include "health/health_registry.h"

namespace nvdp::health {

std::string_view HealthCauseName(HealthCause cause) {
  switch (cause) {
    case HealthCause::kXid:
      return "xid";
    case HealthCause::kHung:
      return "hung";
    case HealthCause::kLost:
      return "lost";
    case HealthCause::kUnwatchable:
      return "unwatchable";
    case HealthCause::kStartup:
      return "startup";
    case HealthCause::kNvmlDown:
      return "nvml";
  }
  return "unknown";
}

bool MayRecover(HealthCause cause) {
  return cause == HealthCause::kXid || cause == HealthCause::kHung;
}

std::string HealthMark::Reason() const {
  std::string reason;
  for (const auto& [cause, mark] : causes) {
    if (!reason.empty()) reason += "; ";
    reason += mark.reason;
  }
  return reason;
}

bool HealthRegistry::MarkUnhealthy(const std::string& key, HealthCause cause,
                                   const std::string& reason) {
  const auto now = clock_.Now();
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = marks_[key].causes.try_emplace(cause, CauseMark{reason, now});
    if (!inserted) {
      it->second.last_event = now;
      return false;
    }
    ChangedLocked();
  }
  changed_.notify_all();
  return true;
}

bool HealthRegistry::Clear(const std::string& key, HealthCause cause) {
  bool healthy = false;
  {
    std::lock_guard lock(mutex_);
    auto it = marks_.find(key);
    if (it == marks_.end() || it->second.causes.erase(cause) == 0) return false;
    if (it->second.causes.empty()) {
      marks_.erase(it);
      healthy = true;
    }
    ChangedLocked();
  }
  changed_.notify_all();
  return healthy;
}

bool HealthRegistry::Recover(const std::string& key, HealthCause cause,
                             std::chrono::steady_clock::time_point last_event) {
  {
    std::lock_guard lock(mutex_);
    auto it = marks_.find(key);
    if (it == marks_.end()) return false;
    auto found = it->second.causes.find(cause);
    if (found == it->second.causes.end() || found->second.last_event != last_event) return false;
    it->second.causes.erase(found);
    if (it->second.causes.empty()) marks_.erase(it);
    ChangedLocked();
  }
  changed_.notify_all();
  return true;
}

bool HealthRegistry::MarkHealthy(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    if (marks_.erase(key) == 0) return false;
    ChangedLocked();
  }
  changed_.notify_all();
  return true;
}

bool HealthRegistry::IsHealthy(std::string_view gpu_uuid, std::string_view mig_uuid) const {
  std::lock_guard lock(mutex_);
  if (marks_.find(gpu_uuid) != marks_.end()) return false;
  return mig_uuid.empty() || marks_.find(mig_uuid) == marks_.end();
}

std::string HealthRegistry::Reason(std::string_view gpu_uuid, std::string_view mig_uuid) const {
  std::lock_guard lock(mutex_);
  std::string reason;
  if (auto it = marks_.find(gpu_uuid); it != marks_.end()) reason = it->second.Reason();
  if (mig_uuid.empty()) return reason;
  if (auto it = marks_.find(mig_uuid); it != marks_.end()) {
    reason += (reason.empty() ? "" : "; ") + it->second.Reason();
  }
  return reason;
}

std::map<std::string, HealthMark, std::less<>> HealthRegistry::Marks() const {
  std::lock_guard lock(mutex_);
  return marks_;
}

uint64_t HealthRegistry::version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

void HealthRegistry::WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  const uint64_t wakes = wakes_;
  changed_.wait_for(lock, timeout, [&] { return version_ != seen || wakes_ != wakes; });
}

void HealthRegistry::Wake() const {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  changed_.notify_all();
}

}  // namespace nvdp::health
