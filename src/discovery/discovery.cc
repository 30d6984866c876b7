#include "discovery/discovery.h"

#include "device/architecture.h"

#include <map>
#include <tuple>

#include "common/log.h"
#include "device/pci.h"
#include "discovery/mig_discovery.h"
#include "discovery/sysfs.h"

namespace nvdp::discovery {
namespace {

P2PLink FromTopologyLevel(nvmlGpuTopologyLevel_t level) {
  switch (level) {
    case NVML_TOPOLOGY_INTERNAL:
      return P2PLink::kSameBoard;
    case NVML_TOPOLOGY_SINGLE:
      return P2PLink::kSingleSwitch;
    case NVML_TOPOLOGY_MULTIPLE:
      return P2PLink::kMultiSwitch;
    case NVML_TOPOLOGY_HOSTBRIDGE:
      return P2PLink::kHostBridge;
    case NVML_TOPOLOGY_NODE:
      return P2PLink::kSameCpu;
    case NVML_TOPOLOGY_SYSTEM:
      return P2PLink::kCrossCpu;
  }
  return P2PLink::kUnknown;
}

// Reads every attribute; the first failure is kept in gpu.problem and the rest still tried.
void ReadAttributes(const nvml::Nvml& nvml, nvmlDevice_t handle, GpuInfo& gpu,
                    const DiscoveryOptions& options) {
  auto attempt = [&](auto&& read) {
    try {
      read();
    } catch (const nvml::NvmlError& error) {
      if (gpu.problem.empty()) gpu.problem = error.what();
    }
  };
  attempt([&] { gpu.name = nvml.Name(handle); });
  attempt([&] {
    nvmlPciInfo_t pci = nvml.PciInfo(handle);
    gpu.pci_bus_id = pci.busId;
    gpu.pci_device_id = pci.pciDeviceId;
  });
  attempt([&] { gpu.minor = nvml.MinorNumber(handle); });
  attempt([&] { gpu.memory_bytes = nvml.MemoryInfo(handle).total; });
  attempt([&] { std::tie(gpu.cc_major, gpu.cc_minor) = nvml.ComputeCapability(handle); });
  try {  // optional: a driver without it, or a GPU that cannot say, leaves it empty
    gpu.brand = device::BrandName(nvml.Brand(handle));
  } catch (const nvml::NvmlError&) {
  }
  if (!gpu.pci_bus_id.empty()) {
    gpu.drm_nodes = ReadDrmNodes(options.sysfs_roots, gpu.pci_bus_id);
    gpu.pcie_root = ReadPcieRoot(options.sysfs_roots, gpu.pci_bus_id);
    NumaLookup numa = ReadNumaNode(options.sysfs_roots, gpu.pci_bus_id);
    gpu.numa_node = numa.node;
    if (!numa.problem.empty()) {
      LOG_WARNING("GPU {} ({}): NUMA node unknown: {}", gpu.index, gpu.uuid, numa.problem);
    }
  }
}

void ReadLinks(const nvml::Nvml& nvml, const std::vector<nvmlDevice_t>& handles,
               const std::vector<GpuInfo>& gpus, LinkMatrix& links) {
  const nvml::Api& api = nvml.api();
  const size_t n = gpus.size();
  if (api.DeviceGetTopologyCommonAncestor != nullptr) {
    for (size_t a = 0; a < n; ++a) {
      for (size_t b = a + 1; b < n; ++b) {
        if (!gpus[a].problem.empty() || !gpus[b].problem.empty()) continue;
        nvmlGpuTopologyLevel_t level{};
        nvmlReturn_t ret = api.DeviceGetTopologyCommonAncestor(handles[a], handles[b], &level);
        if (ret == NVML_SUCCESS) {
          links.SetP2P(a, b, FromTopologyLevel(level));
        } else {
          LOG_WARNING("PCIe topology between GPU {} and {} unknown: {}", gpus[a].index,
                      gpus[b].index, nvml.ErrorString(ret));
        }
      }
    }
  }
  if (api.DeviceGetNvLinkState == nullptr || api.DeviceGetNvLinkRemotePciInfo == nullptr) return;

  std::map<std::string, size_t> position_by_bus_id;
  for (size_t i = 0; i < n; ++i) position_by_bus_id[device::NormalizeBusId(gpus[i].pci_bus_id)] = i;

  for (size_t a = 0; a < n; ++a) {
    if (!gpus[a].problem.empty()) continue;
    std::vector<int> counts(n, 0);
    int to_switch = 0;
    for (unsigned link = 0; link < NVML_NVLINK_MAX_LINKS; ++link) {
      nvmlEnableState_t state = NVML_FEATURE_DISABLED;
      nvmlReturn_t ret = api.DeviceGetNvLinkState(handles[a], link, &state);
      if (ret == NVML_ERROR_NOT_SUPPORTED || ret == NVML_ERROR_INVALID_ARGUMENT) continue;
      if (ret != NVML_SUCCESS) {
        LOG_WARNING("GPU {}: NVLink {} state unknown: {}", gpus[a].index, link,
                    nvml.ErrorString(ret));
        continue;
      }
      if (state != NVML_FEATURE_ENABLED) continue;
      nvmlPciInfo_t remote{};
      ret = api.DeviceGetNvLinkRemotePciInfo(handles[a], link, &remote);
      if (ret != NVML_SUCCESS) continue;
      auto it = position_by_bus_id.find(device::NormalizeBusId(remote.busId));
      if (it != position_by_bus_id.end() && it->second != a) {
        ++counts[it->second];
      } else {
        ++to_switch;
      }
    }
    for (size_t b = 0; b < n; ++b) links.SetNvLinks(a, b, counts[b]);
    links.SetSwitchNvLinks(a, to_switch);
  }
}

}  // namespace

bool IsDisplayGpu(const std::string& name) {
  return name == "DGX Display" || name == "NVIDIA DGX Display";
}

Inventory Discover(const nvml::Nvml& nvml, const DiscoveryOptions& options) {
  Inventory inventory;
  inventory.nvml_library = nvml.library().path();
  inventory.driver_version = nvml.DriverVersion();
  try {
    inventory.cuda_driver_version = nvml.CudaDriverVersion();
  } catch (const nvml::NvmlError& error) {
    LOG_WARNING("CUDA driver version unknown: {}", error.what());
  }

  std::vector<nvmlDevice_t> handles;
  const unsigned count = nvml.DeviceCount();
  for (unsigned index = 0; index < count; ++index) {
    GpuInfo gpu;
    gpu.index = index;
    nvmlDevice_t handle = nullptr;
    try {
      handle = nvml.DeviceByIndex(index);
      gpu.uuid = nvml.Uuid(handle);
    } catch (const nvml::NvmlError& error) {
      LOG_ERROR("GPU {} cannot be identified and is left out: {}", index, error.what());
      inventory.unreadable.push_back("index " + std::to_string(index) + ": " + error.what());
      continue;
    }
    ReadAttributes(nvml, handle, gpu, options);
    if (IsDisplayGpu(gpu.name)) continue;
    if (gpu.problem.empty()) DiscoverMig(nvml, handle, gpu, inventory.unreadable);
    if (!gpu.problem.empty()) {
      LOG_ERROR("GPU {} ({}) failed at start and is advertised as Unhealthy: {}", index, gpu.uuid,
                gpu.problem);
    }
    inventory.gpus.push_back(std::move(gpu));
    handles.push_back(handle);
  }

  inventory.links = LinkMatrix(inventory.gpus.size());
  if (options.links) ReadLinks(nvml, handles, inventory.gpus, inventory.links);
  return inventory;
}

}  // namespace nvdp::discovery
