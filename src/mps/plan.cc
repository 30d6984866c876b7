#include "mps/plan.h"

#include <algorithm>
#include <map>

#include "mps/control.h"

namespace nvdp::mps {

int MaxClients(int cc_major, int cc_minor) {
  return (cc_major > 7 || (cc_major == 7 && cc_minor >= 5)) ? 48 : 16;
}

std::vector<DaemonPlan> PlanDaemons(const std::vector<resource::Resource>& resources,
                                    const device::Inventory& inventory) {
  std::vector<DaemonPlan> plans;
  for (const resource::Resource& resource : resources) {
    const bool replicated =
        std::any_of(resource.devices.begin(), resource.devices.end(),
                    [](const resource::AllocatableDevice& d) { return d.replicas > 0; });
    if (!replicated) continue;
    DaemonPlan plan;
    plan.resource = resource.name;
    std::map<std::string, int> replicas_per_index;
    std::vector<const resource::AllocatableDevice*> first_of_index;
    for (const resource::AllocatableDevice& device : resource.devices) {
      if (device.mig) {
        throw MpsError("sharing using MPS is not supported for MIG devices (" + resource.name +
                       " holds MIG device " + device.mig_uuid + ")");
      }
      if (device.replicas == 0) {
        throw MpsError("sharing using MPS: " + resource.name + " holds shared devices and " +
                       device.id + ", which is not shared; rename the shared ones");
      }
      if (std::find(plan.uuids.begin(), plan.uuids.end(), device.gpu_uuid) == plan.uuids.end()) {
        plan.uuids.push_back(device.gpu_uuid);
      }
      if (replicas_per_index[device.index]++ == 0) first_of_index.push_back(&device);
    }
    for (const resource::AllocatableDevice* device : first_of_index) {
      const device::GpuInfo& gpu = inventory.gpus.at(device->gpu_position);
      const int replicas = replicas_per_index[device->index];
      const int max = MaxClients(gpu.cc_major, gpu.cc_minor);
      if (replicas > max) {
        throw MpsError("invalid device " + gpu.uuid + " (" + resource.name +
                       "): maximum allowed replicas exceeded: " + std::to_string(replicas) + " > " +
                       std::to_string(max) + " (compute capability " +
                       std::to_string(gpu.cc_major) + "." + std::to_string(gpu.cc_minor) + ")");
      }
      if (gpu.memory_bytes == 0) continue;
      plan.pinned_limits.push_back(
          {device->index, gpu.memory_bytes / static_cast<unsigned long long>(replicas) >> 20});
    }
    // One percentage per daemon: the GPU with the most replicas sets it (--sharing-per-device
    // can give the GPUs of one resource different counts), so no client exceeds its share.
    int most = 1;
    for (const auto& [index, replicas] : replicas_per_index) most = std::max(most, replicas);
    plan.active_thread_percentage = 100 / most;
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace nvdp::mps
