#include "discovery/sysfs.h"

#include "common/fs.h"
#include "common/strings.h"
#include "device/pci.h"

namespace nvdp::discovery {

NumaLookup ReadNumaNode(const std::vector<std::string>& sysfs_roots, std::string_view bus_id) {
  const std::string relative = "/bus/pci/devices/" + device::NormalizeBusId(bus_id) + "/numa_node";
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

std::optional<device::MigCaps> LoadMigCaps(const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (auto text = ReadAttribute(root + "/proc/driver/nvidia-caps/mig-minors")) {
      return device::MigCaps::Parse(*text);
    }
  }
  return std::nullopt;
}

}  // namespace nvdp::discovery
