#include "device/mig_caps.h"

#include <sstream>

#include "common/fs.h"

namespace nvdp::device {

std::optional<MigCaps> MigCaps::Load(const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (auto text = ReadAttribute(root + "/proc/driver/nvidia-caps/mig-minors")) {
      return Parse(*text);
    }
  }
  return std::nullopt;
}

MigCaps MigCaps::Parse(const std::string& text) {
  MigCaps caps;
  std::istringstream lines(text);
  std::string key;
  int minor = 0;
  while (lines >> key >> minor) caps.minors_[key] = minor;
  return caps;
}

std::optional<std::string> MigCaps::Path(const std::string& key) const {
  auto it = minors_.find(key);
  if (it == minors_.end()) return std::nullopt;
  return "/dev/nvidia-caps/nvidia-cap" + std::to_string(it->second);
}

std::optional<std::string> MigCaps::GpuInstancePath(unsigned gpu_minor, unsigned gi) const {
  return Path("gpu" + std::to_string(gpu_minor) + "/gi" + std::to_string(gi) + "/access");
}

std::optional<std::string> MigCaps::ComputeInstancePath(unsigned gpu_minor, unsigned gi,
                                                        unsigned ci) const {
  return Path("gpu" + std::to_string(gpu_minor) + "/gi" + std::to_string(gi) + "/ci" +
              std::to_string(ci) + "/access");
}

}  // namespace nvdp::device
