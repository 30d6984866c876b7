// What the plugin advertises: resources (nvidia.com/gpu, ...) and their devices, derived from the
// inventory once per start. Plain data, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "device/inventory.h"

namespace nvdp::plugin {

inline constexpr std::string_view kResourcePrefix = "nvidia.com/";

struct AllocatableDevice {
  std::string id;                  // what the kubelet sees: GPU UUID (later: MIG UUID, <uuid>::<n>)
  std::string gpu_uuid;            // the physical GPU behind it
  std::string index;               // NVML index, e.g. "3"
  std::vector<std::string> paths;  // device nodes, e.g. /dev/nvidia3
  std::optional<int> numa_node;
  size_t gpu_position = 0;  // position in Inventory::gpus (and the link matrix)
};

struct Resource {
  std::string name;  // e.g. nvidia.com/gpu
  std::vector<AllocatableDevice> devices;

  const AllocatableDevice* Find(std::string_view id) const;
};

// nvidia.com/gpu -> nvidia-gpu.sock (spec §4.2).
std::string SocketName(std::string_view resource_name);

// Full GPUs become nvidia.com/gpu devices. Resources without devices are left out.
std::vector<Resource> BuildResources(const device::Inventory& inventory);

}  // namespace nvdp::plugin
