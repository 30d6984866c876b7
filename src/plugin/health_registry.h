// Node-wide device health, shared by every resource's ListAndWatch and written by the health
// monitor. Health is kept per physical GPU (by UUID), so an event on a GPU reaches every device
// derived from it in every resource. Waiters are woken on every change.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace nvdp::plugin {

class HealthRegistry {
 public:
  // Returns true when this changed the GPU's health.
  bool MarkUnhealthy(const std::string& gpu_uuid, const std::string& reason);
  bool MarkHealthy(const std::string& gpu_uuid);
  bool IsHealthy(const std::string& gpu_uuid) const;
  // Why a GPU is unhealthy ("" when healthy).
  std::string Reason(const std::string& gpu_uuid) const;

  // Increases on every change; ListAndWatch compares it with what it last sent.
  uint64_t version() const;
  // Returns when version() != seen, after Wake(), or after `timeout`.
  void WaitForChange(uint64_t seen, std::chrono::milliseconds timeout) const;
  // Wakes every waiter (used when servers stop).
  void Wake() const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::string> unhealthy_;  // GPU UUID -> reason
  uint64_t version_ = 0;
  mutable uint64_t wakes_ = 0;
};

}  // namespace nvdp::plugin
