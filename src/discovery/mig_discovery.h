// Reading a GPU's MIG state through NVML: mode, the profiles it supports and its MIG devices
// with their profile names (spec §3.3, §3.5).
#pragma once

#include <string>
#include <vector>

#include "device/inventory.h"
#include "nvml/nvml.h"

namespace nvdp::discovery {

using device::GpuInfo;
using device::MigDeviceInfo;

// Fills gpu.mig_*. A MIG device that cannot be read is left out and described in `unreadable`.
void DiscoverMig(const nvml::Nvml& nvml, nvmlDevice_t handle, GpuInfo& gpu,
                 std::vector<std::string>& unreadable);

}  // namespace nvdp::discovery
