#include "profile.h"

#include <cctype>
#include <set>

#include "common/fs.h"
#include "common/strings.h"
#include "common/yaml_tree.h"
#include "nvml/error.h"
#include "nvml/nvml_abi.h"

namespace nvdp::sim {
namespace {

// A profile describes one node: kilobytes. The bound keeps a wrong path from being read without
// end.
constexpr size_t kMaxProfileBytes = 4 << 20;

constexpr unsigned long long kDefaultEvents =
    nvmlEventTypeSingleBitEccError | nvmlEventTypeDoubleBitEccError | nvmlEventTypeXidCriticalError;

class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void Fail(const std::string& where, const std::string& message) const {
    throw ProfileError("profile " + origin_ + ": " + where + ": " + message);
  }

  std::string String(const YamlNode& node, const std::string& where) const {
    if (!node.IsScalar()) Fail(where, "expected a string");
    return node.scalar;
  }

  long long Integer(const YamlNode& node, const std::string& where, const char* expected,
                    long long min = 0) const {
    long long value = 0;
    if (!ToInt64(node, &value) || value < min) Fail(where, std::string("expected ") + expected);
    return value;
  }

  bool Boolean(const YamlNode& node, const std::string& where) const {
    bool value = false;
    if (!ToBool(node, &value)) Fail(where, "expected true or false");
    return value;
  }

  std::vector<std::string> Strings(const YamlNode& node, const std::string& where,
                                   const char* expected) const {
    if (!node.IsSequence()) Fail(where, std::string("expected ") + expected);
    std::vector<std::string> values;
    for (const YamlNode& item : node.items) values.push_back(String(item, where));
    return values;
  }

 private:
  std::string origin_;
};

void ParseCompute(const Reader& r, const YamlNode& node, const std::string& where,
                  GpuProfile& gpu) {
  std::string text = r.String(node, where);
  size_t dot = text.find('.');
  try {
    if (dot == std::string::npos) throw std::invalid_argument(text);
    gpu.cc_major = std::stoi(text.substr(0, dot));
    gpu.cc_minor = std::stoi(text.substr(dot + 1));
  } catch (const std::exception&) {
    r.Fail(where, "expected \"<major>.<minor>\" such as \"8.0\", got \"" + text + "\"");
  }
}

unsigned long long ParseEvents(const Reader& r, const YamlNode& node, const std::string& where) {
  unsigned long long mask = 0;
  for (const std::string& kind : r.Strings(node, where, "a list of event kinds")) {
    if (kind == "xid")
      mask |= nvmlEventTypeXidCriticalError;
    else if (kind == "ecc-single")
      mask |= nvmlEventTypeSingleBitEccError;
    else if (kind == "ecc-double")
      mask |= nvmlEventTypeDoubleBitEccError;
    else
      r.Fail(where, "unknown event kind \"" + kind + "\" (xid, ecc-single, ecc-double)");
  }
  return mask;
}

MigProfileSpec ParseMigProfile(const Reader& r, const YamlNode& node, const std::string& where) {
  if (!node.IsMapping()) r.Fail(where, "expected a mapping describing a GPU instance profile");
  MigProfileSpec p;
  auto u = [&](const YamlNode& v, const std::string& at) {
    return static_cast<unsigned>(r.Integer(v, at, "a non-negative integer"));
  };
  for (const auto& [key, value] : node.entries) {
    const std::string at = where + "." + key;
    if (key == "index")
      p.index = u(value, at);
    else if (key == "id")
      p.id = u(value, at);
    else if (key == "label")
      p.label = r.String(value, at);
    else if (key == "slices")
      p.slices = u(value, at);
    else if (key == "instances")
      p.instances = u(value, at);
    else if (key == "multiprocessors")
      p.multiprocessors = u(value, at);
    else if (key == "copy_engines")
      p.copy_engines = u(value, at);
    else if (key == "decoders")
      p.decoders = u(value, at);
    else if (key == "encoders")
      p.encoders = u(value, at);
    else if (key == "jpegs")
      p.jpegs = u(value, at);
    else if (key == "ofas")
      p.ofas = u(value, at);
    else if (key == "memory_mib")
      p.memory_mib = static_cast<unsigned long long>(r.Integer(value, at, "MiB", 1));
    else
      r.Fail(at, "unknown key");
  }
  if (p.label.empty()) r.Fail(where + ".label", "missing");
  if (p.slices == 0) r.Fail(where + ".slices", "missing");
  if (p.memory_mib == 0) r.Fail(where + ".memory_mib", "missing");
  if (p.index >= NVML_GPU_INSTANCE_PROFILE_COUNT) r.Fail(where + ".index", "must be below 0x11");
  return p;
}

MigInstanceSpec ParseMigInstance(const Reader& r, const YamlNode& node, const std::string& where) {
  MigInstanceSpec instance;
  if (node.IsScalar()) {
    instance.profile = node.scalar;
    return instance;
  }
  if (!node.IsMapping())
    r.Fail(where, "expected a profile label or {gpu_instance, compute_instances}");
  for (const auto& [key, value] : node.entries) {
    const std::string at = where + "." + key;
    if (key == "gpu_instance")
      instance.profile = r.String(value, at);
    else if (key == "compute_instances") {
      if (!value.IsSequence()) r.Fail(at, "expected a list of slice counts");
      for (const YamlNode& item : value.items) {
        instance.compute_slices.push_back(
            static_cast<unsigned>(r.Integer(item, at, "a slice count", 1)));
      }
    } else
      r.Fail(at, "unknown key");
  }
  if (instance.profile.empty()) r.Fail(where + ".gpu_instance", "missing");
  return instance;
}

FabricSpec ParseFabric(const Reader& r, const YamlNode& node, const std::string& where) {
  if (!node.IsMapping()) r.Fail(where, "expected cluster_uuid, clique_id, state, status");
  FabricSpec fabric;
  for (const auto& [key, value] : node.entries) {
    const std::string at = where + "." + key;
    if (key == "cluster_uuid") {
      fabric.cluster_uuid = r.String(value, at);
      if (!ParseUuidBytes(fabric.cluster_uuid, nullptr)) r.Fail(at, "expected a UUID");
    } else if (key == "clique_id") {
      fabric.clique_id = static_cast<unsigned>(r.Integer(value, at, "an integer"));
    } else if (key == "state") {
      const std::string state = r.String(value, at);
      const char* names[] = {"not_supported", "not_started", "in_progress", "completed"};
      bool known = false;
      for (unsigned i = 0; i < 4; ++i) {
        if (state == names[i]) {
          fabric.state = i;
          known = true;
        }
      }
      if (!known) r.Fail(at, "expected not_supported, not_started, in_progress or completed");
    } else if (key == "status") {
      auto code = nvml::ParseReturnCode(r.String(value, at));
      if (!code) r.Fail(at, "expected an NVML return code name such as SUCCESS");
      fabric.status = *code;
    } else {
      r.Fail(at, "unknown key");
    }
  }
  return fabric;
}

// Applies every key of `node` that a GPU can carry; unknown keys are errors (typos matter).
void ApplyGpuFields(const Reader& r, const YamlNode& node, const std::string& where,
                    GpuProfile& gpu) {
  if (!node.IsMapping()) r.Fail(where, "expected a mapping of GPU fields");
  for (const auto& [key, value] : node.entries) {
    const std::string at = where + "." + key;
    if (key == "uuid")
      gpu.uuid = r.String(value, at);
    else if (key == "name")
      gpu.name = r.String(value, at);
    else if (key == "memory_mib")
      gpu.memory_mib = r.Integer(value, at, "MiB as an integer", 1);
    else if (key == "compute_capability")
      ParseCompute(r, value, at, gpu);
    else if (key == "bus_id")
      gpu.bus_id = r.String(value, at);
    else if (key == "pci_device_id")
      gpu.pci_device_id =
          static_cast<unsigned>(r.Integer(value, at, "an integer such as 0x20B010DE"));
    else if (key == "pci_subsystem_id")
      gpu.pci_subsystem_id = static_cast<unsigned>(r.Integer(value, at, "an integer"));
    else if (key == "minor")
      gpu.minor = static_cast<unsigned>(r.Integer(value, at, "a device minor number"));
    else if (key == "numa_node")
      gpu.numa_node = static_cast<int>(r.Integer(value, at, "an integer", -1));
    else if (key == "pci_class")
      gpu.pci_class = static_cast<unsigned>(r.Integer(value, at, "a class such as 0x030200"));
    else if (key == "brand") {
      gpu.brand = static_cast<int>(r.Integer(value, at, "an nvmlBrandType_t (0-16)", 0));
      if (gpu.brand > 16) r.Fail(at, "expected an nvmlBrandType_t (0-16)");
    } else if (key == "fabric")
      gpu.fabric = ParseFabric(r, value, at);
    else if (key == "pcie")
      gpu.pcie = r.Strings(value, at, "a list of names from the CPU down");
    else if (key == "board")
      gpu.board = r.String(value, at);
    else if (key == "drm") {
      gpu.drm = r.Strings(value, at, "a list of DRM node names such as card1, renderD128");
      for (const std::string& name : gpu.drm) {
        const bool card = name.starts_with("card") && name.size() > 4;
        const bool render = name.starts_with("renderD") && name.size() > 7;
        const size_t digits = card ? 4 : 7;
        if ((!card && !render) ||
            name.find_first_not_of("0123456789", digits) != std::string::npos) {
          r.Fail(at, "expected DRM node names such as card1 or renderD128, not \"" + name + "\"");
        }
      }
    } else if (key == "mig_capable")
      gpu.mig_capable = r.Boolean(value, at);
    else if (key == "supported_events")
      gpu.supported_events = ParseEvents(r, value, at);
    else if (key == "mig_profiles") {
      if (!value.IsSequence()) r.Fail(at, "expected a list of GPU instance profiles");
      gpu.mig_profiles.clear();
      for (size_t i = 0; i < value.items.size(); ++i) {
        gpu.mig_profiles.push_back(
            ParseMigProfile(r, value.items[i], at + "[" + std::to_string(i) + "]"));
      }
    } else if (key == "mig_enabled")
      gpu.mig_enabled = r.Boolean(value, at);
    else if (key == "max_mig_devices")
      gpu.max_mig_devices = static_cast<unsigned>(r.Integer(value, at, "a count", 1));
    else if (key == "mig_devices") {
      if (!value.IsSequence()) r.Fail(at, "expected a list of MIG devices");
      gpu.mig_devices.clear();
      for (size_t i = 0; i < value.items.size(); ++i) {
        gpu.mig_devices.push_back(
            ParseMigInstance(r, value.items[i], at + "[" + std::to_string(i) + "]"));
      }
    } else
      r.Fail(at, "unknown key");
  }
}

bool ValidBusId(const std::string& id) {
  // %08X:%02X:%02X.0 (hex digits of either case)
  if (id.size() != 16 || id[8] != ':' || id[11] != ':' || id[14] != '.') return false;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13, 15}) {
    if (!std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

void ValidateMig(const Reader& r, const GpuProfile& g, const std::string& at) {
  if ((g.mig_enabled || !g.mig_devices.empty()) && !g.mig_capable) {
    r.Fail(at + ".mig_enabled", "MIG needs mig_capable: true");
  }
  if (!g.mig_devices.empty() && !g.mig_enabled) {
    r.Fail(at + ".mig_devices", "MIG devices need mig_enabled: true");
  }
  unsigned devices = 0;
  for (size_t i = 0; i < g.mig_devices.size(); ++i) {
    const MigInstanceSpec& instance = g.mig_devices[i];
    const std::string where = at + ".mig_devices[" + std::to_string(i) + "]";
    const MigProfileSpec* profile = FindMigProfile(g, instance.profile);
    if (!profile) r.Fail(where, "no mig_profiles entry labelled \"" + instance.profile + "\"");
    unsigned used = 0;
    for (unsigned slices : instance.compute_slices) {
      if (slices != 1 && slices != 2 && slices != 3 && slices != 4 && slices != 6 && slices != 7 &&
          slices != 8) {
        r.Fail(where, "compute instance of " + std::to_string(slices) + " slices does not exist");
      }
      used += slices;
    }
    if (used > profile->slices) {
      r.Fail(where, "compute instances use " + std::to_string(used) + " slices of a " +
                        std::to_string(profile->slices) + "-slice GPU instance");
    }
    devices +=
        instance.compute_slices.empty() ? 1 : static_cast<unsigned>(instance.compute_slices.size());
  }
  if (devices > g.max_mig_devices) {
    r.Fail(at + ".mig_devices", std::to_string(devices) +
                                    " MIG devices, more than max_mig_devices " +
                                    std::to_string(g.max_mig_devices));
  }
}

void Validate(const Reader& r, Profile& p) {
  if (p.name.empty()) r.Fail("name", "missing");
  if (p.driver_version.empty()) r.Fail("driver_version", "missing");
  if (p.cuda_driver_version <= 0) r.Fail("cuda_driver_version", "missing (e.g. 12040)");
  std::set<std::string> uuids, buses;
  std::set<unsigned> minors;
  for (size_t i = 0; i < p.gpus.size(); ++i) {
    const GpuProfile& g = p.gpus[i];
    const std::string at = "gpus[" + std::to_string(i) + "]";
    if (!g.uuid.starts_with("GPU-") || g.uuid.size() < 8)
      r.Fail(at + ".uuid", "expected GPU-<uuid>");
    if (g.name.empty()) r.Fail(at + ".name", "missing");
    if (g.memory_mib == 0) r.Fail(at + ".memory_mib", "missing");
    if (g.cc_major == 0) r.Fail(at + ".compute_capability", "missing");
    if (!ValidBusId(g.bus_id))
      r.Fail(at + ".bus_id", "expected 00000000:07:00.0 form, got \"" + g.bus_id + "\"");
    if (g.pcie.empty())
      r.Fail(at + ".pcie", "missing: list the path from the CPU, e.g. [cpu0, hb0, sw0]");
    if (!uuids.insert(g.uuid).second) r.Fail(at + ".uuid", "duplicate " + g.uuid);
    if (!buses.insert(g.bus_id).second) r.Fail(at + ".bus_id", "duplicate " + g.bus_id);
    if (!minors.insert(g.minor).second)
      r.Fail(at + ".minor", "duplicate " + std::to_string(g.minor));
    ValidateMig(r, g, at);
  }
  std::vector<int> links(p.gpus.size(), p.nvswitch_bus_ids.empty() ? 0 : p.nvswitch_links_per_gpu);
  for (size_t i = 0; i < p.nvlinks.size(); ++i) {
    const NvLinkPair& pair = p.nvlinks[i];
    const std::string at = "nvlinks[" + std::to_string(i) + "]";
    if (pair.a >= p.gpus.size() || pair.b >= p.gpus.size() || pair.a == pair.b) {
      r.Fail(at, "GPU positions must be two different indexes into gpus");
    }
    if (pair.links <= 0) r.Fail(at, "link count must be positive");
    links[pair.a] += pair.links;
    links[pair.b] += pair.links;
  }
  for (size_t i = 0; i < links.size(); ++i) {
    if (links[i] > NVML_NVLINK_MAX_LINKS) {
      r.Fail("gpus[" + std::to_string(i) + "]", "more than 18 NVLinks in total");
    }
  }
  if (!p.nvswitch_bus_ids.empty() && p.nvswitch_links_per_gpu <= 0) {
    r.Fail("nvswitch.links_per_gpu", "must be positive when nvswitch.bus_ids is set");
  }
}

}  // namespace

const MigProfileSpec* FindMigProfile(const GpuProfile& gpu, const std::string& label) {
  for (const MigProfileSpec& profile : gpu.mig_profiles) {
    if (profile.label == label) return &profile;
  }
  return nullptr;
}

Profile ParseProfile(const std::string& yaml_text, const std::string& origin) {
  Reader r(origin);
  YamlNode root;
  try {
    root = ParseYaml(yaml_text);
  } catch (const YamlError& error) {
    throw ProfileError("profile " + origin + ": invalid YAML: " + error.what());
  }
  if (!root.IsMapping()) r.Fail("top level", "expected a mapping");

  Profile p;
  GpuProfile defaults;
  defaults.supported_events = kDefaultEvents;
  const YamlNode* gpus = nullptr;
  for (const auto& [key, value] : root.entries) {
    if (key == "name")
      p.name = r.String(value, key);
    else if (key == "description")
      p.description = r.String(value, key);
    else if (key == "machine_type")
      p.machine_type = r.String(value, key);
    else if (key == "driver_version")
      p.driver_version = r.String(value, key);
    else if (key == "cuda_driver_version")
      p.cuda_driver_version =
          static_cast<int>(r.Integer(value, key, "an integer such as 12040", 1));
    else if (key == "nvml_version")
      p.nvml_version = r.String(value, key);
    else if (key == "init_error") {
      auto code = nvml::ParseReturnCode(r.String(value, key));
      if (!code) r.Fail(key, "expected an NVML return code name such as DRIVER_NOT_LOADED");
      p.init_error = *code;
    } else if (key == "gpu_defaults")
      ApplyGpuFields(r, value, key, defaults);
    else if (key == "gpus")
      gpus = &value;
    else if (key == "nvlinks") {
      if (!value.IsSequence()) r.Fail(key, "expected a list of [gpu, gpu, links]");
      for (size_t i = 0; i < value.items.size(); ++i) {
        const std::string at = key + "[" + std::to_string(i) + "]";
        const YamlNode& triple = value.items[i];
        if (!triple.IsSequence() || triple.items.size() != 3)
          r.Fail(at, "expected [gpu, gpu, links]");
        p.nvlinks.push_back({static_cast<size_t>(r.Integer(triple.items[0], at, "a GPU position")),
                             static_cast<size_t>(r.Integer(triple.items[1], at, "a GPU position")),
                             static_cast<int>(r.Integer(triple.items[2], at, "a link count"))});
      }
    } else if (key == "nvswitch") {
      if (!value.IsMapping()) r.Fail(key, "expected bus_ids and links_per_gpu");
      for (const auto& [sub, setting] : value.entries) {
        if (sub == "bus_ids")
          p.nvswitch_bus_ids = r.Strings(setting, "nvswitch.bus_ids", "a list of bus ids");
        else if (sub == "links_per_gpu")
          p.nvswitch_links_per_gpu =
              static_cast<int>(r.Integer(setting, "nvswitch.links_per_gpu", "an integer"));
        else
          r.Fail("nvswitch." + sub, "unknown key");
      }
    } else {
      r.Fail(key, "unknown key");
    }
  }
  if (gpus != nullptr && !gpus->IsNull()) {
    if (!gpus->IsSequence()) r.Fail("gpus", "expected a list");
    for (size_t i = 0; i < gpus->items.size(); ++i) {
      GpuProfile gpu = defaults;
      ApplyGpuFields(r, gpus->items[i], "gpus[" + std::to_string(i) + "]", gpu);
      p.gpus.push_back(std::move(gpu));
    }
  }
  if (p.nvml_version.empty()) {
    p.nvml_version = std::to_string(p.cuda_driver_version / 1000) + "." + p.driver_version;
  }
  Validate(r, p);
  return p;
}

Profile LoadProfile(const std::string& name_or_path) {
  const auto& builtin = BuiltinProfiles();
  if (auto it = builtin.find(name_or_path); it != builtin.end()) {
    return ParseProfile(it->second, name_or_path);
  }
  std::string text;
  try {
    text = ReadBoundedFile(name_or_path, kMaxProfileBytes, "profile");
  } catch (const ReadFileError& error) {
    std::string names;
    for (const auto& [name, builtin_text] : builtin) names += (names.empty() ? "" : ", ") + name;
    throw ProfileError(std::string(error.what()) + " (nor is it a built-in profile: " + names +
                       ")");
  }
  return ParseProfile(text, name_or_path);
}

int CommonAncestorLevel(const GpuProfile& a, const GpuProfile& b) {
  if (&a == &b || (!a.board.empty() && a.board == b.board)) return NVML_TOPOLOGY_INTERNAL;
  size_t common = 0;
  while (common < a.pcie.size() && common < b.pcie.size() && a.pcie[common] == b.pcie[common]) {
    ++common;
  }
  if (common == 0) return NVML_TOPOLOGY_SYSTEM;
  if (common == 1) return NVML_TOPOLOGY_NODE;
  if (common == 2) return NVML_TOPOLOGY_HOSTBRIDGE;
  if (common == a.pcie.size() && common == b.pcie.size()) return NVML_TOPOLOGY_SINGLE;
  return NVML_TOPOLOGY_MULTIPLE;
}

}  // namespace nvdp::sim
