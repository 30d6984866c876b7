#include "plugin/health_registry.h"

namespace nvdp::plugin {

bool HealthRegistry::MarkUnhealthy(const std::string& gpu_uuid, const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (!unhealthy_.emplace(gpu_uuid, reason).second) return false;
    ++version_;
  }
  changed_.notify_all();
  return true;
}

bool HealthRegistry::MarkHealthy(const std::string& gpu_uuid) {
  {
    std::lock_guard lock(mutex_);
    if (unhealthy_.erase(gpu_uuid) == 0) return false;
    ++version_;
  }
  changed_.notify_all();
  return true;
}

bool HealthRegistry::IsHealthy(const std::string& gpu_uuid) const {
  std::lock_guard lock(mutex_);
  return unhealthy_.count(gpu_uuid) == 0;
}

std::string HealthRegistry::Reason(const std::string& gpu_uuid) const {
  std::lock_guard lock(mutex_);
  auto it = unhealthy_.find(gpu_uuid);
  return it == unhealthy_.end() ? "" : it->second;
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

}  // namespace nvdp::plugin
