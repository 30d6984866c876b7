// Reads what gpu-feature-discovery labels from: NVML (through the shared discovery), the PCI
// class and the vGPU capability from sysfs, the fabric info, the machine type file.
#pragma once

#include <string>
#include <vector>

#include "gfd/labels.h"
#include "nvml/nvml.h"

namespace nvdp::gfd {

struct FactSources {
  // sysfs trees, first one with bus/pci/devices wins: a simulated root's, then the host's.
  std::vector<std::string> sysfs_roots = {"/sys"};
  std::string machine_type_file;  // "" or unreadable: "unknown"
};

// The caller holds an nvml::Session. Throws nvml::NvmlError when NVML fails for the node, and
// LabelError when a GPU's fabric info fails with anything but NOT_SUPPORTED (as upstream).
NodeFacts ReadFacts(const nvml::Nvml& nvml, const FactSources& sources);

// The first of `roots` that has bus/pci/devices ("" when none does).
std::string PickSysfsRoot(const std::vector<std::string>& roots);

}  // namespace nvdp::gfd
