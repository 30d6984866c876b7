#include "gfd/facts.h"

#include <filesystem>

#include "common/fs.h"
#include "common/strings.h"
#include "device/pci.h"
#include "discovery/discovery.h"

namespace nvdp::gfd {
namespace {

std::optional<std::string> ReadText(const std::string& path) {
  if (path.empty()) return std::nullopt;
  return ReadAttribute(path);
}

std::optional<unsigned> ReadPciClass(const std::string& sysfs_root, const std::string& bus_id) {
  if (sysfs_root.empty()) return std::nullopt;
  auto text =
      ReadText(sysfs_root + "/bus/pci/devices/" + device::NormalizeBusId(bus_id) + "/class");
  if (!text) return std::nullopt;
  try {
    size_t used = 0;
    std::string trimmed(TrimSpace(*text));
    unsigned long value = std::stoul(trimmed, &used, 16);
    if (used != trimmed.size()) return std::nullopt;
    return static_cast<unsigned>(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool AllZero(const unsigned char* bytes) {
  for (int i = 0; i < 16; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// §7.6.
FabricInfo ReadFabric(const nvml::Nvml& nvml, const std::string& uuid) {
  FabricInfo fabric;
  std::optional<nvml::FabricInfo> info;
  try {
    info = nvml.GpuFabricInfo(nvml.DeviceByUuid(uuid));
  } catch (const nvml::NvmlError& error) {
    throw LabelError("error creating IMEX labeler: " + error.function() + " for " + uuid + ": " +
                     nvml.ErrorString(error.code()));
  }
  if (!info) return fabric;
  fabric.attached = info->state == NVML_GPU_FABRIC_STATE_COMPLETED &&
                    info->status == NVML_SUCCESS && !AllZero(info->cluster_uuid);
  fabric.cluster_uuid = FormatUuid(info->cluster_uuid);
  fabric.clique_id = info->clique_id;
  return fabric;
}

}  // namespace

std::string PickSysfsRoot(const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    std::error_code error;
    if (std::filesystem::is_directory(root + "/bus/pci/devices", error)) return root;
  }
  return "";
}

NodeFacts ReadFacts(const nvml::Nvml& nvml, const FactSources& sources) {
  discovery::DiscoveryOptions discovery;
  discovery.sysfs_roots = sources.sysfs_roots;
  discovery.links = false;
  device::Inventory inventory = discovery::Discover(nvml, discovery);

  NodeFacts facts;
  facts.driver_version = inventory.driver_version;
  facts.cuda_driver_version = inventory.cuda_driver_version;
  const std::string sysfs = PickSysfsRoot(sources.sysfs_roots);
  for (device::GpuInfo& gpu : inventory.gpus) {
    facts.pci_classes.push_back(ReadPciClass(sysfs, gpu.pci_bus_id));
    facts.fabric.push_back(ReadFabric(nvml, gpu.uuid));
    facts.gpus.push_back(std::move(gpu));
  }
  facts.machine_type = ReadText(sources.machine_type_file);
  return facts;
}

}  // namespace nvdp::gfd
