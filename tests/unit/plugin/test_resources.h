// Small hand-built resources for plugin tests.
#pragma once

#include "resource/resource.h"

namespace nvdp::testing {

// nvidia.com/gpu with GPUs "GPU-0".."GPU-<n-1>", NUMA node = index / (n/2).
inline resource::Resource GpuResource(int n) {
  resource::Resource resource{"nvidia.com/gpu", {}};
  for (int i = 0; i < n; ++i) {
    resource::AllocatableDevice device;
    device.id = "GPU-" + std::to_string(i);
    device.gpu_uuid = device.id;
    device.index = std::to_string(i);
    device.paths = {"/dev/nvidia" + std::to_string(i)};
    device.numa_node = i / std::max(1, n / 2);
    device.gpu_position = static_cast<size_t>(i);
    resource.devices.push_back(device);
  }
  return resource;
}

}  // namespace nvdp::testing
