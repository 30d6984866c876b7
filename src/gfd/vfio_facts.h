// --device-discovery-strategy=vfio: GPUs bound to vfio-pci (passed through to virtual machines)
// have no NVIDIA driver to ask, so gpu-feature-discovery reads them from sysfs as upstream does
// (its vfio resource manager, go-nvlib's nvpci): the name from pci.ids, the PCI class, and as
// "memory" the 64-bit BARs' total size rounded up to a power of two (upstream reports that
// figure in bytes under gpu.memory); no compute capability (-1), driver version
// "unknown.unknown.unknown", CUDA 0.0, no MIG.
#pragma once

#include <string>
#include <vector>

#include "gfd/labels.h"

namespace nvdp::gfd {

// The vfio-pci GPUs (vendor 0x10de, class 0x0300xx or 0x0302xx) under the first sysfs root that
// has bus/pci/devices, in address order.
NodeFacts ReadVfioFacts(const std::vector<std::string>& sysfs_roots,
                        const std::string& machine_type_file);

// What upstream's vfio device reports as its memory: the 64-bit memory BARs among the first six
// lines of a sysfs `resource` file, summed and rounded up to a power of two.
unsigned long long VfioAddressableMemory(const std::string& resource_file_text);

}  // namespace nvdp::gfd
