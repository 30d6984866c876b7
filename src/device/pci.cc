#include "device/pci.h"

#include "common/fs.h"
#include "common/strings.h"

namespace nvdp::device {

std::string NormalizeBusId(std::string_view bus_id) {
  std::string id = ToLower(bus_id);
  if (id != "0000" && id.starts_with("0000")) id.erase(0, 4);
  return id;
}

NumaLookup ReadNumaNode(const std::vector<std::string>& sysfs_roots, std::string_view bus_id) {
  const std::string relative = "/bus/pci/devices/" + NormalizeBusId(bus_id) + "/numa_node";
  for (const std::string& root : sysfs_roots) {
    const std::optional<std::string> content = ReadAttribute(root + relative);
    if (!content) continue;
    long long node = 0;
    std::string text(TrimSpace(*content));
    if (!ParseInt64(text, &node)) {
      return {std::nullopt, "unexpected content \"" + text + "\" in " + root + relative};
    }
    if (node < 0) return {};
    return {static_cast<int>(node), ""};
  }
  return {};
}

}  // namespace nvdp::device
