#include "plugin/allocate.h"

#include <algorithm>

#include "common/strings.h"

namespace nvdp::plugin {

std::string StripReplicaSuffix(const std::string& id) {
  size_t separator = id.find("::");
  return separator == std::string::npos ? id : id.substr(0, separator);
}

ContainerAllocation BuildContainerAllocation(const Resource& resource,
                                             const std::vector<std::string>& requested_ids,
                                             const AllocateOptions& options) {
  const std::string prefix = "invalid allocation request for \"" + resource.name + "\": ";
  if (requested_ids.empty()) throw RequestError(prefix + "no devices requested");
  std::vector<std::string> visible;
  for (const std::string& id : requested_ids) {
    const AllocatableDevice* device = resource.Find(id);
    if (device == nullptr) throw RequestError(prefix + "invalid request: unknown device: " + id);
    std::string name =
        options.id_strategy == DeviceIdStrategy::kUuid ? StripReplicaSuffix(id) : device->index;
    // Duplicates (e.g. two replicas of one GPU) collapse, keeping the first-seen order.
    if (std::find(visible.begin(), visible.end(), name) == visible.end()) {
      visible.push_back(std::move(name));
    }
  }
  ContainerAllocation allocation;
  allocation.envs["NVIDIA_VISIBLE_DEVICES"] = Join(visible, ",");
  return allocation;
}

}  // namespace nvdp::plugin
