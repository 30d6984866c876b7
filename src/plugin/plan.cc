#include "plugin/plan.h"

#include <algorithm>

#include "resource/resource.h"

namespace nvdp::plugin {

AllocateOptions AllocateOptionsFrom(const Options& options, const NodeFacts& facts) {
  AllocateOptions allocate;
  allocate.id_strategy = options.device_id_strategy;
  allocate.envvar = options.device_list_strategy.envvar;
  allocate.volume_mounts = options.device_list_strategy.volume_mounts;
  allocate.cdi_annotations = options.device_list_strategy.cdi_annotations;
  allocate.cdi_cri = options.device_list_strategy.cdi_cri;
  allocate.cdi_annotation_prefix = options.cdi_annotation_prefix;
  const config::ReplicatedResources* shared = options.config.sharing.replicated();
  allocate.fail_requests_greater_than_one = shared && shared->fail_requests_greater_than_one;
  allocate.pass_device_specs = options.pass_device_specs;
  allocate.dev_root = options.dev_root;
  allocate.gdrcopy = options.gdrcopy_enabled;
  allocate.gds = options.gds_enabled;
  allocate.mofed = options.mofed_enabled;
  allocate.mps_host_root = options.mps_root;
  allocate.control_nodes = facts.control_nodes;
  allocate.imex_channels = facts.imex_channels;
  return allocate;
}

health::HealthSettings HealthSettingsFrom(const Options& options) {
  health::HealthSettings settings;
  settings.filter =
      health::XidFilter::FromSettings(options.disable_healthchecks, options.enable_healthchecks);
  settings.recovery_period = options.health_recovery_period;
  settings.probe_interval = options.health_probe_interval;
  return settings;
}

cdi::GpuSpecSettings CdiSettingsFrom(const Options& options) {
  cdi::GpuSpecSettings settings;
  settings.roots =
      cdi::Roots::Resolve(options.container_driver_root, options.driver_root, options.dev_root);
  settings.hook_path = options.nvidia_cdi_hook_path;
  settings.index_names = options.device_id_strategy == DeviceIdStrategy::kIndex;
  settings.disabled_hooks = options.cdi_disabled_hooks;
  return settings;
}

Plan BuildPlan(const Options& options, const NodeFacts& facts) {
  Plan plan;
  plan.config = options.config;
  plan.config.resources =
      resource::ResourceRules(options.mig_strategy, facts.inventory, options.config);
  const bool any_mig = std::any_of(facts.inventory.gpus.begin(), facts.inventory.gpus.end(),
                                   [](const device::GpuInfo& g) { return !g.mig_devices.empty(); });
  const bool mig_strategy = options.mig_strategy != config::MigStrategy::kNone;
  if (options.pass_device_specs && mig_strategy && any_mig && !facts.mig_caps) {
    throw ResourceError(
        "--pass-device-specs needs the MIG capability devices, but "
        "/proc/driver/nvidia-caps/mig-minors cannot be read");
  }
  if (facts.inventory.tegra) {
    // The MPS daemon reads the GPUs' memory and compute capability through NVML.
    if (!options.mps_root.empty()) {
      throw ResourceError("sharing using MPS is not supported on Tegra nodes");
    }
  }
  resource::ResourceSettings settings;
  settings.mig_strategy = options.mig_strategy;
  settings.rules = plan.config.resources;
  settings.replicated = options.config.sharing.replicated();
  settings.mig_caps = mig_strategy && facts.mig_caps ? &*facts.mig_caps : nullptr;
  settings.pattern_matching = options.resource_pattern_matching;
  plan.resources = resource::BuildResources(facts.inventory, settings);
  if (!options.mps_root.empty()) {
    for (const Resource& resource : plan.resources) {
      const bool any_shared =
          std::any_of(resource.devices.begin(), resource.devices.end(),
                      [](const AllocatableDevice& d) { return d.replicas > 0; });
      for (const AllocatableDevice& device : resource.devices) {
        if (device.mig) throw ResourceError("sharing using MPS is not supported for MIG devices");
        if (any_shared && device.replicas == 0) {
          throw ResourceError("sharing using MPS: '" + resource.name +
                              "' holds shared devices and " + device.id +
                              ", which is not shared; rename the shared ones ('rename') so that "
                              "each MPS resource has only shared devices");
        }
      }
    }
  }
  plan.allocate = AllocateOptionsFrom(options, facts);
  plan.pair_scores = std::make_shared<const alloc::PairScores>(facts.inventory.links);
  plan.preference.scores = plan.pair_scores.get();
  plan.preference.shared_policy = options.shared_devices_allocation_policy;
  plan.inventory = facts.inventory;
  return plan;
}

std::vector<health::WatchedGpu> WatchedGpus(const Plan& plan) {
  std::vector<health::WatchedGpu> gpus;
  for (const device::GpuInfo& gpu : plan.inventory.gpus) gpus.push_back({gpu.uuid, {}});
  for (const Resource& resource : plan.resources) {
    for (const AllocatableDevice& device : resource.devices) {
      if (!device.mig) continue;
      for (health::WatchedGpu& gpu : gpus) {
        if (gpu.uuid != device.gpu_uuid) continue;
        bool known =
            std::any_of(gpu.migs.begin(), gpu.migs.end(),
                        [&](const health::WatchedMig& m) { return m.uuid == device.mig_uuid; });
        if (!known)
          gpu.migs.push_back({device.mig_uuid, device.gpu_instance, device.compute_instance});
      }
    }
  }
  return gpus;
}

}  // namespace nvdp::plugin
