// The MIG capability device nodes of GPU and compute instances, from the driver's
// /proc/driver/nvidia-caps/mig-minors (spec §4.5, "Device paths"). Lines look like
// "gpu0/gi3/access 30", "gpu0/gi3/ci0/access 31", "config 1", "monitor 2".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nvdp::device {

class MigCaps {
 public:
  // discovery::LoadMigCaps reads the file.
  static MigCaps Parse(const std::string& text);

  // /dev/nvidia-caps/nvidia-cap<minor>, or nullopt when the driver lists no such capability.
  std::optional<std::string> GpuInstancePath(unsigned gpu_minor, unsigned gi) const;
  std::optional<std::string> ComputeInstancePath(unsigned gpu_minor, unsigned gi,
                                                 unsigned ci) const;

 private:
  std::optional<std::string> Path(const std::string& key) const;
  std::map<std::string, int> minors_;
};

}  // namespace nvdp::device
