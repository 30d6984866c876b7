// --device-taints: the health monitor's marks as ResourceSlice device taints (effect NoSchedule),
// so that the scheduler keeps new claims off a broken device and the mark is visible in the API:
//   gpu.nvidia.com/gpu-lost   the GPU fell off the bus (value: the reason, e.g. XID-79)
//   gpu.nvidia.com/xid        a critical XID (value: its code, e.g. 48)
//   gpu.nvidia.com/unhealthy  any other mark: hung NVML calls, unwatchable events, a failed start,
//                             NVML answering for no GPU (value: the cause, e.g. hung)
// A taint goes when its mark goes (recovery), unlike the anchor's, which stay until a restart.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dra/devices.h"
#include "dra/slices.h"
#include "health/health_registry.h"

namespace nvdp::dra {

inline constexpr const char* kTaintXid = "gpu.nvidia.com/xid";
inline constexpr const char* kTaintGpuLost = "gpu.nvidia.com/gpu-lost";
inline constexpr const char* kTaintUnhealthy = "gpu.nvidia.com/unhealthy";

using HealthMarks = std::map<std::string, health::HealthMark, std::less<>>;

// The taints (without timeAdded) of a device from the marks of its GPU and, for a MIG device,
// its own.
std::vector<DeviceTaint> TaintsOf(const Device& device, const HealthMarks& marks);

class DeviceTaintTracker {
 public:
  explicit DeviceTaintTracker(std::vector<Device> devices) : devices_(std::move(devices)) {}

  // Recomputes every device's taints; a taint new since the last call gets `now` as timeAdded,
  // one still there keeps its time. True when anything changed.
  bool Update(const HealthMarks& marks, std::chrono::system_clock::time_point now);
  const TaintsByDevice& taints() const { return taints_; }

 private:
  std::vector<Device> devices_;
  TaintsByDevice taints_;
};

}  // namespace nvdp::dra
