// Owns everything one start of the device plugin creates: the NVML session's results (inventory),
// the resources, one gRPC server per resource, their kubelet registrations and the health
// monitor. The main loop drives it: Start, Reconcile on socket-directory events and timers, Stop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/backoff.h"
#include "health/health_monitor.h"
#include "health/health_registry.h"
#include "nvml/nvml.h"
#include "plugin/node_facts.h"
#include "plugin/options.h"
#include "plugin/plan.h"
#include "plugin/server/device_plugin_server.h"
#include "plugin/server/plugin_metrics.h"

namespace nvdp::plugin {

using health::HealthMonitor;
using health::WatchedGpu;

// What /healthz, /readyz and /metrics read, published by the main loop (thread-safe copy).
struct PluginStatus {
  bool started = false;
  std::string problem;    // why nothing is served ("" while serving)
  bool registers = true;  // false with an empty --kubelet-socket
  struct Device {
    std::string gpu_uuid, mig_uuid;
  };
  struct ResourceStatus {
    std::string name;
    bool serving = false;
    bool registered = false;
    std::vector<Device> devices;
    std::string waiting;  // what the resource waits for before it is served, e.g. MPS
  };
  std::vector<ResourceStatus> resources;
  std::shared_ptr<const HealthMonitor> monitor;  // null when health checks are off
};

class PluginManager {
 public:
  enum class StartResult {
    kServing,          // at least one resource is served
    kNoDevices,        // NVML works but there is nothing to advertise
    kNvmlUnavailable,  // NVML missing or failing, and fail-on-init-error=false
    kFatal,            // the process should exit 1; see error
    kKept,             // Restart: the new options cannot work (see error); the last start runs on
  };

  explicit PluginManager(Options options);
  ~PluginManager();

  const Options& options() const { return options_; }

  // Loads NVML, reads the inventory and builds the resources exactly as Start does, without
  // serving. Throws NvmlUnavailable, or ResourceError when the devices and the configuration
  // cannot work together (always fatal, as upstream).
  Plan Prepare();

  StartResult Start(std::string* error);
  // SIGHUP: starts again with new options. Everything that can fail for them (the inventory, the
  // resources, the CDI specs) is checked before the running start is stopped; on failure that
  // start keeps running with its options and kKept is returned. When no start succeeded yet
  // (NVML unavailable), this is Start with the new options.
  StartResult Restart(Options options, std::string* error);
  // Stops every server (removing its socket) and the health monitor.
  void Stop();
  // Re-creates sockets that vanished and registers every plugin that is not registered with the
  // current kubelet. `kubelet_restarted`: the kubelet socket was just (re)created.
  void Reconcile(bool kubelet_restarted);
  // Set when serving failed in a way no retry can fix (PermissionDenied): the process should log
  // it and exit 1.
  const std::string& fatal() const { return fatal_; }
  // How long the main loop may sleep before the next Reconcile is due.
  std::chrono::milliseconds NextReconcileDelay() const;

  const std::vector<Resource>& resources() const { return plan_.resources; }
  const HealthRegistry& health() const { return *health_; }
  std::shared_ptr<const HealthRegistry> health_registry() const { return health_; }
  std::shared_ptr<PluginMetrics> metrics() const { return metrics_; }
  PluginStatus Status() const;
  // False once a health thread stuck in NVML had to be left behind: the process should end
  // with _exit rather than run static destructors under it.
  bool threads_clean() const { return threads_clean_; }

 private:
  struct Plugin {
    const Resource* resource = nullptr;
    std::unique_ptr<DevicePluginServer> server;
    bool serving = false;
    bool registered = false;
    ino_t registered_kubelet_inode = 0;
    // Registration retries: short first (a restarting kubelet creates its socket a moment before
    // it accepts connections), then every 2 s; upstream waits 30 s.
    Backoff registration = RegistrationBackoff();
    LogThrottle registration_log{30};
    std::chrono::steady_clock::time_point next_attempt{};
    LogThrottle serve_log{60};  // a missing kubelet directory must not log every second
    std::string serve_problem;  // why the socket cannot be created ("" when served)
    // MPS sharing: the resource's control daemon must answer before the resource is served.
    bool mps_ready = false;
    Backoff mps_backoff = MpsBackoff();
    LogThrottle mps_log{30};
    std::string mps_problem;
  };
  static Backoff RegistrationBackoff();
  static Backoff MpsBackoff();

  std::shared_ptr<nvml::Nvml> OpenNvml();
  NodeFacts ReadFacts();  // NVML's, or a Tegra node's (the discovery strategy decides)
  void WriteCdiSpecs(const Plan& plan) const;  // throws std::runtime_error
  // Stops nothing: takes a prepared plan and serves it.
  StartResult Serve(Plan plan, std::string* error);
  void PublishStatus(std::string problem);
  void ServeAndRegister(Plugin& plugin, bool kubelet_restarted, ino_t kubelet_inode);
  // False (and the next check scheduled) while the resource's MPS control daemon does not answer.
  bool MpsDaemonReady(Plugin& plugin);

  Options options_;
  std::shared_ptr<nvml::Nvml> nvml_;
  std::string nvml_root_;  // driver root nvml_ was loaded from
  Plan plan_;              // of the current start
  bool prepared_ = false;  // plan_ came from a successful Prepare (serving or no devices)
  std::string fatal_;
  std::vector<Plugin> plugins_;
  // Both survive restarts: a GPU marked unhealthy stays so, counters keep counting.
  std::shared_ptr<HealthRegistry> health_ = std::make_shared<HealthRegistry>();
  std::shared_ptr<PluginMetrics> metrics_ = std::make_shared<PluginMetrics>();
  std::shared_ptr<HealthMonitor> monitor_;
  bool threads_clean_ = true;
  mutable std::mutex status_mutex_;
  PluginStatus status_;
};

}  // namespace nvdp::plugin
