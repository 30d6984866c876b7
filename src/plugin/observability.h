// nvidia-device-plugin's HTTP endpoint (--metrics-address): /healthz for a liveness probe,
// /readyz for a readiness probe, /metrics for Prometheus. Answers from the status the main loop
// publishes, the health registry and the metrics; never from NVML or the main loop directly.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string_view>

#include "common/http_server.h"
#include "plugin/plugin_manager.h"

namespace nvdp::plugin {

// The main loop must tick at least this often for /healthz to pass.
inline constexpr std::chrono::seconds kMainLoopStall{30};

// 200 unless the main loop stalled, an NVML call on the health path is hung, or NVML stopped
// answering for every GPU.
HttpResponse HealthzResponse(const PluginStatus& status,
                             std::chrono::steady_clock::duration since_heartbeat);
// 200 when every resource is served and registered with the kubelet, and NVML answers.
HttpResponse ReadyzResponse(const PluginStatus& status);
// Refreshes the scrape-time gauges and renders every metric.
std::string MetricsText(const PluginStatus& status, const HealthRegistry& registry,
                        PluginMetrics& metrics);

class Observability {
 public:
  explicit Observability(const PluginManager& manager) : manager_(manager) { Beat(); }
  // Called by the main loop on every iteration.
  void Beat();
  HttpResponse Handle(std::string_view path) const;

 private:
  const PluginManager& manager_;
  std::atomic<std::chrono::steady_clock::rep> heartbeat_{0};
};

}  // namespace nvdp::plugin
