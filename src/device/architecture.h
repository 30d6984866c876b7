// A GPU's architecture from its CUDA compute capability.
#pragma once

#include <string>

namespace nvdp::device {

// GFD's family label (spec §7.4): "ampere" for 8.0, "undefined" for what the table does not know.
std::string GpuFamily(int major, int minor);
// The DRA attribute's spelling of the same: "Ampere", "Ada Lovelace"; "" when unknown.
std::string ArchitectureName(int major, int minor);

}  // namespace nvdp::device
