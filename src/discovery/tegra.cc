#include "discovery/tegra.h"

#include <algorithm>
#include <cctype>

#include "common/fs.h"
#include "common/paths.h"

namespace nvdp::discovery {

bool HasTegraMarkers(const std::string& driver_root) {
  if (PathExists(JoinRoot(driver_root, "/etc/nv_tegra_release"))) return true;
  std::optional<std::string> read =
      ReadAttribute(JoinRoot(driver_root, "/sys/devices/soc0/family"));
  if (!read) return false;
  std::string family = *read;
  std::transform(family.begin(), family.end(), family.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return family.starts_with("tegra");
}

bool AllIntegratedGpus(const std::vector<device::GpuInfo>& gpus) {
  if (gpus.empty()) return false;
  return std::all_of(gpus.begin(), gpus.end(), [](const device::GpuInfo& gpu) {
    return gpu.name.find("(nvgpu)") != std::string::npos ||
           gpu.name.find("NVIDIA Thor") != std::string::npos;
  });
}

device::Inventory TegraInventory() {
  device::Inventory inventory;
  inventory.tegra = true;
  inventory.driver_version = "unknown";
  device::GpuInfo gpu;
  gpu.uuid = "tegra";
  gpu.name = "tegra";
  inventory.gpus.push_back(gpu);
  inventory.links = device::LinkMatrix(1);
  return inventory;
}

}  // namespace nvdp::discovery
