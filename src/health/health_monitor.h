// Watches GPU health on background threads (spec §6.2, and more):
//  - events: NVML XID events mark a GPU, or the attributed MIG device, unhealthy;
//  - probe: every probe interval each GPU is asked for its memory info, which finds GPUs that
//    are lost without an event, notices when NVML answers for no GPU at all, and (with a
//    recovery period) returns quiet devices to healthy;
//  - watchdog: an NVML call that runs past its deadline marks its GPU unhealthy and is reported
//    by HungCalls() (and so by /healthz), and never blocks anything but its own thread.
// One monitor serves all resources: the registry maps GPUs and MIG devices to devices.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "health/health_metrics.h"
#include "health/health_registry.h"
#include "health/xid_filter.h"
#include "nvml/nvml.h"

namespace nvdp::health {

struct HealthSettings {
  XidFilter filter;
  std::chrono::milliseconds recovery_period{0};  // 0: an unhealthy device stays so (upstream)
  std::chrono::milliseconds probe_interval{5000};
  std::chrono::milliseconds call_deadline{5000};  // beyond it an NVML call counts as hung
};

struct WatchedMig {
  std::string uuid;
  unsigned gpu_instance = 0;
  unsigned compute_instance = 0;
};

struct WatchedGpu {
  std::string uuid;
  std::vector<WatchedMig> migs;  // its MIG devices that are advertised as such
};

class HealthMonitor {
 public:
  HealthMonitor(std::shared_ptr<nvml::Nvml> nvml, std::vector<WatchedGpu> gpus,
                std::shared_ptr<HealthRegistry> registry, HealthSettings settings,
                std::shared_ptr<HealthMetrics> metrics);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void Start();
  // Asks the threads to finish; they do within one event-wait period (0.2 s) unless stuck in
  // an NVML call.
  void RequestStop();
  // Requests a stop and waits up to `grace` for the threads. A thread stuck in NVML is left
  // behind (it holds its own references) and false is returned.
  bool Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

  // NVML calls now past their deadline, e.g. "nvmlDeviceGetMemoryInfo for GPU-… (running 7 s)".
  std::vector<std::string> HungCalls() const;
  // Empty while NVML answers for at least one GPU; else what the last probe round saw.
  std::string NvmlDown() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;
};

}  // namespace nvdp::health
