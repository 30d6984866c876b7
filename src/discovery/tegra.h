// Tegra (Jetson, IGX) nodes: an integrated GPU that NVML does not serve (spec §4.3, §3.4). The
// plugin advertises it as one device "tegra"; the container toolkit's CSV mode does the rest.
#pragma once

#include <string>
#include <vector>

#include "device/inventory.h"

namespace nvdp::discovery {

// The driver root's Tegra markers: etc/nv_tegra_release, or sys/devices/soc0/family starting
// with "tegra" (any case). Upstream takes them for Tegra only when NVML cannot be loaded.
bool HasTegraMarkers(const std::string& driver_root);

// Every GPU NVML lists is an integrated one ("(nvgpu)" or "NVIDIA Thor" in its name); false for
// none. Upstream then serves the node as Tegra too.
bool AllIntegratedGpus(const std::vector<device::GpuInfo>& gpus);

// The inventory of a Tegra node: one GPU named and identified "tegra", index 0, no device nodes.
device::Inventory TegraInventory();

}  // namespace nvdp::discovery
