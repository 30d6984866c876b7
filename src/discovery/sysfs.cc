#include "discovery/sysfs.h"

#include <glob.h>

#include <filesystem>

#include "common/fs.h"
#include "common/paths.h"
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

std::vector<std::string> ReadDrmNodes(const std::vector<std::string>& sysfs_roots,
                                      std::string_view bus_id) {
  const std::string relative = "/bus/pci/devices/" + device::NormalizeBusId(bus_id);
  for (const std::string& root : sysfs_roots) {
    if (!IsDirectory(root + relative)) continue;
    std::vector<std::string> nodes;
    for (const char* kind : {"card", "renderD"}) {
      const std::string pattern = root + relative + "/drm/" + kind + "*";
      glob_t matches{};
      if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
        for (size_t i = 0; i < matches.gl_pathc; ++i) {
          const std::string path = matches.gl_pathv[i];
          nodes.push_back("/dev/dri/" + path.substr(path.rfind('/') + 1));
        }
      }
      globfree(&matches);
    }
    return nodes;
  }
  return {};
}

std::string ReadPcieRoot(const std::vector<std::string>& sysfs_roots, std::string_view bus_id) {
  const std::string relative = "/bus/pci/devices/" + device::NormalizeBusId(bus_id);
  for (const std::string& root : sysfs_roots) {
    std::error_code error;
    const std::filesystem::path resolved = std::filesystem::canonical(root + relative, error);
    if (error) continue;
    for (const auto& part : resolved) {
      const std::string name = part.string();
      // pci0000:00 or, on machines with many segments, pci0000:3a
      if (name.size() == 10 && name.starts_with("pci") && name[7] == ':') return name;
    }
    return "";
  }
  return "";
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
