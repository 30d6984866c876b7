// What nvidia-device-plugin counts for /metrics. One instance per process, shared by the gRPC
// servers, the health monitor and the lifecycle; it survives restarts.
#pragma once

#include <memory>
#include <string>

#include "common/metrics.h"
#include "health/health_metrics.h"

namespace nvdp::plugin {

struct PluginMetrics {
  // The health monitor's, under the same prefix.
  std::shared_ptr<health::HealthMetrics> health =
      std::make_shared<health::HealthMetrics>("nvidia_device_plugin");
  metrics::Counter requests{"nvidia_device_plugin_requests_total",
                            "kubelet calls answered, by resource, method and gRPC status code",
                            {"resource", "method", "code"}};
  metrics::Histogram request_seconds{
      "nvidia_device_plugin_request_duration_seconds",
      "Time to answer Allocate and GetPreferredAllocation, measured in the plugin",
      {"resource", "method"},
      metrics::LatencyBuckets()};
  metrics::Counter registrations{"nvidia_device_plugin_registrations_total",
                                 "Successful registrations with the kubelet",
                                 {"resource"}};
  metrics::Counter registration_failures{"nvidia_device_plugin_registration_failures_total",
                                         "Failed attempts to register with the kubelet",
                                         {"resource"}};
  metrics::Counter restarts{"nvidia_device_plugin_restarts_total",
                            "Plugin restarts, by reason: sighup (config reload), nvml_retry, "
                            "kubelet (the kubelet restarted)",
                            {"reason"}};
  // Computed at scrape time.
  metrics::Gauge devices{"nvidia_device_plugin_devices",
                         "Advertised devices, by resource and health",
                         {"resource", "health"}};
  metrics::Gauge registered{"nvidia_device_plugin_registered",
                            "1 when the resource is registered with the kubelet",
                            {"resource"}};
  metrics::Gauge build_info{
      "nvidia_device_plugin_build_info", "The running version (always 1)", {"version"}};

  // Every family in the Prometheus text format.
  std::string Render() const;
};

}  // namespace nvdp::plugin
