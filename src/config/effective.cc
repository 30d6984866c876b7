#include "config/effective.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "config/file_keys.h"
#include "config/parse.h"
#include "config/strategies.h"

namespace nvdp::config {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void Invalid(const std::string& message) { throw ConfigError(message); }

// A configured value quoted in a message: at most this much of it.
std::string Shown(const std::string& value) { return Abbreviate(value, 120); }

// Whether any flag-backed key under `section` is set.
bool HasKeyIn(const Config& config, const std::string& section) {
  auto it = config.values.lower_bound(section + ".");
  return it != config.values.end() && it->first.starts_with(section + ".");
}

void DisableRenaming(std::optional<ReplicatedResources>& block, const char* what, bool per_device,
                     std::vector<std::string>& warnings) {
  if (!block) return;
  for (ReplicatedResource& r : block->resources) {
    if (per_device) {  // the entry's own rename wins; renameByDefault names the rest
      if (!r.rename && block->rename_by_default) r.rename = r.name + ".shared";
      continue;
    }
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
  if (nanos == flags::kInfiniteDuration) return "infinite";
  if (nanos % 1'000'000'000 == 0) return std::to_string(nanos / 1'000'000'000) + "s";
  if (nanos % 1'000'000 == 0) return std::to_string(nanos / 1'000'000) + "ms";
  return std::to_string(nanos) + "ns";
}

}  // namespace

std::vector<std::string> FinalizeAfterMerge(Config& config, bool per_device) {
  std::vector<std::string> warnings;
  config.sharing.per_device = per_device;
  if (config.String(keys::kNvidiaDevRoot).value_or("").empty() &&
      config.Has(keys::kNvidiaDriverRoot)) {
    config.Set(keys::kNvidiaDevRoot, *config.String(keys::kNvidiaDriverRoot));
  }
  // MPS: one replica per request unless the file says false (upstream v0.20; v0.18 ignored it).
  if (config.sharing.mps && !config.sharing.mps->fail_requests_greater_than_one_given) {
    config.sharing.mps->fail_requests_greater_than_one = true;
  }
  if (!per_device && (!config.resources.gpus.empty() || !config.resources.mig.empty())) {
    warnings.push_back(
        "Customizing the 'resources' field is not yet supported in the config. Ignoring...");
    config.resources = Resources{};
  }
  DisableRenaming(config.sharing.time_slicing, "timeSlicing", per_device, warnings);
  DisableRenaming(config.sharing.mps, "mps", per_device, warnings);
  return warnings;
}

void ValidateForDevicePlugin(const Config& config) {
  const std::string mig = config.String(keys::kMigStrategy).value_or("none");
  if (!ParseMigStrategy(mig)) {
    Invalid("unknown MIG strategy: " + Shown(mig) + " (none, single or mixed)");
  }
  std::string bad;
  if (!DeviceListStrategies::Parse(
          config.Strings(keys::kDeviceListStrategy).value_or(std::vector<std::string>{"envvar"}),
          &bad)) {
    Invalid("invalid strategy: " + Shown(bad) +
            " (envvar, volume-mounts, cdi-annotations or cdi-cri)");
  }
  const std::string id_strategy = config.String(keys::kDeviceIdStrategy).value_or("uuid");
  if (!ParseDeviceIdStrategy(id_strategy)) {
    Invalid("invalid --device-id-strategy option: " + Shown(id_strategy) + " (uuid or index)");
  }
  const std::string discovery = config.String(keys::kDeviceDiscoveryStrategy).value_or("auto");
  const auto parsed_discovery = ParseDiscoveryStrategy(discovery, /*allow_vfio=*/false);
  if (!parsed_discovery) {
    Invalid("invalid --device-discovery-strategy option: " + Shown(discovery) +
            " (auto, nvml or tegra)");
  }
  if (config.sharing.strategy() == Sharing::Strategy::kMps) {
    if (mig == "mixed") Invalid("using MPS is not supported with the mixed MIG strategy");
    const std::string root = config.String(keys::kMpsRoot).value_or("");
    if (root.empty()) Invalid("using MPS requires --mps-root to be specified");
    if (root.front() != '/') {
      Invalid("--mps-root must be an absolute host path (e.g. /run/nvidia/mps); found \"" +
              Shown(root) + "\"");
    }
  }
  const auto ids = config.Ints(keys::kImexChannelIds).value_or(std::vector<long long>{});
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
  for (const FileKey& key : ConfigFileKeys()) {
    if (!key.path.starts_with("flags.")) continue;
    // The object the key sits in ("flags", "flags.plugin", …), written when present or used.
    const std::string section(key.path.substr(0, key.path.rfind('.')));
    const std::string field(key.path.substr(key.path.rfind('.') + 1));
    Json* target = &flags;
    if (section != "flags") {
      const std::string name = section.substr(section.find('.') + 1);
      if (!config.sections.count(section) && !HasKeyIn(config, section)) continue;
      if (!flags.contains(name)) flags[name] = Json::object();
      target = &flags[name];
    }
    auto it = config.values.find(key.path);
    if (it == config.values.end()) continue;
    if (key.kind == flags::Kind::kDuration) {
      (*target)[field] = DurationText(std::get<long long>(it->second));
    } else {
      std::visit([&](const auto& value) { (*target)[field] = value; }, it->second);
    }
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
  const auto channel_ids = config.Ints(keys::kImexChannelIds).value_or(std::vector<long long>{});
  const bool required = config.Bool(keys::kImexRequired).value_or(false);
  if (!channel_ids.empty() || required) {
    out["imex"] = {{"channelIDs", channel_ids}, {"required", required}};
  }
  return out.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace nvdp::config
