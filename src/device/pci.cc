#include "device/pci.h"

#include "common/strings.h"

namespace nvdp::device {

std::string NormalizeBusId(std::string_view bus_id) {
  std::string id = ToLower(bus_id);
  if (id != "0000" && id.starts_with("0000")) id.erase(0, 4);
  return id;
}

}  // namespace nvdp::device
