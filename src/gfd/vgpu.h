// vGPU labels (spec §7.7): a guest's NVIDIA devices whose PCI config space carries NVIDIA's
// vendor-specific capability ("VF") name the host driver's version and branch.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gfd/labels.h"

namespace nvdp::gfd {

struct VgpuHostDriver {
  std::string version;  // e.g. 460.16
  std::string branch;   // e.g. r460_00
};

// Parses one device's PCI config space (at least 256 bytes). nullopt: not a vGPU. Throws
// LabelError when the space is too short or a vGPU capability lacks the host driver record.
std::optional<VgpuHostDriver> ParseVgpuConfig(const std::string& config);

// Scans <sysfs>/bus/pci/devices/* for NVIDIA devices. A config space that cannot be read whole
// (no privileges) is reported in `warning` and no labels are returned, as upstream; a vGPU
// capability without the host driver record throws LabelError.
Labels VgpuLabels(const std::string& sysfs_root, std::string* warning);

}  // namespace nvdp::gfd
