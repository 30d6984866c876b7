#include "plugin/resource.h"

namespace nvdp::plugin {

const AllocatableDevice* Resource::Find(std::string_view id) const {
  for (const AllocatableDevice& device : devices) {
    if (device.id == id) return &device;
  }
  return nullptr;
}

std::string SocketName(std::string_view resource_name) {
  std::string_view name = resource_name;
  if (name.starts_with(kResourcePrefix)) name.remove_prefix(kResourcePrefix.size());
  return "nvidia-" + std::string(name) + ".sock";
}

std::vector<Resource> BuildResources(const device::Inventory& inventory) {
  Resource gpus{std::string(kResourcePrefix) + "gpu", {}};
  for (size_t position = 0; position < inventory.gpus.size(); ++position) {
    const device::GpuInfo& gpu = inventory.gpus[position];
    AllocatableDevice device;
    device.id = gpu.uuid;
    device.gpu_uuid = gpu.uuid;
    device.index = std::to_string(gpu.index);
    device.paths = {"/dev/nvidia" + std::to_string(gpu.minor)};
    device.numa_node = gpu.numa_node;
    device.gpu_position = position;
    gpus.devices.push_back(std::move(device));
  }
  std::vector<Resource> resources;
  if (!gpus.devices.empty()) resources.push_back(std::move(gpus));
  return resources;
}

}  // namespace nvdp::plugin
