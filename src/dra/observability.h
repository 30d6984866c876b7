// What gpu-kubelet-plugin reports: Prometheus metrics on --http-endpoint (at --metrics-path),
// /healthz and /readyz there, and the standard gRPC health service on --healthcheck-port.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/http_server.h"
#include "common/metrics.h"
#include "health/health_metrics.h"

namespace grpc {
class Server;
}

namespace nvdp::dra {

struct DraMetrics {
  std::shared_ptr<health::HealthMetrics> health =
      std::make_shared<health::HealthMetrics>("gpu_kubelet_plugin");
  metrics::Counter claims{"gpu_kubelet_plugin_claims_total",
                          "Claims answered, by method (prepare, unprepare) and result (ok, error)",
                          {"method", "result"}};
  metrics::Histogram claim_seconds{"gpu_kubelet_plugin_claim_duration_seconds",
                                   "Time to prepare or unprepare one claim, in the plugin",
                                   {"method"},
                                   metrics::LatencyBuckets()};
  metrics::Counter slice_syncs{"gpu_kubelet_plugin_slice_syncs_total",
                               "ResourceSlice syncs with the API server, by result (ok, error)",
                               {"result"}};
  // Computed at scrape time.
  metrics::Gauge prepared{"gpu_kubelet_plugin_prepared_claims", "Claims prepared now", {}};
  metrics::Gauge devices{"gpu_kubelet_plugin_devices", "Published devices, by health", {"health"}};
  metrics::Gauge registered{
      "gpu_kubelet_plugin_registered", "1 when the kubelet accepted the registration", {}};
  metrics::Gauge build_info{
      "gpu_kubelet_plugin_build_info", "The running version (always 1)", {"version"}};

  std::string Render();
};

// What the probes answer from, sampled by the caller at each request.
struct DraStatus {
  bool serving = false;     // dra.sock served
  bool registered = false;  // NotifyRegistrationStatus(true) seen
  bool slices_synced = false;
  std::string nvml_problem;  // hung NVML calls or NVML answering for no GPU
};

// /healthz: the process serves its socket and NVML answers. /readyz: also registered and the
// slices in sync.
HttpResponse HealthzResponse(const DraStatus& status);
HttpResponse ReadyzResponse(const DraStatus& status);

// The standard grpc.health.v1.Health service on a TCP port, for a liveness probe: Check, and
// Watch streams that get every change.
class HealthCheckServer {
 public:
  HealthCheckServer();
  ~HealthCheckServer();
  // `port` 0: any free one. Throws std::runtime_error when it cannot listen. Returns the port.
  int Start(int port);
  void SetServing(bool serving);
  void Stop();

 private:
  class Service;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace nvdp::dra
