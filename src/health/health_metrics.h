// What the health monitor counts for /metrics, under a program's metric prefix (e.g.
// nvidia_device_plugin_xid_events_total). Shared with the program, which renders it.
#pragma once

#include <string>

#include "common/metrics.h"

namespace nvdp::health {

struct HealthMetrics {
  explicit HealthMetrics(const std::string& prefix);

  metrics::Counter xid_events;
  metrics::Counter ecc_events;
  metrics::Counter unhealthy;
  metrics::Counter recovered;
  metrics::Counter nvml_errors;
  metrics::Gauge nvml_hung;

  // Every family in the Prometheus text format.
  std::string Render() const;
};

}  // namespace nvdp::health
