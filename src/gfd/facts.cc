#include "gfd/facts.h"

#include <filesystem>

#include "common/fs.h"
#include "common/strings.h"
#include "device/discovery.h"
#include "device/pci.h"

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

// §7.6: the v1 call when the driver has it, else the versioned one with the v2 struct.
FabricInfo ReadFabric(const nvml::Nvml& nvml, const std::string& uuid) {
  const nvml::Api& api = nvml.api();
  FabricInfo fabric;
  if (!api.DeviceGetGpuFabricInfo && !api.DeviceGetGpuFabricInfoV) return fabric;
  nvmlDevice_t device = nvml.DeviceByUuid(uuid);
  unsigned char cluster[NVML_GPU_FABRIC_UUID_LEN] = {};
  nvmlReturn_t status = NVML_SUCCESS;
  unsigned clique = 0, state = 0;
  nvmlReturn_t ret;
  const char* function;
  if (api.DeviceGetGpuFabricInfo) {
    function = "nvmlDeviceGetGpuFabricInfo";
    nvmlGpuFabricInfo_t info{};
    ret = api.DeviceGetGpuFabricInfo(device, &info);
    std::copy(info.clusterUuid, info.clusterUuid + NVML_GPU_FABRIC_UUID_LEN, cluster);
    status = info.status;
    clique = info.cliqueId;
    state = info.state;
  } else {
    function = "nvmlDeviceGetGpuFabricInfoV";
    nvmlGpuFabricInfo_v2_t info{};
    info.version = nvmlGpuFabricInfo_v2;
    ret = api.DeviceGetGpuFabricInfoV(device, &info);
    std::copy(info.clusterUuid, info.clusterUuid + NVML_GPU_FABRIC_UUID_LEN, cluster);
    status = info.status;
    clique = info.cliqueId;
    state = info.state;
  }
  if (ret == NVML_ERROR_NOT_SUPPORTED) return fabric;
  if (ret != NVML_SUCCESS) {
    throw LabelError("error creating IMEX labeler: " + std::string(function) + " for " + uuid +
                     ": " + nvml.ErrorString(ret));
  }
  fabric.attached =
      state == NVML_GPU_FABRIC_STATE_COMPLETED && status == NVML_SUCCESS && !AllZero(cluster);
  fabric.cluster_uuid = FormatUuid(cluster);
  fabric.clique_id = clique;
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
  device::DiscoveryOptions discovery;
  discovery.sysfs_roots = sources.sysfs_roots;
  discovery.links = false;
  device::Inventory inventory = device::Discover(nvml, discovery);

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
