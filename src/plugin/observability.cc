#include "plugin/observability.h"

#include <fmt/format.h>

#include <map>

#include "common/version.h"

namespace nvdp::plugin {
namespace {

using Clock = std::chrono::steady_clock;

HttpResponse Unavailable(const std::string& why) { return {503, "text/plain; charset=utf-8", why}; }

// What makes NVML count as not working: a hung call or no GPU answering.
std::string NvmlProblem(const PluginStatus& status) {
  if (!status.monitor) return "";
  std::string problem;
  for (const std::string& call : status.monitor->HungCalls()) {
    problem += "NVML call hung: " + call + "\n";
  }
  std::string down = status.monitor->NvmlDown();
  if (!down.empty()) problem += down + "\n";
  return problem;
}

}  // namespace

HttpResponse HealthzResponse(const PluginStatus& status, Clock::duration since_heartbeat) {
  if (since_heartbeat > kMainLoopStall) {
    return Unavailable(
        fmt::format("main loop stalled for {} s\n",
                    std::chrono::duration_cast<std::chrono::seconds>(since_heartbeat).count()));
  }
  std::string problem = NvmlProblem(status);
  if (!problem.empty()) return Unavailable(problem);
  return {200, "text/plain; charset=utf-8", "ok\n"};
}

HttpResponse ReadyzResponse(const PluginStatus& status) {
  if (!status.started) return Unavailable("starting\n");
  std::string problem;
  if (!status.problem.empty()) problem += status.problem + "\n";
  for (const PluginStatus::ResourceStatus& resource : status.resources) {
    if (!resource.serving && !resource.waiting.empty()) {
      problem += resource.name + ": " + resource.waiting + "\n";
    } else if (!resource.serving) {
      problem += resource.name + ": not serving its socket\n";
    } else if (status.registers && !resource.registered) {
      problem += resource.name + ": not registered with the kubelet\n";
    }
  }
  problem += NvmlProblem(status);
  if (!problem.empty()) return Unavailable(problem);
  return {200, "text/plain; charset=utf-8",
          fmt::format("ready: {} resource(s) served\n", status.resources.size())};
}

std::string MetricsText(const PluginStatus& status, const HealthRegistry& registry,
                        PluginMetrics& metrics) {
  std::map<metrics::LabelValues, double> devices, registered;
  for (const PluginStatus::ResourceStatus& resource : status.resources) {
    double healthy = 0;
    for (const PluginStatus::Device& device : resource.devices) {
      healthy += registry.IsHealthy(device.gpu_uuid, device.mig_uuid) ? 1 : 0;
    }
    devices[{resource.name, "Healthy"}] = healthy;
    devices[{resource.name, "Unhealthy"}] = static_cast<double>(resource.devices.size()) - healthy;
    registered[{resource.name}] = resource.registered ? 1 : 0;
  }
  metrics.devices.Replace(std::move(devices));
  metrics.registered.Replace(std::move(registered));
  metrics.build_info.Replace({{{std::string(Version())}, 1}});
  return metrics.Render();
}

void Observability::Beat() { heartbeat_ = Clock::now().time_since_epoch().count(); }

HttpResponse Observability::Handle(std::string_view path) const {
  const PluginStatus status = manager_.Status();
  if (path == "/healthz" || path == "/livez") {
    const Clock::time_point beat{Clock::duration(heartbeat_.load())};
    return HealthzResponse(status, Clock::now() - beat);
  }
  if (path == "/readyz") return ReadyzResponse(status);
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            MetricsText(status, *manager_.health_registry(), *manager_.metrics())};
  }
  return {404, "text/plain; charset=utf-8", "not found: try /healthz, /readyz or /metrics\n"};
}

}  // namespace nvdp::plugin
