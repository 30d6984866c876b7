// PCI bus ids as NVML and sysfs write them (spec §12.4).
#pragma once

#include <string>
#include <string_view>

namespace nvdp::device {

// Lowercase, and drop a leading "0000" of a 8-digit domain: "00000000:3B:00.0" -> "0000:3b:00.0".
// An id that is exactly "0000" is left alone.
std::string NormalizeBusId(std::string_view bus_id);

}  // namespace nvdp::device
