// What the node has, read once through NVML at start and then treated as immutable: the GPUs and
// the pairwise links between them. Nothing on the allocation path goes back to NVML.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device/link_matrix.h"

namespace nvdp::device {

struct GpuInfo {
  unsigned index = 0;  // NVML index (display GPUs are skipped, so there can be gaps)
  std::string uuid;    // GPU-xxxxxxxx-...
  std::string name;    // e.g. NVIDIA A100-SXM4-40GB
  unsigned long long memory_bytes = 0;
  std::string pci_bus_id;  // as NVML reports it: 00000000:07:00.0
  unsigned pci_device_id = 0;
  unsigned minor = 0;  // /dev/nvidia<minor>
  int cc_major = 0;
  int cc_minor = 0;
  std::optional<int> numa_node;  // from sysfs; absent when unknown
  // Non-empty when NVML failed for this GPU at start; it is then advertised as Unhealthy.
  std::string problem;

  unsigned long long memory_mib() const { return memory_bytes >> 20; }
};

struct Inventory {
  std::string driver_version;   // e.g. 550.127.05
  int cuda_driver_version = 0;  // e.g. 12040
  std::string nvml_library;     // the file that was loaded
  std::vector<GpuInfo> gpus;    // NVML index order
  LinkMatrix links;             // indexed by position in `gpus`
  // GPUs that could not even be identified (no UUID), as "index N: reason".
  std::vector<std::string> unreadable;
};

}  // namespace nvdp::device
