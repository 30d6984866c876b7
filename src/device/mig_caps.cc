#include "device/mig_caps.h"

#include <sstream>

namespace nvdp::device {

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
