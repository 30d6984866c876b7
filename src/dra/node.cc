#include "dra/node.h"

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "cdi/generate.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/strings.h"
#include "discovery/discovery.h"
#include "discovery/sysfs.h"
#include "nvml/library.h"
#include "nvml/nvml.h"

namespace nvdp::dra {

NodeDevices ReadNodeDevices(const Options& options) {
  NodeDevices node;
  try {
    node.nvml = std::make_shared<nvml::Nvml>(nvml::Library::Open(options.container_driver_root));
    nvml::Session session(*node.nvml);
    discovery::DiscoveryOptions discovery;
    discovery.sysfs_roots = HostRoots(options.container_driver_root, "/sys");
    discovery.links = false;  // DRA has no topology-aware preferred allocation
    node.inventory = discovery::Discover(*node.nvml, discovery);
  } catch (const nvml::NvmlError& failure) {
    throw std::runtime_error(std::string("NVML: ") + failure.what() +
                             ". Is the driver root mounted at " + options.container_driver_root +
                             "?");
  }
  for (const std::string& problem : node.inventory.unreadable) {
    LOG_WARNING("GPU {} is not published", problem);
  }
  node.devices = PublishedDevices(node.inventory);
  std::optional<device::MigCaps> caps;
  for (const device::GpuInfo& gpu : node.inventory.gpus) {
    if (!gpu.mig_enabled) continue;
    caps = discovery::LoadMigCaps(HostRoots(options.container_driver_root, ""));
    if (!caps) {
      throw std::runtime_error(
          "MIG is enabled, but proc/driver/nvidia-caps/mig-minors cannot be read under " +
          options.container_driver_root + " or /");
    }
    break;
  }
  cdi::GpuSpecSettings settings;
  settings.roots =
      cdi::Roots::Resolve(options.container_driver_root, options.driver_root, options.driver_root);
  if (!options.cdi_hook_path.empty()) settings.hook_path = options.cdi_hook_path;
  node.gpu_spec = cdi::GpuSpec(node.inventory, caps, settings);
  return node;
}

std::string ReadBootId() {
  const char* override_path = std::getenv("NVDP_DRA_BOOT_ID_FILE");
  const std::string path = override_path ? override_path : "/proc/sys/kernel/random/boot_id";
  return std::string(TrimSpace(ReadAttribute(path).value_or("")));
}

}  // namespace nvdp::dra
