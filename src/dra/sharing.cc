#include "dra/sharing.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "dra/claim.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;

[[noreturn]] void Fail(const std::string& field, const std::string& problem) {
  throw ClaimError(field + ": " + problem);
}

std::string Short(const Json& value) {
  std::string text = value.dump();
  return text.size() > 64 ? text.substr(0, 64) + "…" : text;
}

// Refuses fields outside `known`, naming the first one.
void OnlyFields(const Json& object, const std::string& where, std::set<std::string> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!known.count(it.key())) {
      const std::string key = it.key().size() > 64 ? it.key().substr(0, 64) + "…" : it.key();
      Fail(where.empty() ? key : where + "." + key, "unknown field");
    }
  }
}

const Json& ObjectField(const Json& parent, const char* key, const std::string& where) {
  const Json& value = parent.at(key);
  if (!value.is_object()) Fail(where, "must be an object, not " + Short(value));
  return value;
}

std::string StringField(const Json& parent, const char* key, const std::string& where) {
  const Json& value = parent.at(key);
  if (!value.is_string()) Fail(where, "must be a string, not " + Short(value));
  return value.get<std::string>();
}

unsigned long long QuantityField(const Json& value, const std::string& where) {
  std::optional<unsigned long long> bytes;
  if (value.is_string()) bytes = QuantityBytes(value.get<std::string>());
  if (value.is_number_unsigned()) bytes = value.get<unsigned long long>();
  if (!bytes) Fail(where, "not a quantity: " + Short(value));
  return *bytes;
}

MpsSettings ParseMps(const Json& config, const std::string& where) {
  OnlyFields(config, where,
             {"defaultActiveThreadPercentage", "defaultPinnedDeviceMemoryLimit",
              "defaultPerDevicePinnedMemoryLimit"});
  MpsSettings mps;
  if (config.contains("defaultActiveThreadPercentage")) {
    const Json& value = config["defaultActiveThreadPercentage"];
    const std::string field = where + ".defaultActiveThreadPercentage";
    if (!value.is_number_integer()) Fail(field, "must be an integer, not " + Short(value));
    const long long percent = value.get<long long>();
    if (percent < 1 || percent > 100) Fail(field, "must be 1 to 100, not " + Short(value));
    mps.active_thread_percentage = static_cast<int>(percent);
  }
  if (config.contains("defaultPinnedDeviceMemoryLimit")) {
    mps.pinned_memory_bytes = QuantityField(config["defaultPinnedDeviceMemoryLimit"],
                                            where + ".defaultPinnedDeviceMemoryLimit");
  }
  if (config.contains("defaultPerDevicePinnedMemoryLimit")) {
    const std::string field = where + ".defaultPerDevicePinnedMemoryLimit";
    const Json& limits = ObjectField(config, "defaultPerDevicePinnedMemoryLimit", field);
    if (limits.size() > 64) Fail(field, "more than 64 entries");
    for (auto it = limits.begin(); it != limits.end(); ++it) {
      if (it.key().empty() || it.key().size() > 128) Fail(field, "invalid device key");
      mps.per_device[it.key()] = QuantityField(it.value(), field + "." + it.key());
    }
  }
  return mps;
}

int ParseTimeSlicing(const Json& config, const std::string& where) {
  OnlyFields(config, where, {"interval"});
  if (!config.contains("interval")) return 0;
  const std::string interval = StringField(config, "interval", where + ".interval");
  static const std::pair<const char*, int> kIntervals[] = {
      {"Default", 0}, {"Short", 1}, {"Medium", 2}, {"Long", 3}};
  for (const auto& [name, value] : kIntervals) {
    if (interval == name) return value;
  }
  Fail(where + ".interval",
       "must be Default, Short, Medium or Long, not \"" + interval.substr(0, 64) + "\"");
}

}  // namespace

Sharing ParseSharingConfig(const Json& parameters) {
  if (!parameters.is_object()) Fail("parameters", "must be an object, not " + Short(parameters));
  OnlyFields(parameters, "", {"apiVersion", "kind", "sharing"});
  if (!parameters.contains("apiVersion") ||
      StringField(parameters, "apiVersion", "apiVersion") != kConfigApiVersion) {
    Fail("apiVersion", std::string("must be ") + kConfigApiVersion);
  }
  Sharing sharing;
  sharing.kind = parameters.contains("kind") ? StringField(parameters, "kind", "kind") : "";
  if (sharing.kind != "GpuConfig" && sharing.kind != "MigDeviceConfig") {
    Fail("kind",
         "must be GpuConfig or MigDeviceConfig, not \"" + sharing.kind.substr(0, 64) + "\"");
  }
  if (!parameters.contains("sharing") || parameters["sharing"].is_null()) return sharing;
  const Json& config = ObjectField(parameters, "sharing", "sharing");
  const bool gpu = sharing.kind == "GpuConfig";
  if (gpu) {
    OnlyFields(config, "sharing", {"strategy", "timeSlicingConfig", "mpsConfig"});
  } else {
    OnlyFields(config, "sharing", {"strategy", "mpsConfig"});
  }
  if (!config.contains("strategy")) Fail("sharing.strategy", "required");
  const std::string strategy = StringField(config, "strategy", "sharing.strategy");
  const bool has_timeslicing = config.contains("timeSlicingConfig");
  const bool has_mps = config.contains("mpsConfig");
  if (strategy == "TimeSlicing") {
    if (has_mps) Fail("sharing.mpsConfig", "cannot be used with the TimeSlicing strategy");
    sharing.strategy = Strategy::kTimeSlicing;
    if (has_timeslicing && !config["timeSlicingConfig"].is_null()) {
      sharing.timeslice =
          ParseTimeSlicing(ObjectField(config, "timeSlicingConfig", "sharing.timeSlicingConfig"),
                           "sharing.timeSlicingConfig");
    }
  } else if (strategy == "MPS") {
    if (has_timeslicing) Fail("sharing.timeSlicingConfig", "cannot be used with the MPS strategy");
    sharing.strategy = Strategy::kMps;
    if (has_mps && !config["mpsConfig"].is_null()) {
      sharing.mps =
          ParseMps(ObjectField(config, "mpsConfig", "sharing.mpsConfig"), "sharing.mpsConfig");
    }
  } else {
    Fail("sharing.strategy", "must be TimeSlicing or MPS, not \"" + strategy.substr(0, 64) + "\"");
  }
  return sharing;
}

std::vector<ConfigEntry> ClaimConfigs(const Json& claim, const std::string& driver) {
  std::vector<ConfigEntry> from_class, from_claim;
  const Json* list = nullptr;
  try {
    list = &claim.at("status").at("allocation").at("devices").at("config");
  } catch (const Json::exception&) {
    return {};
  }
  if (!list->is_array()) throw ClaimError("status.allocation.devices.config is not a list");
  int index = 0;
  for (const Json& entry : *list) {
    const std::string where = "config entry " + std::to_string(index++);
    if (!entry.is_object()) throw ClaimError(where + " is not an object");
    auto opaque = entry.find("opaque");
    if (opaque == entry.end() || !opaque->is_object()) continue;
    auto entry_driver = opaque->find("driver");
    if (entry_driver == opaque->end() || *entry_driver != driver) continue;
    ConfigEntry parsed;
    if (auto requests = entry.find("requests"); requests != entry.end() && !requests->is_null()) {
      if (!requests->is_array()) throw ClaimError(where + ": requests is not a list");
      for (const Json& request : *requests) {
        if (!request.is_string()) throw ClaimError(where + ": a request name is not a string");
        parsed.requests.push_back(request.get<std::string>());
      }
    }
    const Json parameters = opaque->value("parameters", Json());
    try {
      parsed.sharing = ParseSharingConfig(parameters);
    } catch (const ClaimError& error) {
      throw ClaimError(where + " (" + entry.value("source", std::string("?")) + ") of driver " +
                       driver + ": " + error.what());
    }
    const bool class_entry = entry.value("source", std::string()) == "FromClass";
    (class_entry ? from_class : from_claim).push_back(std::move(parsed));
  }
  from_class.insert(from_class.end(), from_claim.begin(), from_claim.end());
  return from_class;
}

Sharing SharingFor(const std::vector<ConfigEntry>& entries, const std::string& request, bool mig) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (!it->requests.empty() &&
        std::find(it->requests.begin(), it->requests.end(), request) == it->requests.end()) {
      continue;
    }
    const bool mig_kind = it->sharing.kind == "MigDeviceConfig";
    if (mig_kind != mig) {
      throw ClaimError("a " + it->sharing.kind + " cannot configure request " + request +
                       ", which was allocated a " + (mig ? "MIG device" : "GPU"));
    }
    return it->sharing;
  }
  Sharing exclusive;
  exclusive.kind = mig ? "MigDeviceConfig" : "GpuConfig";
  return exclusive;
}

std::map<std::string, unsigned long long> PinnedLimitsMiB(const MpsSettings& mps,
                                                          const std::vector<std::string>& uuids) {
  std::map<std::string, unsigned long long> limits;
  auto mib = [](unsigned long long bytes, const std::string& what) {
    const unsigned long long value = bytes / 1024 / 1024;
    if (value == 0) throw ClaimError(what + ": a pinned memory limit must be at least 1Mi");
    return value;
  };
  if (mps.pinned_memory_bytes) {
    for (const std::string& uuid : uuids) {
      limits[uuid] = mib(*mps.pinned_memory_bytes, "defaultPinnedDeviceMemoryLimit");
    }
  }
  for (const auto& [key, bytes] : mps.per_device) {
    std::string uuid;
    if (std::find(uuids.begin(), uuids.end(), key) != uuids.end()) {
      uuid = key;
    } else if (key.find_first_not_of("0123456789") == std::string::npos && key.size() < 4 &&
               std::stoul(key) < uuids.size()) {
      uuid = uuids[std::stoul(key)];
    } else {
      throw ClaimError("defaultPerDevicePinnedMemoryLimit: \"" + key +
                       "\" is neither the UUID nor the index of a device of this claim's MPS "
                       "daemon (" +
                       std::to_string(uuids.size()) + " devices)");
    }
    limits[uuid] = mib(bytes, "defaultPerDevicePinnedMemoryLimit." + key);
  }
  return limits;
}

ClaimSharingState PlanSharing(const std::vector<ConfigEntry>& entries,
                              const std::vector<SharedDevice>& devices) {
  ClaimSharingState state;
  std::optional<MpsSettings> mps;
  for (const auto& [request, device] : devices) {
    const Sharing wanted = SharingFor(entries, request, device->mig);
    if (wanted.strategy == Strategy::kTimeSlicing && !device->mig) {
      state.timeslices[device->uuid] = wanted.timeslice;
    } else if (wanted.strategy == Strategy::kMps) {
      if (device->mig) {
        throw ClaimError("MPS sharing of MIG devices is not supported (device " + device->name +
                         ")");
      }
      if (mps && !(*mps == wanted.mps)) {
        throw ClaimError("the MPS devices of one claim share one daemon and need one mpsConfig");
      }
      mps = wanted.mps;
      if (!state.mps) state.mps.emplace();
      state.mps->uuids.push_back(device->uuid);
    }
  }
  if (state.mps) {
    state.mps->pinned_mib = PinnedLimitsMiB(*mps, state.mps->uuids);
    state.mps->active_thread_percentage = mps->active_thread_percentage;
  }
  return state;
}

std::optional<unsigned long long> QuantityBytes(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::size_t i = 0;
  if (text[i] == '+') ++i;
  const std::size_t number_start = i;
  bool digits = false, dot = false;
  for (; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') {
      digits = true;
    } else if (text[i] == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits) return std::nullopt;
  const long double number =
      std::strtold(std::string(text.substr(number_start, i - number_start)).c_str(), nullptr);
  const std::string_view suffix = text.substr(i);
  long double scale = 1;
  static const std::pair<std::string_view, long double> kSuffixes[] = {
      {"", 1},         {"Ki", 0x1p10L}, {"Mi", 0x1p20L}, {"Gi", 0x1p30L},
      {"Ti", 0x1p40L}, {"Pi", 0x1p50L}, {"Ei", 0x1p60L}, {"n", 1e-9L},
      {"u", 1e-6L},    {"m", 1e-3L},    {"k", 1e3L},     {"M", 1e6L},
      {"G", 1e9L},     {"T", 1e12L},    {"P", 1e15L},    {"E", 1e18L}};
  bool known = false;
  for (const auto& [name, value] : kSuffixes) {
    if (suffix == name) {
      scale = value;
      known = true;
    }
  }
  if (!known) {  // decimal exponent: 1e9, 5E3
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
    std::string_view exponent = suffix.substr(1);
    bool negative = false;
    if (exponent[0] == '+' || exponent[0] == '-') {
      negative = exponent[0] == '-';
      exponent.remove_prefix(1);
    }
    if (exponent.empty() || exponent.size() > 2 ||
        exponent.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    const int power = std::stoi(std::string(exponent));
    scale = std::pow(10.0L, negative ? -power : power);
  }
  const long double bytes = std::ceil(number * scale);
  if (bytes > 0x1p62L) return std::nullopt;
  return static_cast<unsigned long long>(bytes);
}

}  // namespace nvdp::dra
