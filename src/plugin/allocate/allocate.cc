#include "plugin/allocate/allocate.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "cdi/spec.h"

#include "common/strings.h"

namespace nvdp::plugin {

std::string StripReplicaSuffix(const std::string& id) {
  size_t separator = id.find("::");
  return separator == std::string::npos ? id : id.substr(0, separator);
}

std::string CdiAnnotationKey(const std::string& prefix) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const unsigned long long high = random(), low = random();
  char uuid[40];
  // Version 4, variant 10xx.
  std::snprintf(uuid, sizeof uuid, "%08llx-%04llx-4%03llx-%04llx-%012llx", high >> 32,
                (high >> 16) & 0xFFFF, high & 0xFFF, (low >> 48 & 0x3FFF) | 0x8000,
                low & 0xFFFFFFFFFFFFULL);
  return prefix + "nvidia-device-plugin_" + uuid;
}

ContainerAllocation BuildContainerAllocation(const Resource& resource,
                                             const std::vector<std::string>& requested_ids,
                                             const AllocateOptions& options) {
  const std::string prefix =
      "invalid allocation request for \"" + resource.name + "\": invalid request: ";
  if (requested_ids.empty()) throw RequestError(prefix + "no devices requested");
  std::vector<const AllocatableDevice*> devices;
  bool shared = false;
  for (const std::string& id : requested_ids) {
    const AllocatableDevice* device = resource.Find(id);
    if (device == nullptr) throw RequestError(prefix + "unknown device: " + PrintableInput(id));
    shared = shared || id.find("::") != std::string::npos;
    devices.push_back(device);
  }
  if (shared && options.fail_requests_greater_than_one && requested_ids.size() > 1) {
    throw RequestError(prefix + "maximum request size for shared resources is 1; found " +
                       std::to_string(requested_ids.size()));
  }

  // Replicas of one GPU name it once; first-seen order.
  std::vector<std::string> ids;
  for (const AllocatableDevice* device : devices) {
    std::string name = options.id_strategy == DeviceIdStrategy::kUuid
                           ? StripReplicaSuffix(device->id)
                           : device->index;
    if (std::find(ids.begin(), ids.end(), name) == ids.end()) ids.push_back(std::move(name));
  }

  ContainerAllocation allocation;
  const bool cdi = options.cdi_annotations || options.cdi_cri;
  if (cdi) {
    std::vector<std::string> names;
    for (const std::string& id : ids) names.push_back(cdi::QualifiedName("gpu", id));
    for (const std::string& channel : options.imex_channels) {
      names.push_back(cdi::QualifiedName("imex-channel", channel));
    }
    for (const std::string& mode : options.cdi_modes) {
      names.push_back(cdi::QualifiedName(mode, "all"));
    }
    if (options.cdi_annotations) {
      allocation.annotations[CdiAnnotationKey(options.cdi_annotation_prefix)] = Join(names, ",");
    }
    if (options.cdi_cri) allocation.cdi_devices = names;
  }
  if (!options.mps_host_root.empty()) {
    const std::string pipe = "/" + resource.name + "/pipe";
    allocation.envs["CUDA_MPS_PIPE_DIRECTORY"] = kMpsContainerRoot + pipe;
    allocation.mounts.push_back(
        {kMpsContainerRoot + pipe, JoinRoot(options.mps_host_root, pipe), false});
    allocation.mounts.push_back({"/dev/shm", JoinRoot(options.mps_host_root, "/shm"), false});
  }
  // With every strategy, CDI-only ones too, as upstream v0.20 (v0.18 set them only with
  // envvar or volume-mounts).
  if (options.gdrcopy) allocation.envs["NVIDIA_GDRCOPY"] = "enabled";
  if (options.gds) allocation.envs["NVIDIA_GDS"] = "enabled";
  if (options.mofed) allocation.envs["NVIDIA_MOFED"] = "enabled";
  // With only CDI strategies the runtime does the rest from the CDI specs.
  if (cdi && !options.envvar && !options.volume_mounts) return allocation;
  if (options.envvar) {
    allocation.envs["NVIDIA_VISIBLE_DEVICES"] = Join(ids, ",");
    if (!options.imex_channels.empty()) {
      allocation.envs["NVIDIA_IMEX_CHANNELS"] = Join(options.imex_channels, ",");
    }
  }
  if (options.volume_mounts) {
    allocation.envs["NVIDIA_VISIBLE_DEVICES"] = kVolumeMountsRoot;
    for (const std::string& id : ids) {
      allocation.mounts.push_back({std::string(kVolumeMountsRoot) + "/" + id, "/dev/null", false});
    }
    for (const std::string& channel : options.imex_channels) {
      allocation.mounts.push_back(
          {std::string(kVolumeMountsRoot) + "/imex/" + channel, "/dev/null", false});
    }
  }
  if (options.pass_device_specs) {
    // Not de-duplicated, as upstream: two replicas of a GPU list its node twice.
    std::vector<std::string> paths = options.control_nodes;
    for (const AllocatableDevice* device : devices) {
      paths.insert(paths.end(), device->paths.begin(), device->paths.end());
    }
    for (const std::string& path : paths) {
      allocation.devices.push_back({path, JoinRoot(options.dev_root, path), "rw"});
    }
    for (const std::string& channel : options.imex_channels) {
      const std::string path = std::string(kImexChannelDir) + "/channel" + channel;
      allocation.devices.push_back({path, JoinRoot(options.dev_root, path), "rw"});
    }
  }
  return allocation;
}

}  // namespace nvdp::plugin
