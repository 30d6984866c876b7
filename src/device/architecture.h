// A GPU's architecture from its CUDA compute capability, and its NVML brand's name.
#pragma once

#include <string>

namespace nvdp::device {

// GFD's family label (spec §7.4): "ampere" for 8.0, "undefined" for what the table does not know.
std::string GpuFamily(int major, int minor);
// The DRA attribute's spelling of the same: "Ampere", "Ada Lovelace"; "" when unknown.
std::string ArchitectureName(int major, int minor);

// An nvmlBrandType_t as go-nvlib's GetBrandAsString spells it ("Tesla", "Nvidia", "GeForceRTX");
// "" for a value it does not know.
std::string BrandName(int brand);

}  // namespace nvdp::device
