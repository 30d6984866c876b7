#include "plugin/plugin_metrics.h"

namespace nvdp::plugin {

std::string PluginMetrics::Render() const {
  std::string out;
  for (const metrics::Family* family : std::initializer_list<const metrics::Family*>{
           &build_info, &devices, &registered, &registrations, &registration_failures, &restarts,
           &requests, &request_seconds, &xid_events, &ecc_events, &unhealthy, &recovered,
           &nvml_errors, &nvml_hung}) {
    out += family->Render();
  }
  return out;
}

}  // namespace nvdp::plugin
