// Builds the Inventory from NVML once at start.
#pragma once

#include <string>
#include <vector>

#include "device/inventory.h"
#include "nvml/nvml.h"

namespace nvdp::discovery {

using device::GpuInfo;
using device::Inventory;
using device::LinkMatrix;
using device::MigDeviceInfo;
using device::P2PLink;

struct DiscoveryOptions {
  // sysfs trees searched for numa_node, first hit wins. Upstream reads /sys only; we look under
  // the container driver root first so a simulated root can carry its own topology (on a real
  // node both are the same kernel sysfs).
  std::vector<std::string> sysfs_roots = {"/sys"};
  bool links = true;  // read the pairwise link matrix (n^2 topology and NVLink queries)
};

// The caller holds an nvml::Session. Throws NvmlError only when NVML itself fails (count, driver
// version); a GPU that fails is recorded in GpuInfo::problem or Inventory::unreadable instead.
Inventory Discover(const nvml::Nvml& nvml, const DiscoveryOptions& options);

// DGX systems expose a display GPU that must not be advertised.
bool IsDisplayGpu(const std::string& name);

}  // namespace nvdp::discovery
