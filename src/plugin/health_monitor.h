// Watches NVML events for every GPU on one background thread and marks GPUs unhealthy on
// critical XIDs (spec §6.2). One monitor serves all resources: the registry maps GPUs to devices.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "nvml/nvml.h"
#include "plugin/health_registry.h"
#include "plugin/xid_filter.h"

namespace nvdp::plugin {

class HealthMonitor {
 public:
  HealthMonitor(std::shared_ptr<nvml::Nvml> nvml, std::vector<std::string> gpu_uuids,
                HealthRegistry& registry, XidFilter filter);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void Start();
  // Asks the thread to finish; it does within one event-wait period (0.2 s).
  void RequestStop() { stop_ = true; }
  // Requests a stop and waits for the thread.
  void Stop();

 private:
  void Run();
  void Watch(nvmlEventSet_t events);

  std::shared_ptr<nvml::Nvml> nvml_;
  std::vector<std::string> gpu_uuids_;
  HealthRegistry& registry_;
  XidFilter filter_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::pair<nvmlDevice_t, std::string>> watched_;  // handle -> UUID
};

}  // namespace nvdp::plugin
