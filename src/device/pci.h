// PCI bus id helpers and the sysfs NUMA lookup (spec §4.4, §12.4).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvdp::device {

// Lowercase, and drop a leading "0000" of a 8-digit domain: "00000000:3B:00.0" -> "0000:3b:00.0".
// An id that is exactly "0000" is left alone.
std::string NormalizeBusId(std::string_view bus_id);

struct NumaLookup {
  std::optional<int> node;  // absent: unknown (file missing, or negative as on 1-node machines)
  std::string problem;      // set when the file exists but does not hold an integer
};

// Reads <root>/bus/pci/devices/<normalized bus id>/numa_node from the first root that has it.
NumaLookup ReadNumaNode(const std::vector<std::string>& sysfs_roots, std::string_view bus_id);

}  // namespace nvdp::device
