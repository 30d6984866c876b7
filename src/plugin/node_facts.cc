#include "plugin/node_facts.h"

#include <unistd.h>

#include <algorithm>

#include "common/fs.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/strings.h"
#include "discovery/discovery.h"
#include "discovery/sysfs.h"
#include "discovery/tegra.h"
#include "plugin/allocate/imex.h"

namespace nvdp::plugin {
namespace {

device::Inventory ReadInventory(const Options& options, nvml::Nvml& nvml) {
  try {
    nvml::Session session(nvml);
    discovery::DiscoveryOptions discovery;
    discovery.sysfs_roots = HostRoots(options.container_driver_root, "/sys");
    return discovery::Discover(nvml, discovery);
  } catch (const nvml::NvmlError& failure) {
    throw AsNvmlUnavailable(failure, options.container_driver_root);
  }
}

// Upstream checks these in its own container; the container driver root's /dev shows the same
// host nodes, and a simulated root carries its own.
std::vector<std::string> ExistingControlNodes(const std::string& container_driver_root) {
  std::vector<std::string> nodes;
  for (const std::string& node : ControlDeviceNodes()) {
    for (const std::string& path : HostRoots(container_driver_root, node)) {
      if (access(path.c_str(), F_OK) == 0) {
        nodes.push_back(node);
        break;
      }
    }
  }
  return nodes;
}

}  // namespace

NvmlUnavailable AsNvmlUnavailable(const nvml::NvmlError& failure,
                                  const std::string& container_driver_root) {
  if (failure.code() == NVML_ERROR_LIBRARY_NOT_FOUND) {
    return NvmlUnavailable(std::string(failure.what()) +
                           ". Is the NVIDIA container runtime configured, and the driver root "
                           "mounted at " +
                           container_driver_root + "?");
  }
  return NvmlUnavailable(std::string("nvml init failed: ") + failure.what());
}

NodeFacts ReadTegraNodeFacts(const Options& options) {
  NodeFacts facts;
  facts.inventory = discovery::TegraInventory();
  facts.control_nodes = ExistingControlNodes(options.container_driver_root);
  return facts;
}

NodeFacts ReadNodeFacts(const Options& options, nvml::Nvml& nvml) {
  NodeFacts facts;
  facts.inventory = ReadInventory(options, nvml);
  const bool any_mig = std::any_of(facts.inventory.gpus.begin(), facts.inventory.gpus.end(),
                                   [](const device::GpuInfo& g) { return !g.mig_devices.empty(); });
  if (options.mig_strategy != config::MigStrategy::kNone ||
      (options.device_list_strategy.any_cdi() && any_mig)) {
    facts.mig_caps = discovery::LoadMigCaps(HostRoots(options.container_driver_root, ""));
  }
  facts.control_nodes = ExistingControlNodes(options.container_driver_root);
  std::vector<std::string> warnings;
  facts.imex_channels = ExistingImexChannels(options.imex_channel_ids, options.imex_required,
                                             options.container_driver_root, &warnings);
  for (const std::string& warning : warnings) LOG_WARNING("{}", warning);
  return facts;
}

namespace {

// Upstream's Tegra specs come from the container toolkit's CSV mount lists (nvcdi's csv mode).
cdi::Spec TegraCdiSpec(const Options& options, const cdi::GpuSpecSettings& settings) {
  cdi::CsvMounts csv;
  try {
    csv = cdi::ReadCsvMounts(options.container_driver_root);
  } catch (const FsError& error) {
    throw ResourceError(std::string("cannot read the Tegra CSV mount specs: ") + error.what());
  }
  if (csv.files.empty()) {
    LOG_WARNING("Tegra: no CSV files in {}{}: the CDI spec has no device nodes or libraries",
                options.container_driver_root, cdi::kCsvMountSpecDir);
  }
  for (const std::string& line : csv.skipped) {
    LOG_WARNING("Tegra CSV: skipping what is not a mount spec: {}", PrintableInput(line, 400));
  }
  LOG_INFO(
      "Tegra CDI spec from {} CSV file(s): {} device nodes, {} libraries, {} symlinks, {} "
      "directories listed",
      csv.files.size(), csv.devices.size(), csv.libraries.size(), csv.symlinks.size(),
      csv.directories.size());
  const bool index = options.device_id_strategy == DeviceIdStrategy::kIndex;
  return cdi::TegraSpec(csv, index ? "0" : "tegra", settings);
}

}  // namespace

void PlanCdiSpecs(const Options& options, const NodeFacts& facts, Plan& plan) {
  if (!options.device_list_strategy.any_cdi()) return;
  if (!options.cdi_feature_flags.empty()) {
    LOG_INFO("CDI feature flags {} have no effect on this generator",
             Join(options.cdi_feature_flags, ","));
  }
  const cdi::GpuSpecSettings settings = CdiSettingsFrom(options);
  if (!settings.disabled_hooks.empty()) {
    LOG_INFO("CDI hooks left out of the specs: {}", Join(settings.disabled_hooks, ","));
    for (const std::string& hook : settings.disabled_hooks) {
      if (!cdi::IsKnownHook(hook)) {
        LOG_WARNING("--cdi-disable-hooks: {} is not a hook these specs have", PrintableInput(hook));
      }
    }
  }
  try {
    if (plan.inventory.tegra) {
      plan.cdi_specs.push_back(TegraCdiSpec(options, settings));
    } else if (plan.inventory.wsl) {
      plan.cdi_specs.push_back(cdi::WslSpec(plan.inventory, settings));
    } else {
      plan.cdi_specs.push_back(cdi::GpuSpec(plan.inventory, facts.mig_caps, settings));
    }
    if (!plan.allocate.imex_channels.empty()) {
      plan.cdi_specs.push_back(cdi::ImexChannelSpec(plan.allocate.imex_channels, settings.roots));
    }
    const std::pair<const char*, bool> modes[] = {{"gdrcopy", options.gdrcopy_enabled},
                                                  {"gds", options.gds_enabled},
                                                  {"mofed", options.mofed_enabled}};
    for (const auto& [mode, enabled] : modes) {
      if (!enabled) continue;
      std::optional<cdi::Spec> spec = cdi::ModeSpec(mode, settings.roots);
      if (!spec) {
        LOG_WARNING("{} is enabled but none of its devices exist; no CDI spec for it", mode);
        continue;
      }
      plan.cdi_specs.push_back(std::move(*spec));
      plan.allocate.cdi_modes.push_back(mode);
    }
  } catch (const cdi::GenerateError& failure) {
    throw ResourceError(std::string("failed to create the CDI specs: ") + failure.what());
  }
}

}  // namespace nvdp::plugin
