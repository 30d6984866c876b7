// What discovery reads from sysfs and procfs beside NVML: NUMA nodes (spec §4.4) and the MIG
// capability minors (spec §4.5).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "device/mig_caps.h"

namespace nvdp::discovery {

struct NumaLookup {
  std::optional<int> node;  // absent: unknown (file missing, or negative as on 1-node machines)
  std::string problem;      // set when the file exists but does not hold an integer
};

// Reads <root>/bus/pci/devices/<normalized bus id>/numa_node from the first root that has it.
NumaLookup ReadNumaNode(const std::vector<std::string>& sysfs_roots, std::string_view bus_id);

// nvidia-drm's device nodes of a PCI device, as /dev/dri/<name>: the card* then renderD* entries
// of <root>/bus/pci/devices/<normalized bus id>/drm in the first root that has the device.
std::vector<std::string> ReadDrmNodes(const std::vector<std::string>& sysfs_roots,
                                      std::string_view bus_id);

// The PCI root complex a device hangs off, as "pci<domain>:<bus>" (pci0000:00): the first
// pciDDDD:BB component of <root>/bus/pci/devices/<bus id>'s resolved path; "" when the link does
// not resolve into /sys/devices.
std::string ReadPcieRoot(const std::vector<std::string>& sysfs_roots, std::string_view bus_id);

// Reads <root>/proc/driver/nvidia-caps/mig-minors from the first root that has it.
std::optional<device::MigCaps> LoadMigCaps(const std::vector<std::string>& roots);

}  // namespace nvdp::discovery
