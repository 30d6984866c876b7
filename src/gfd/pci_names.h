// NVIDIA's PCI device names (pci.ids, embedded at build time by cmake/EmbedPciNames.cmake).
#pragma once

#include <string>
#include <vector>

namespace nvdp::gfd {

struct PciName {
  unsigned device_id;
  const char* name;
};

const std::vector<PciName>& NvidiaPciNames();

// pci.ids' name of an NVIDIA device ID ("GA100 [A100 SXM4 40GB]" for 0x20b0), or "".
std::string NvidiaPciName(unsigned device_id);

}  // namespace nvdp::gfd
