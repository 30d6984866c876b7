#include "config/effective.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "config/parse.h"

namespace nvdp::config {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void Invalid(const std::string& message) { throw ConfigError(message); }

// A configured value quoted in a message: at most this much of it.
std::string Shown(const std::string& value) { return Abbreviate(value, 120); }

bool OneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

void DisableRenaming(std::optional<ReplicatedResources>& block, const char* what,
                     std::vector<std::string>& warnings) {
  if (!block) return;
  for (ReplicatedResource& r : block->resources) {
    if (block->rename_by_default) {
      if (r.rename != r.name + ".shared") {
        warnings.push_back(std::string("Renaming of ") + what + " resource " + r.name +
                           " is forced to " + r.name + ".shared (renameByDefault)");
      }
      r.rename = r.name + ".shared";
    } else if (r.rename) {
      warnings.push_back(std::string("Customizing the 'rename' field of ") + what + " resource " +
                         r.name + " is not yet supported in the config. Ignoring...");
      r.rename.reset();
    }
    if (r.devices.kind != ReplicatedDevices::Kind::kAll) {
      warnings.push_back(std::string("Customizing the 'devices' field of ") + what + " resource " +
                         r.name + " is not yet supported in the config. Using \"all\"...");
      r.devices = ReplicatedDevices{};
    }
  }
}

template <typename T>
void Put(Json& object, const char* key, const std::optional<T>& value) {
  if (value) object[key] = *value;
}

Json ReplicatedToJson(const ReplicatedResources& block) {
  Json out;
  out["renameByDefault"] = block.rename_by_default;
  out["failRequestsGreaterThanOne"] = block.fail_requests_greater_than_one;
  out["resources"] = Json::array();
  for (const ReplicatedResource& r : block.resources) {
    Json entry;
    entry["name"] = r.name;
    if (r.rename) entry["rename"] = *r.rename;
    switch (r.devices.kind) {
      case ReplicatedDevices::Kind::kAll:
        entry["devices"] = "all";
        break;
      case ReplicatedDevices::Kind::kCount:
        entry["devices"] = r.devices.count;
        break;
      case ReplicatedDevices::Kind::kList:
        entry["devices"] = r.devices.list;
        break;
    }
    entry["replicas"] = r.replicas;
    out["resources"].push_back(entry);
  }
  return out;
}

std::string DurationText(long long nanos) {
  if (nanos % 1'000'000'000 == 0) return std::to_string(nanos / 1'000'000'000) + "s";
  if (nanos % 1'000'000 == 0) return std::to_string(nanos / 1'000'000) + "ms";
  return std::to_string(nanos) + "ns";
}

}  // namespace

std::vector<std::string> FinalizeAfterMerge(Config& config) {
  std::vector<std::string> warnings;
  Flags& flags = config.flags;
  if (!flags.nvidia_dev_root || flags.nvidia_dev_root->empty()) {
    flags.nvidia_dev_root = flags.nvidia_driver_root;
  }
  if (config.sharing.mps) config.sharing.mps->fail_requests_greater_than_one = true;
  if (!config.resources.gpus.empty() || !config.resources.mig.empty()) {
    warnings.push_back(
        "Customizing the 'resources' field is not yet supported in the config. Ignoring...");
    config.resources = Resources{};
  }
  DisableRenaming(config.sharing.time_slicing, "timeSlicing", warnings);
  DisableRenaming(config.sharing.mps, "mps", warnings);
  return warnings;
}

void ValidateForDevicePlugin(const Config& config) {
  const Flags& flags = config.flags;
  const std::string mig = flags.mig_strategy.value_or("none");
  if (!OneOf(mig, {"none", "single", "mixed"})) {
    Invalid("unknown MIG strategy: " + Shown(mig) + " (none, single or mixed)");
  }
  const PluginFlags plugin = flags.plugin.value_or(PluginFlags{});
  for (const std::string& strategy :
       plugin.device_list_strategy.value_or(std::vector<std::string>{"envvar"})) {
    if (!OneOf(strategy, {"envvar", "volume-mounts", "cdi-annotations", "cdi-cri"})) {
      Invalid("invalid strategy: " + Shown(strategy) +
              " (envvar, volume-mounts, cdi-annotations or cdi-cri)");
    }
  }
  const std::string id_strategy = plugin.device_id_strategy.value_or("uuid");
  if (!OneOf(id_strategy, {"uuid", "index"})) {
    Invalid("invalid --device-id-strategy option: " + Shown(id_strategy) + " (uuid or index)");
  }
  const std::string discovery = flags.device_discovery_strategy.value_or("auto");
  if (!OneOf(discovery, {"auto", "nvml", "tegra"})) {
    Invalid("invalid --device-discovery-strategy option: " + Shown(discovery) +
            " (auto, nvml or tegra)");
  }
  if (discovery == "tegra") {
    Invalid("--device-discovery-strategy=tegra is not supported by this version");
  }
  if (config.sharing.strategy() == Sharing::Strategy::kMps) {
    if (mig == "mixed") Invalid("using MPS is not supported with the mixed MIG strategy");
    const std::string root = flags.mps_root.value_or("");
    if (root.empty()) Invalid("using MPS requires --mps-root to be specified");
    if (root.front() != '/') {
      Invalid("--mps-root must be an absolute host path (e.g. /run/nvidia/mps); found \"" +
              Shown(root) + "\"");
    }
  }
  const auto& ids = config.imex.channel_ids;
  if (!(ids.empty() || (ids.size() == 1 && ids[0] == 0))) {
    std::vector<std::string> shown;
    for (long long id : ids) shown.push_back(std::to_string(id));
    Invalid("invalid IMEX config: channelIDs must be [] or [0]; found [" + Shown(Join(shown, " ")) +
            "]");
  }
}

std::string ToJson(const Config& config) {
  Json out;
  out["version"] = config.version;
  Json flags = Json::object();
  const Flags& f = config.flags;
  Put(flags, "migStrategy", f.mig_strategy);
  Put(flags, "failOnInitError", f.fail_on_init_error);
  Put(flags, "mpsRoot", f.mps_root);
  Put(flags, "nvidiaDriverRoot", f.nvidia_driver_root);
  Put(flags, "nvidiaDevRoot", f.nvidia_dev_root);
  Put(flags, "gdrcopyEnabled", f.gdrcopy_enabled);
  Put(flags, "gdsEnabled", f.gds_enabled);
  Put(flags, "mofedEnabled", f.mofed_enabled);
  Put(flags, "useNodeFeatureAPI", f.use_node_feature_api);
  Put(flags, "deviceDiscoveryStrategy", f.device_discovery_strategy);
  if (f.plugin) {
    Json plugin = Json::object();
    Put(plugin, "passDeviceSpecs", f.plugin->pass_device_specs);
    Put(plugin, "deviceListStrategy", f.plugin->device_list_strategy);
    Put(plugin, "deviceIDStrategy", f.plugin->device_id_strategy);
    Put(plugin, "cdiAnnotationPrefix", f.plugin->cdi_annotation_prefix);
    Put(plugin, "nvidiaCTKPath", f.plugin->nvidia_ctk_path);
    Put(plugin, "containerDriverRoot", f.plugin->container_driver_root);
    flags["plugin"] = plugin;
  }
  if (f.gfd) {
    Json gfd = Json::object();
    Put(gfd, "oneshot", f.gfd->oneshot);
    Put(gfd, "noTimestamp", f.gfd->no_timestamp);
    if (f.gfd->sleep_interval_ns) gfd["sleepInterval"] = DurationText(*f.gfd->sleep_interval_ns);
    Put(gfd, "outputFile", f.gfd->output_file);
    Put(gfd, "machineTypeFile", f.gfd->machine_type_file);
    flags["gfd"] = gfd;
  }
  out["flags"] = flags;
  Json resources = Json::object();
  for (const auto& [key, rules] :
       {std::pair{"gpus", &config.resources.gpus}, std::pair{"mig", &config.resources.mig}}) {
    if (rules->empty()) continue;
    resources[key] = Json::array();
    for (const ResourceRule& rule : *rules) {
      resources[key].push_back({{"pattern", rule.pattern}, {"name", rule.name}});
    }
  }
  out["resources"] = resources;
  Json sharing = Json::object();
  if (config.sharing.time_slicing)
    sharing["timeSlicing"] = ReplicatedToJson(*config.sharing.time_slicing);
  if (config.sharing.mps) sharing["mps"] = ReplicatedToJson(*config.sharing.mps);
  out["sharing"] = sharing;
  if (!config.imex.channel_ids.empty() || config.imex.required) {
    out["imex"] = {{"channelIDs", config.imex.channel_ids}, {"required", config.imex.required}};
  }
  return out.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace nvdp::config
