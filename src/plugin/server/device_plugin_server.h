// One kubelet device plugin gRPC server for one resource, on its own unix socket (spec §4.1–4.6).
// gRPC stays inside the .cc; this header is cheap to include.
#pragma once

#include <memory>
#include <string>

#include "health/health_registry.h"
#include "plugin/allocate/allocate.h"
#include "plugin/allocate/preferred.h"
#include "plugin/server/plugin_metrics.h"
#include "resource/resource.h"

namespace nvdp::plugin {

using health::HealthCause;
using health::HealthRegistry;

struct ServerSettings {
  AllocateOptions allocate;
  PreferenceSettings preference;
  std::shared_ptr<PluginMetrics> metrics;  // may be null
};

class DevicePluginServer {
 public:
  // `resource`, `registry` and the preference's scores must outlive the server.
  DevicePluginServer(const Resource& resource, const HealthRegistry& registry,
                     ServerSettings settings, std::string socket_path);
  ~DevicePluginServer();
  DevicePluginServer(const DevicePluginServer&) = delete;
  DevicePluginServer& operator=(const DevicePluginServer&) = delete;

  // Replaces a stale socket file and starts serving. Throws std::runtime_error on failure.
  void Start();
  // Ends open ListAndWatch streams, stops serving and removes the socket file if it is ours.
  void Stop();
  // False once the socket file was removed or replaced (e.g. by a restarting kubelet).
  bool SocketIntact() const;
  const std::string& socket_path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nvdp::plugin
