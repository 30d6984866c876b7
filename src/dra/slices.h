// ResourceSlice objects (resource.k8s.io/v1) for one node's pool, as the kubelet plugin helper of
// kubernetes/dynamic-resource-allocation publishes them: pool named after the node, nodeName set,
// owned by the Node, at most kMaxDevicesPerSlice devices each. Pure JSON building.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "dra/devices.h"

namespace nvdp::dra {

inline constexpr std::size_t kMaxDevicesPerSlice = 128;           // the API server's limit
inline constexpr std::size_t kMaxDevicesPerSliceWithTaints = 64;  // ... when devices have taints
inline constexpr const char* kResourceSlicesPath = "/apis/resource.k8s.io/v1/resourceslices";

// A device taint (effect NoSchedule): keeps new claims off the device.
struct DeviceTaint {
  std::string key;         // e.g. gpu.nvidia.com/xid
  std::string value;       // e.g. 48
  std::string time_added;  // RFC 3339; set by us so that the API server keeps it as written
  bool operator==(const DeviceTaint&) const = default;
};
using TaintsByDevice = std::map<std::string, std::vector<DeviceTaint>>;  // by device name

// One device as a slice's spec.devices entry.
nlohmann::json DeviceJson(const Device& device, const std::vector<DeviceTaint>& taints = {});
// The devices' entries, split into runs of at most `per_slice`, with their taints.
std::vector<nlohmann::json> DeviceChunks(const std::vector<Device>& devices,
                                         std::size_t per_slice = kMaxDevicesPerSlice,
                                         const TaintsByDevice& taints = {});

struct Pool {
  std::string node_name;  // also the pool's name
  std::string node_uid;   // for the owner reference; "" leaves it out (dry run)
  long long generation = 1;
  std::size_t slice_count = 1;
};

// spec of one slice of the pool.
nlohmann::json SliceSpec(const Pool& pool, const nlohmann::json& devices);
// A new slice object: generateName <node>-gpu.nvidia.com-, the owner reference, the spec.
nlohmann::json NewSlice(const Pool& pool, const nlohmann::json& devices);
// The list/watch query for this node's and driver's slices (field selectors).
std::string SliceSelectorQuery(const std::string& node_name);

}  // namespace nvdp::dra
