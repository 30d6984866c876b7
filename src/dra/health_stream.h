// The kubelet's device health stream (dra-health v1 and v1alpha1, NodeWatchResources): every
// published device with its health from the health monitor's marks, sent at once, again on every
// change, and again before the kubelet's timeout would turn the devices Unknown.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "dra/devices.h"
#include "dra/socket_server.h"

namespace nvdp::health {
class HealthRegistry;
}

namespace nvdp::dra {

struct HealthStreamSettings {
  std::string pool;  // the node name
  // Told to the kubelet per device; the kubelet marks a device Unknown after it without news.
  std::chrono::seconds timeout{30};
  // A complete list is sent at least this often (well within `timeout`).
  std::chrono::milliseconds resend{10000};
};

// One entry of a health list, version-neutral.
struct DeviceHealthEntry {
  std::string device;
  bool healthy = true;
  std::string message;  // why unhealthy, at most 1024 bytes
};

// The health list now: devices whose NVML failed at start, or that the registry marks, are
// unhealthy with the reason.
std::vector<DeviceHealthEntry> HealthList(const std::vector<Device>& devices,
                                          const health::HealthRegistry& registry);

// v1.DRAResourceHealth and v1alpha1.DRAResourceHealth. `stopping` ends open streams.
SocketServer::Services HealthServices(const std::vector<Device>& devices,
                                      const health::HealthRegistry& registry,
                                      const HealthStreamSettings& settings,
                                      const std::atomic<bool>& stopping);

}  // namespace nvdp::dra
