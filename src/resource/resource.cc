#include "resource/resource.h"

#include <algorithm>
#include <map>

#include "common/log.h"
#include "config/resource_name.h"

namespace nvdp::resource {
namespace {

using device::GpuInfo;
using device::MigDeviceInfo;

const std::string* MatchRule(const std::vector<config::ResourceRule>& rules,
                             const std::string& text, config::PatternMatching matching) {
  for (const config::ResourceRule& rule : rules) {
    if (config::PatternMatches(rule.pattern, text, matching)) return &rule.name;
  }
  return nullptr;
}

AllocatableDevice FullGpu(const GpuInfo& gpu, size_t position) {
  AllocatableDevice device;
  device.id = gpu.uuid;
  device.gpu_uuid = gpu.uuid;
  device.index = std::to_string(gpu.index);
  device.paths = {"/dev/nvidia" + std::to_string(gpu.minor)};
  device.numa_node = gpu.numa_node;
  device.gpu_position = position;
  return device;
}

AllocatableDevice MigDevice(const GpuInfo& gpu, size_t position, const MigDeviceInfo& mig,
                            const device::MigCaps* caps) {
  AllocatableDevice device;
  device.id = mig.uuid;
  device.gpu_uuid = gpu.uuid;
  device.mig_uuid = mig.uuid;
  device.gpu_instance = mig.gpu_instance;
  device.compute_instance = mig.compute_instance;
  device.index = std::to_string(gpu.index) + ":" + std::to_string(mig.index);
  device.paths = {"/dev/nvidia" + std::to_string(gpu.minor)};
  if (caps) {
    auto gi = caps->GpuInstancePath(gpu.minor, mig.gpu_instance);
    auto ci = caps->ComputeInstancePath(gpu.minor, mig.gpu_instance, mig.compute_instance);
    if (!gi || !ci) {
      throw ResourceError("no MIG capability device for GPU instance " +
                          std::to_string(mig.gpu_instance) + " / compute instance " +
                          std::to_string(mig.compute_instance) + " of GPU " +
                          std::to_string(gpu.index) + " in mig-minors");
    }
    device.paths.push_back(*gi);
    device.paths.push_back(*ci);
  }
  device.numa_node = gpu.numa_node;
  device.gpu_position = position;
  device.mig = true;
  return device;
}

using DeviceMap = std::map<std::string, std::vector<AllocatableDevice>>;

void AddFullGpu(DeviceMap& map, const ResourceSettings& settings, const GpuInfo& gpu,
                size_t position, bool tegra) {
  const std::string* name = MatchRule(settings.rules.gpus, gpu.name, settings.pattern_matching);
  if (!name)
    throw ResourceError("GPU name '" + gpu.name + "' does not match any resource patterns");
  AllocatableDevice device = FullGpu(gpu, position);
  if (tegra) {  // the container toolkit's CSV files name its device nodes
    device.paths.clear();
    device.integrated = true;
  }
  map[*name].push_back(std::move(device));
}

void AddMigDevices(DeviceMap& map, const ResourceSettings& settings, const GpuInfo& gpu,
                   size_t position) {
  for (const MigDeviceInfo& mig : gpu.mig_devices) {
    const std::string* name = MatchRule(settings.rules.mig, mig.profile, settings.pattern_matching);
    if (!name) {
      throw ResourceError("MIG profile '" + mig.profile + "' does not match any resource patterns");
    }
    map[*name].push_back(MigDevice(gpu, position, mig, settings.mig_caps));
  }
}

// WSL2: the GPUs share /dev/dxg; one device "all" stands for them (upstream v0.19.1).
DeviceMap WslDeviceMap(const device::Inventory& inventory, const ResourceSettings& settings) {
  DeviceMap map;
  if (inventory.gpus.empty()) return map;
  const GpuInfo& first = inventory.gpus.front();
  const std::string* name = MatchRule(settings.rules.gpus, first.name, settings.pattern_matching);
  if (!name)
    throw ResourceError("GPU name '" + first.name + "' does not match any resource patterns");
  AllocatableDevice device = FullGpu(first, 0);
  device.id = "all";
  device.index = "all";
  device.paths = {"/dev/dxg"};
  device.integrated = true;  // nothing to choose between
  map[*name].push_back(std::move(device));
  return map;
}

DeviceMap BuildDeviceMap(const device::Inventory& inventory, const ResourceSettings& settings) {
  if (inventory.wsl) return WslDeviceMap(inventory, settings);
  DeviceMap full, mig;
  using config::MigStrategy;
  const MigStrategy strategy = settings.mig_strategy;
  for (size_t position = 0; position < inventory.gpus.size(); ++position) {
    const GpuInfo& gpu = inventory.gpus[position];
    if (strategy == MigStrategy::kNone || !gpu.mig_enabled) {
      AddFullGpu(full, settings, gpu, position, inventory.tegra);
      continue;
    }
    if (gpu.mig_devices.empty()) {
      if (strategy == MigStrategy::kSingle) {
        throw ResourceError("device " + std::to_string(gpu.index) +
                            " has no MIG devices configured");
      }
      LOG_WARNING("GPU {} ({}) is MIG-enabled but has no MIG devices", gpu.index, gpu.uuid);
      continue;
    }
    AddMigDevices(mig, settings, gpu, position);
  }
  if (strategy == MigStrategy::kSingle) {
    const MigDeviceInfo* first = nullptr;
    for (const GpuInfo& gpu : inventory.gpus) {
      if (!gpu.mig_enabled) continue;
      for (const MigDeviceInfo& device : gpu.mig_devices) {
        if (!first) first = &device;
        if (!(device.attributes == first->attributes)) {
          throw ResourceError("more than one MIG device type present on node");
        }
      }
    }
    if (!full.empty() && !mig.empty()) {
      throw ResourceError(
          "all devices on the node must be configured with the same migEnabled value");
    }
  }
  for (auto& [name, devices] : mig) {
    auto& target = full[name];
    target.insert(target.end(), devices.begin(), devices.end());
  }
  return full;
}

std::vector<AllocatableDevice> Replicate(const std::vector<AllocatableDevice>& devices,
                                         int replicas) {
  std::vector<AllocatableDevice> copies;
  for (const AllocatableDevice& device : devices) {
    for (int n = 0; n < replicas; ++n) {
      AllocatableDevice copy = device;
      copy.id = device.id + "::" + std::to_string(n);
      copy.replicas = replicas;
      copies.push_back(std::move(copy));
    }
  }
  return copies;
}

// The positions in `devices` that `shared` replicates, of those no earlier entry took: all, the
// first `count`, or the listed indices and UUIDs (spec §2.4; upstream parses these and, without
// --sharing-per-device, so does this: Finalize makes every entry "all").
std::vector<size_t> SelectDevices(const config::ReplicatedResource& shared,
                                  const std::vector<AllocatableDevice>& devices,
                                  const std::vector<bool>& taken) {
  using Kind = config::ReplicatedDevices::Kind;
  std::vector<size_t> chosen;
  if (shared.devices.kind == Kind::kAll || shared.devices.kind == Kind::kCount) {
    for (size_t position = 0; position < devices.size(); ++position) {
      if (!taken[position]) chosen.push_back(position);
    }
    if (shared.devices.kind == Kind::kCount) {
      const size_t count = static_cast<size_t>(shared.devices.count);
      if (count > chosen.size()) {
        throw ResourceError("unable to get IDs of devices to replicate for '" + shared.name +
                            "' resource: requested " + std::to_string(count) +
                            " devices to be replicated, but only " + std::to_string(chosen.size()) +
                            " devices available");
      }
      chosen.resize(count);
    }
    return chosen;
  }
  for (const std::string& reference : shared.devices.list) {
    const bool by_uuid = reference.starts_with("GPU-") || reference.starts_with("MIG-");
    size_t position = 0;
    while (position < devices.size() &&
           (by_uuid ? devices[position].id : devices[position].index) != reference) {
      ++position;
    }
    if (position == devices.size()) {
      throw ResourceError("unable to get IDs of devices to replicate for '" + shared.name +
                          "' resource: no matching device " +
                          (by_uuid ? "with UUID: " : "at index: ") + reference);
    }
    if (taken[position] || std::find(chosen.begin(), chosen.end(), position) != chosen.end()) {
      throw ResourceError("device " + reference + " of '" + shared.name +
                          "' is listed by more than one sharing entry");
    }
    chosen.push_back(position);
  }
  return chosen;
}

}  // namespace

const AllocatableDevice* Resource::Find(std::string_view id) const {
  for (const AllocatableDevice& device : devices) {
    if (device.id == id) return &device;
  }
  return nullptr;
}

std::string MixedMigResourceName(std::string_view profile) {
  std::string name(profile);
  std::replace(name.begin(), name.end(), '+', '.');
  return std::string(config::kResourcePrefix) + "mig-" + name;
}

config::Resources DefaultResourceRules(config::MigStrategy mig_strategy,
                                       const device::Inventory& inventory) {
  const std::string gpu = std::string(config::kResourcePrefix) + "gpu";
  config::Resources rules;
  rules.gpus.push_back({"*", gpu});
  if (mig_strategy == config::MigStrategy::kSingle) rules.mig.push_back({"*", gpu});
  if (mig_strategy == config::MigStrategy::kMixed) {
    for (const GpuInfo& info : inventory.gpus) {
      for (const std::string& profile : info.mig_profiles) {
        bool seen =
            std::any_of(rules.mig.begin(), rules.mig.end(),
                        [&](const config::ResourceRule& r) { return r.pattern == profile; });
        if (!seen) rules.mig.push_back({profile, MixedMigResourceName(profile)});
      }
    }
  }
  return rules;
}

config::Resources ResourceRules(config::MigStrategy mig_strategy,
                                const device::Inventory& inventory, const config::Config& config) {
  config::Resources rules = DefaultResourceRules(mig_strategy, inventory);
  if (config.sharing.per_device) {
    if (!config.resources.gpus.empty()) rules.gpus = config.resources.gpus;
    if (!config.resources.mig.empty()) rules.mig = config.resources.mig;
  }
  return rules;
}

std::vector<Resource> BuildResources(const device::Inventory& inventory,
                                     const ResourceSettings& settings) {
  DeviceMap devices = BuildDeviceMap(inventory, settings);
  DeviceMap result;
  // Per resource, which of its devices an entry has replicated (by position in its list).
  std::map<std::string, std::vector<bool>> claimed;
  if (settings.replicated) {
    for (const config::ReplicatedResource& shared : settings.replicated->resources) {
      auto it = devices.find(shared.name);
      if (it == devices.end() || it->second.empty()) continue;
      std::vector<bool>& taken = claimed.try_emplace(shared.name, it->second.size()).first->second;
      const std::vector<size_t> chosen = SelectDevices(shared, it->second, taken);
      std::vector<AllocatableDevice> selected;
      for (size_t position : chosen) {
        taken[position] = true;
        selected.push_back(it->second[position]);
      }
      if (selected.empty()) continue;
      const std::string& name = shared.rename.value_or(shared.name);
      auto& target = result[name];
      const size_t total = target.size() + selected.size() * static_cast<size_t>(shared.replicas);
      if (total > kMaxAdvertisedDevices) {
        throw ResourceError("'" + name + "' would advertise " + std::to_string(total) +
                            " devices (" + std::to_string(selected.size()) + " x " +
                            std::to_string(shared.replicas) + " replicas); the limit is " +
                            std::to_string(kMaxAdvertisedDevices) + " per resource");
      }
      auto copies = Replicate(selected, shared.replicas);
      target.insert(target.end(), copies.begin(), copies.end());
    }
  }
  // What no entry replicated keeps its resource, unshared.
  for (auto& [name, list] : devices) {
    const auto taken = claimed.find(name);
    auto& target = result[name];
    for (size_t position = 0; position < list.size(); ++position) {
      if (taken == claimed.end() || !taken->second[position]) target.push_back(list[position]);
    }
  }
  std::vector<Resource> resources;
  for (auto& [name, list] : result) {
    if (!list.empty()) resources.push_back({name, std::move(list)});
  }
  return resources;
}

}  // namespace nvdp::resource
