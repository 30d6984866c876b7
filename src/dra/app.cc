#include "dra/app.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/backoff.h"
#include "common/flags.h"
#include "common/http_server.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/version.h"
#include "dra/device_taints.h"
#include "dra/health_stream.h"
#include "dra/kubelet_services.h"
#include "dra/node.h"
#include "dra/node_sharing.h"
#include "dra/observability.h"
#include "dra/preparer.h"
#include "dra/slice_publisher.h"
#include "dra/slices.h"
#include "dra/socket_server.h"
#include "health/health_metrics.h"
#include "health/health_monitor.h"
#include "health/health_registry.h"
#include "kube/client.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

bool PlainKey(const std::string& key) {
  return !key.empty() && key.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789._/-") == std::string::npos;
}

void AppendYaml(const Json& value, int indent, std::string& out);

void AppendScalarOrBlock(const Json& value, int indent, std::string& out) {
  if (value.is_object() && !value.empty()) {
    out += "\n";
    AppendYaml(value, indent + 2, out);
  } else if (value.is_array() && !value.empty()) {
    out += "\n";
    AppendYaml(value, indent, out);
  } else {
    out += " " + value.dump() + "\n";
  }
}

void AppendYaml(const Json& value, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      out += pad + (PlainKey(key) ? key : Json(key).dump()) + ":";
      AppendScalarOrBlock(item, indent, out);
    }
  } else if (value.is_array()) {
    for (const Json& item : value) {
      if (item.is_object() && !item.empty()) {
        std::string nested;
        AppendYaml(item, indent + 2, nested);
        out += pad + "- " + nested.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        out += pad + "-";
        AppendScalarOrBlock(item, indent + 2, out);
      }
    }
  } else {
    out += pad + value.dump() + "\n";
  }
}

std::vector<Json> SlicesOf(const Options& options, const NodeDevices& node) {
  const std::vector<Json> chunks = DeviceChunks(
      node.devices, options.device_taints ? kMaxDevicesPerSliceWithTaints : kMaxDevicesPerSlice);
  std::vector<Json> slices;
  for (const Json& chunk : chunks) {
    slices.push_back(NewSlice({options.node_name, "", 1, chunks.size()}, chunk));
  }
  return slices;
}

// Every GPU the node has, with the MIG devices it publishes (their XIDs are attributed to them).
std::vector<health::WatchedGpu> Watched(const NodeDevices& node) {
  std::vector<health::WatchedGpu> gpus;
  for (const device::GpuInfo& gpu : node.inventory.gpus) {
    health::WatchedGpu watched{gpu.uuid, {}};
    if (gpu.mig_enabled) {
      for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
        watched.migs.push_back({mig.uuid, mig.gpu_instance, mig.compute_instance});
      }
    }
    gpus.push_back(std::move(watched));
  }
  return gpus;
}

// The gauges sampled at each scrape, then the exposition text.
std::string ScrapeMetrics(DraMetrics& metrics, const Preparer& preparer,
                          const std::vector<Device>& devices, const health::HealthRegistry& health,
                          bool registered) {
  metrics.prepared.Replace({{{}, static_cast<double>(preparer.PreparedClaims())}});
  double healthy = 0;
  for (const Device& device : devices) {
    const bool ok =
        health.IsHealthy(device.gpu_uuid, device.mig ? device.uuid : "") && device.problem.empty();
    healthy += ok ? 1 : 0;
  }
  metrics.devices.Replace(
      {{{"Healthy"}, healthy}, {{"Unhealthy"}, static_cast<double>(devices.size()) - healthy}});
  metrics.registered.Replace({{{}, registered ? 1.0 : 0.0}});
  return metrics.Render();
}

// Serves the kubelet's sockets again when they are removed (a kubelet restart empties its
// directories) and registers again after a refusal, with backoff (1 s doubling to 30 s).
class KubeletSockets {
 public:
  KubeletSockets(const Options& options, SocketServer& dra, SocketServer& registration_server,
                 RegistrationStatus& registration)
      : options_(options),
        dra_(dra),
        registration_server_(registration_server),
        registration_(registration) {}

  // Throws what SocketServer::Start throws.
  void Tend() {
    if (dra_.SocketReplaced()) {
      LOG_INFO("{} was removed; serving it again", options_.DraSocket());
      dra_.Start();
    }
    if (registration_.TakeRefusals() > 0 && !refused_) {
      refused_ = true;  // retried with a new socket after a backoff
      next_ = std::chrono::steady_clock::now() + backoff_.Failed();
    }
    if (registration_.registered()) backoff_.Succeeded();
    const bool due = refused_ && std::chrono::steady_clock::now() >= next_;
    if (registration_server_.SocketReplaced() || due) {
      LOG_INFO("Registering again on {}", options_.RegistrationSocket());
      registration_server_.Start();
      refused_ = false;
    }
  }

 private:
  const Options& options_;
  SocketServer& dra_;
  SocketServer& registration_server_;
  RegistrationStatus& registration_;
  Backoff backoff_ = Backoff::Doubling(milliseconds(1000), milliseconds(30000));
  std::chrono::steady_clock::time_point next_ = std::chrono::steady_clock::time_point::min();
  bool refused_ = false;
};

bool Pause(milliseconds delay, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!stop && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  return !stop;
}

}  // namespace

std::string ToYaml(const Json& value) {
  std::string out;
  AppendYaml(value, 0, out);
  return out;
}

int DryRun(const Options& options) {
  try {
    const NodeDevices node = ReadNodeDevices(options);
    const std::vector<Json> slices = SlicesOf(options, node);
    std::string text;
    if (options.output == "json") {
      text = Json(slices).dump(2) + "\n";
    } else {
      for (const Json& slice : slices) text += "---\n" + ToYaml(slice);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  } catch (const std::exception& error) {
    LOG_ERROR("error reading the node's devices: {}", error.what());
    return 1;
  }
}

int RunDraPlugin(const Options& options) {
  mallopt(M_ARENA_MAX, 2);  // as the device plugin: gRPC's threads would each get an arena
  if (options.dry_run) return DryRun(options);
  LOG_INFO("Starting gpu-kubelet-plugin {} (driver {}, node {}, container driver root {})",
           Version(), kDriverName, options.node_name, options.container_driver_root);
  UniqueFd signals = OpenSignalFd();
  NodeDevices node;
  std::unique_ptr<kube::Client> client;
  try {
    node = ReadNodeDevices(options);
    kube::ClientOptions client_options;
    client_options.qps = options.kube_api_qps;
    client_options.burst = options.kube_api_burst;
    client = std::make_unique<kube::Client>(
        kube::ResolveClusterConfig(options.kubeconfig, flags::ProcessEnvironment()),
        client_options);
  } catch (const std::exception& error) {
    LOG_ERROR("error starting gpu-kubelet-plugin: {}", error.what());
    return 1;
  }
  LOG_INFO("{} devices to publish from {} GPUs", node.devices.size(), node.inventory.gpus.size());

  // XIDs and lost GPUs: a device marked unhealthy is not prepared (the health stream to the
  // kubelet and slice taints build on the same marks).
  auto health = std::make_shared<health::HealthRegistry>();
  health::HealthSettings health_settings;
  health_settings.recovery_period = options.health_recovery_period;
  health_settings.probe_interval = options.health_probe_interval;
  std::vector<std::string> ignored;
  health_settings.filter =
      health::XidFilter::FromSettings(options.additional_xids_to_ignore, std::nullopt, &ignored);
  for (const std::string& item : ignored) {
    LOG_WARNING("--additional-xids-to-ignore: ignoring \"{}\" (not an XID)", item);
  }
  for (const device::GpuInfo& gpu : node.inventory.gpus) {
    if (!gpu.problem.empty())
      health->MarkUnhealthy(gpu.uuid, health::HealthCause::kStartup, gpu.problem);
  }
  DraMetrics metrics;
  health::HealthMonitor monitor(node.nvml, Watched(node), health, health_settings, metrics.health);
  monitor.Start();

  NodeSharing sharing(node.nvml, options.MpsRoot(), options.container_driver_root);
  Preparer preparer({options.node_name, options.CheckpointPath(), ReadBootId()}, node.devices,
                    ClaimSpecs(node.gpu_spec, options.cdi_root), *client, health.get(), &sharing);
  preparer.Restore();

  RegistrationStatus registration;
  // The DRA services first: the kubelet takes the first DRAPlugin version of the list it knows.
  const RegistrationInfo info{
      kDriverName,
      options.DraSocket(),
      {"v1.DRAPlugin", "v1beta1.DRAPlugin", "v1.DRAResourceHealth", "v1alpha1.DRAResourceHealth"}};
  std::atomic<bool> stopping{false};  // ends the health streams
  HealthStreamSettings stream_settings;
  stream_settings.pool = options.node_name;
  stream_settings.timeout = options.device_health_timeout;
  stream_settings.resend =
      std::chrono::duration_cast<milliseconds>(options.device_health_timeout) / 3;
  SocketServer dra_server(options.DraSocket(), [&] {
    SocketServer::Services services = DraServices(preparer, &metrics);
    for (auto& service : HealthServices(node.devices, *health, stream_settings, stopping)) {
      services.push_back(std::move(service));
    }
    return services;
  });
  SocketServer registration_server(options.RegistrationSocket(),
                                   [&] { return RegistrationServices(info, registration); });
  try {
    dra_server.Start();
    LOG_INFO("Serving the DRA plugin API (v1, v1beta1) on {}", options.DraSocket());
    registration_server.Start();
    LOG_INFO("Registration socket {}", options.RegistrationSocket());
  } catch (const std::exception& error) {
    LOG_ERROR("error starting gpu-kubelet-plugin: {}", error.what());
    return 1;
  }

  std::atomic<bool> stop{false};
  // --device-taints: health marks become device taints; 64 devices a slice either way, so that a
  // taint never moves devices between slices.
  const std::size_t per_slice =
      options.device_taints ? kMaxDevicesPerSliceWithTaints : kMaxDevicesPerSlice;
  DeviceTaintTracker taints(node.devices);
  std::uint64_t health_seen = health->version();
  if (options.device_taints) taints.Update(health->Marks(), std::chrono::system_clock::now());
  SlicePublisher publisher(*client, options.node_name,
                           DeviceChunks(node.devices, per_slice, taints.taints()));
  // Sampled by the main loop (which alone restarts the servers); the HTTP thread reads copies.
  auto sample = [&] {
    DraStatus now;
    now.serving = !dra_server.SocketReplaced();
    now.registered = registration.registered();
    now.slices_synced = publisher.synced();
    for (const std::string& call : monitor.HungCalls())
      now.nvml_problem += "NVML call hung: " + call + "\n";
    if (std::string down = monitor.NvmlDown(); !down.empty()) now.nvml_problem += down + "\n";
    return now;
  };
  std::mutex status_mutex;
  DraStatus last_status = sample();
  auto status = [&] {
    std::lock_guard lock(status_mutex);
    return last_status;
  };
  std::optional<HttpServer> http;
  HealthCheckServer grpc_health;
  try {
    if (!options.http_endpoint.empty()) {
      http.emplace(options.http_endpoint, [&](std::string_view path) -> HttpResponse {
        if (path == "/healthz") return HealthzResponse(status());
        if (path == "/readyz") return ReadyzResponse(status());
        if (path == options.metrics_path) {
          return {
              200, "text/plain; version=0.0.4; charset=utf-8",
              ScrapeMetrics(metrics, preparer, node.devices, *health, registration.registered())};
        }
        return {404, "text/plain; charset=utf-8", "not found\n"};
      });
      http->Start();
      LOG_INFO("Serving /healthz, /readyz and {} on {} (port {})", options.metrics_path,
               options.http_endpoint, http->port());
    }
    if (options.healthcheck_port >= 0) {
      const int port = grpc_health.Start(static_cast<int>(options.healthcheck_port));
      LOG_INFO("Serving the gRPC health service on port {}", port);
    }
  } catch (const std::exception& error) {
    LOG_ERROR("error starting gpu-kubelet-plugin: {}", error.what());
    return 1;
  }
  std::thread publishing([&] {
    publisher.Run(stop, [&](bool ok) { metrics.slice_syncs.Inc({ok ? "ok" : "error"}); });
  });
  std::thread reconciling([&] {
    LogThrottle throttle(10);
    while (Pause(options.reconcile_interval, stop)) {
      try {
        preparer.Reconcile();
        throttle.Reset();
      } catch (const std::exception& error) {
        if (throttle.ShouldLog(error.what())) {
          LOG_WARNING("Reconciling prepared claims: {}", error.what());
        }
      }
    }
  });

  int code = 0;
  KubeletSockets sockets(options, dra_server, registration_server, registration);
  while (true) {
    const std::optional<SignalAction> action = WaitForSignal(signals.get(), milliseconds(200));
    if (action == SignalAction::kExit) break;
    // Serving only while the kubelet and the API server both work with it.
    const DraStatus now = sample();
    {
      std::lock_guard lock(status_mutex);
      last_status = now;
    }
    grpc_health.SetServing(now.serving && now.registered && now.slices_synced &&
                           now.nvml_problem.empty());
    if (options.device_taints && health->version() != health_seen) {
      health_seen = health->version();
      if (taints.Update(health->Marks(), std::chrono::system_clock::now())) {
        LOG_INFO("Device taints changed ({} devices tainted); publishing the slices again",
                 taints.taints().size());
        publisher.SetChunks(DeviceChunks(node.devices, per_slice, taints.taints()));
      }
    }
    try {
      sockets.Tend();
    } catch (const std::exception& error) {
      LOG_ERROR("Cannot serve the kubelet sockets again: {}", error.what());
      code = 1;
      break;
    }
  }
  LOG_INFO("Stopping gpu-kubelet-plugin");
  stop = true;
  stopping = true;
  health->Wake();
  publisher.Wake();
  publishing.join();
  reconciling.join();
  registration_server.Stop();
  dra_server.Stop();
  grpc_health.Stop();
  if (http) http->Stop();
  if (!monitor.Stop()) {
    LOG_WARNING("A health thread is stuck in NVML; exiting without waiting for it");
    std::fflush(nullptr);
    _exit(code);  // its thread still holds NVML: no static destructors under it
  }
  return code;
}

}  // namespace nvdp::dra
