// Owns everything one start of the device plugin creates: the NVML session's results (inventory),
// the resources, one gRPC server per resource, their kubelet registrations and the health
// monitor. The main loop drives it: Start, Reconcile on socket-directory events and timers, Stop.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "device/inventory.h"
#include "nvml/nvml.h"
#include "plugin/device_plugin_server.h"
#include "plugin/health_monitor.h"
#include "plugin/health_registry.h"
#include "plugin/options.h"
#include "plugin/resource.h"

namespace nvdp::plugin {

// NVML cannot be loaded or initialised; the message says what to check.
class NvmlUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PluginManager {
 public:
  enum class StartResult {
    kServing,          // at least one resource is served
    kNoDevices,        // NVML works but there is nothing to advertise
    kNvmlUnavailable,  // NVML missing or failing, and fail-on-init-error=false
    kFatal,            // the process should exit 1; see error
  };

  explicit PluginManager(Options options);
  ~PluginManager();

  StartResult Start(std::string* error);
  // Stops every server (removing its socket) and the health monitor.
  void Stop();
  // Re-creates sockets that vanished and registers every plugin that is not registered with the
  // current kubelet. `kubelet_restarted`: the kubelet socket was just (re)created.
  void Reconcile(bool kubelet_restarted);
  // How long the main loop may sleep before the next Reconcile is due.
  std::chrono::milliseconds NextReconcileDelay() const;

  // The inventory of the last successful start (nullptr before).
  const device::Inventory* inventory() const { return inventory_.get(); }
  const std::vector<Resource>& resources() const { return resources_; }
  const HealthRegistry& health() const { return health_; }

  // Loads NVML and reads the inventory, as Start does, without serving (for --dry-run).
  // Throws NvmlUnavailable.
  device::Inventory LoadInventory();

 private:
  struct Plugin {
    const Resource* resource = nullptr;
    std::unique_ptr<DevicePluginServer> server;
    bool serving = false;
    bool registered = false;
    ino_t registered_kubelet_inode = 0;
    int failed_attempts = 0;
    std::chrono::steady_clock::time_point next_attempt{};
  };

  std::shared_ptr<nvml::Nvml> OpenNvml();
  device::Inventory ReadInventory();
  void ServeAndRegister(Plugin& plugin, bool kubelet_restarted, ino_t kubelet_inode);

  Options options_;
  std::shared_ptr<nvml::Nvml> nvml_;
  std::string nvml_root_;  // driver root nvml_ was loaded from
  std::unique_ptr<device::Inventory> inventory_;
  std::vector<Resource> resources_;
  std::vector<Plugin> plugins_;
  HealthRegistry health_;  // survives restarts: a GPU marked unhealthy stays so
  std::unique_ptr<HealthMonitor> monitor_;
};

}  // namespace nvdp::plugin
