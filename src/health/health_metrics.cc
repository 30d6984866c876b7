#include "health/health_metrics.h"

namespace nvdp::health {

HealthMetrics::HealthMetrics(const std::string& prefix)
    : xid_events{prefix + "_xid_events_total",
                 "Critical XID events received, by GPU and XID; ignored=\"true\" when the XID "
                 "rules (DP_DISABLE_HEALTHCHECKS, application XIDs) skip it",
                 {"gpu", "xid", "ignored"}},
      ecc_events{prefix + "_ecc_events_total",
                 "ECC error events received (they do not change health)",
                 {"gpu", "type"}},
      unhealthy{prefix + "_marked_unhealthy_total",
                "Times a GPU or MIG device was marked unhealthy, by cause (xid, lost, hung, "
                "unwatchable, startup)",
                {"device", "cause"}},
      recovered{prefix + "_recovered_total",
                "Times a GPU or MIG device returned to healthy (--health-recovery-period)",
                {"device"}},
      nvml_errors{prefix + "_nvml_errors_total",
                  "NVML calls on the health path that failed, by function and error",
                  {"function", "error"}},
      nvml_hung{prefix + "_nvml_hung_calls",
                "NVML calls on the health path running past their deadline",
                {}} {}

std::string HealthMetrics::Render() const {
  std::string out;
  for (const metrics::Family* family : std::initializer_list<const metrics::Family*>{
           &xid_events, &ecc_events, &unhealthy, &recovered, &nvml_errors, &nvml_hung}) {
    out += family->Render();
  }
  return out;
}

}  // namespace nvdp::health
