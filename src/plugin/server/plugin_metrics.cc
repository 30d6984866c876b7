#include "plugin/server/plugin_metrics.h"

namespace nvdp::plugin {

std::string PluginMetrics::Render() const {
  std::string out;
  for (const metrics::Family* family : std::initializer_list<const metrics::Family*>{
           &build_info, &devices, &registered, &registrations, &registration_failures, &restarts,
           &requests, &request_seconds}) {
    out += family->Render();
  }
  out += health->Render();
  return out;
}

}  // namespace nvdp::plugin
