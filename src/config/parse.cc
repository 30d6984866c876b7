#include "config/parse.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "common/flags.h"
#include "common/fs.h"
#include "common/strings.h"
#include "common/yaml_tree.h"
#include "config/file_keys.h"
#include "config/resource_name.h"

namespace nvdp::config {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxShown = 120;  // characters of a bad value quoted in a message

// --- YAML to JSON, with the scalar typing of YAML 1.1 as upstream's converter applies it ------
// Hand-written matchers rather than std::regex: libstdc++'s regex recurses once per character,
// so a long scalar exhausts the stack.

bool IsDigit(char c, int base) {
  switch (base) {
    case 2:
      return c == '0' || c == '1';
    case 8:
      return c >= '0' && c <= '7';
    case 16:
      return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    default:
      return c >= '0' && c <= '9';
  }
}

bool AllDigits(std::string_view text, int base) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsDigit(c, base)) return false;
  }
  return true;
}

// [-+]?(0b[01]+|0x[0-9a-fA-F]+|0[0-7]+|[0-9]+) (underscores already removed).
std::optional<Json> ResolveInt(std::string_view digits) {
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.starts_with("0b")) {
    base = 2;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0x")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  if (!AllDigits(digits, base)) return std::nullopt;
  const std::string body(digits);
  errno = 0;
  long long value = std::strtoll(body.c_str(), nullptr, base);
  if (errno != 0) return std::nullopt;  // out of range: left to the float rule, as upstream
  return negative ? -value : value;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsFloat(std::string_view text) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < text.size() && IsDigit(text[i], 10)) ++i;
    return i - from;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

Json ResolvePlainScalar(const std::string& text) {
  static const std::set<std::string, std::less<>> kTrue = {
      "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string, std::less<>> kFalse = {
      "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (kTrue.count(text)) return true;
  if (kFalse.count(text)) return false;
  std::string digits;
  for (char c : text) {
    if (c != '_') digits += c;
  }
  if (auto value = ResolveInt(digits)) return *value;
  if (IsFloat(digits)) return std::strtod(digits.c_str(), nullptr);
  return text;
}

Json ToJson(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return nullptr;
    case YamlNode::Kind::kScalar:
      return node.quoted ? Json(node.scalar) : ResolvePlainScalar(node.scalar);
    case YamlNode::Kind::kSequence: {
      Json array = Json::array();
      for (const YamlNode& item : node.items) array.push_back(ToJson(item));
      return array;
    }
    case YamlNode::Kind::kMapping: {
      Json object = Json::object();
      for (const auto& [key, value] : node.entries) object[key] = ToJson(value);
      return object;
    }
  }
  return nullptr;
}

// --- Decoding ---------------------------------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void Fail(const std::string& path, const std::string& message) const {
    throw ConfigError("config file " + origin_ + ": " + (path.empty() ? "" : path + ": ") +
                      message);
  }

  // The value as JSON, shortened: messages must not echo a whole hostile input.
  static std::string Show(const Json& value) {
    return Abbreviate(value.dump(-1, ' ', false, Json::error_handler_t::replace), kMaxShown);
  }

  std::string String(const Json& value, const std::string& path) const {
    if (!value.is_string()) Fail(path, "expected a string, got " + Show(value));
    return value.get<std::string>();
  }
  bool Bool(const Json& value, const std::string& path) const {
    if (!value.is_boolean()) Fail(path, "expected true or false, got " + Show(value));
    return value.get<bool>();
  }
  long long Int(const Json& value, const std::string& path) const {
    if (!value.is_number_integer()) Fail(path, "expected an integer, got " + Show(value));
    return value.get<long long>();
  }

  // Go's encoding/json: keys match field names exactly or, failing that, case-insensitively;
  // unknown keys are ignored; a later key for the same field wins.
  template <typename Visit>
  void Fields(const Json& object, const std::string& path, std::initializer_list<const char*> names,
              Visit&& visit) const {
    Fields(object, path, std::vector<const char*>(names), std::forward<Visit>(visit));
  }
  template <typename Visit>
  void Fields(const Json& object, const std::string& path, const std::vector<const char*>& names,
              Visit&& visit) const {
    if (!object.is_object()) Fail(path, "expected a mapping, got " + Show(object));
    for (const auto& [key, value] : object.items()) {
      const char* field = nullptr;
      for (const char* name : names) {
        if (key == name) field = name;
      }
      for (const char* name : names) {
        if (!field && ToLower(key) == ToLower(name)) field = name;
      }
      if (field) visit(std::string(field), value, Join(path, field));
    }
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::string origin_;
};

std::string ResourceNameValue(const Decoder& d, const Json& v, const std::string& path) {
  std::string error;
  auto name = NormalizeResourceName(d.String(v, path), &error);
  if (!name) d.Fail(path, error);
  return *name;
}

// deviceListStrategy: a string is one strategy (the file does not split on commas, §2.3).
std::vector<std::string> StringList(const Decoder& d, const Json& v, const std::string& path,
                                    const std::string& field) {
  if (v.is_string()) return {v.get<std::string>()};
  if (v.is_array()) {
    std::vector<std::string> items;
    for (const Json& item : v) {
      if (!item.is_string()) d.Fail(path, "invalid " + field + ": " + Decoder::Show(v));
      items.push_back(item.get<std::string>());
    }
    return items;
  }
  d.Fail(path, "invalid " + field + ": " + Decoder::Show(v));
}

long long Duration(const Decoder& d, const Json& v, const std::string& path) {
  if (v.is_number_integer()) return v.get<long long>();  // nanoseconds, as upstream
  if (v.is_string()) {
    if (auto nanos = flags::ParseDurationOrInfinite(v.get<std::string>())) return *nanos;
  }
  d.Fail(path, "invalid duration " + Decoder::Show(v) +
                   " (a Go duration such as \"60s\", or nanoseconds)");
}

FileValue DecodeValue(const Decoder& d, const FileKey& key, const Json& v, const std::string& path,
                      const std::string& field) {
  switch (key.kind) {
    case flags::Kind::kBool:
      return d.Bool(v, path);
    case flags::Kind::kDuration:
      return Duration(d, v, path);
    case flags::Kind::kStringSlice:
      return StringList(d, v, path, field);
    case flags::Kind::kIntSlice: {
      if (!v.is_array()) d.Fail(path, "expected a list of integers, got " + Decoder::Show(v));
      std::vector<long long> items;
      for (const Json& item : v) items.push_back(d.Int(item, path));
      return items;
    }
    case flags::Kind::kInt:
      return d.Int(v, path);
    default:
      return d.String(v, path);
  }
}

// An object of flag-backed keys (`section` is "flags", "flags.plugin", "imex", …): its fields are
// the next path components of the keys under it. Recursion follows the schema, not the input.
void DecodeSection(const Decoder& d, const Json& object, const std::string& section,
                   Config& config) {
  if (object.is_null()) return;
  config.sections.insert(section);
  std::vector<std::string> names;  // field names, in schema order, each once
  for (const FileKey& key : ConfigFileKeys()) {
    if (!key.path.starts_with(section + ".")) continue;
    std::string_view rest = key.path.substr(section.size() + 1);
    std::string name(rest.substr(0, rest.find('.')));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::vector<const char*> pointers;
  for (const std::string& name : names) pointers.push_back(name.c_str());
  d.Fields(object, section, pointers,
           [&](const std::string& field, const Json& v, const std::string&) {
             const std::string path = section + "." + field;
             if (const FileKey* key = FindFileKey(path)) {
               if (!v.is_null()) config.Set(path, DecodeValue(d, *key, v, path, field));
             } else {
               DecodeSection(d, v, path, config);
             }
           });
}

std::vector<ResourceRule> DecodeRules(const Decoder& d, const Json& v, const std::string& path) {
  std::vector<ResourceRule> rules;
  if (v.is_null()) return rules;
  if (!v.is_array()) d.Fail(path, "expected a list of {pattern, name}, got " + Decoder::Show(v));
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    const Json& entry = v[i];
    if (!entry.is_object()) d.Fail(at, "expected {pattern, name}, got " + Decoder::Show(entry));
    if (!entry.contains("pattern")) d.Fail(at, "resources must have a 'pattern' field set");
    if (!entry.contains("name")) d.Fail(at, "resources must have a 'name' field set");
    rules.push_back({d.String(entry["pattern"], at + ".pattern"),
                     ResourceNameValue(d, entry["name"], at + ".name")});
  }
  return rules;
}

// 8-4-4-4-12 hex digits.
bool IsUuid(std::string_view text) { return ParseUuidBytes(text, nullptr); }

// [0-9]+
bool IsUnsigned(std::string_view text) { return AllDigits(text, 10); }

// One entry of a `devices` list: GPU index, "<gpu>:<mig>", GPU-/MIG- UUIDs, MIG-GPU-<uuid>/gi/ci.
std::optional<std::string> DeviceReference(const Json& item) {
  if (item.is_number_integer()) {
    if (item.get<long long>() < 0) return std::nullopt;
    return std::to_string(item.get<long long>());
  }
  if (!item.is_string()) return std::nullopt;
  const std::string text = item.get<std::string>();
  const std::string_view view = text;
  if (IsUnsigned(view)) return text;
  if (size_t colon = view.find(':'); colon != std::string_view::npos &&
                                     IsUnsigned(view.substr(0, colon)) &&
                                     IsUnsigned(view.substr(colon + 1))) {
    return text;
  }
  if (view.starts_with("GPU-") && IsUuid(view.substr(4))) return text;
  if (view.starts_with("MIG-GPU-")) {
    // MIG-GPU-<uuid>/<gi>/<ci>
    const std::vector<std::string> parts = Split(view.substr(8), '/');
    if (parts.size() == 3 && IsUuid(parts[0]) && IsUnsigned(parts[1]) && IsUnsigned(parts[2]))
      return text;
    return std::nullopt;
  }
  if (view.starts_with("MIG-") && IsUuid(view.substr(4))) return text;
  return std::nullopt;
}

ReplicatedDevices DecodeDevices(const Decoder& d, const Json& v, const std::string& path) {
  ReplicatedDevices devices;
  if (v.is_string()) {
    if (v.get<std::string>() != "all")
      d.Fail(path, "devices must be \"all\", a count or a list, got " + Decoder::Show(v));
    return devices;
  }
  if (v.is_number_integer()) {
    if (v.get<long long>() <= 0) d.Fail(path, "devices count must be > 0, got " + Decoder::Show(v));
    if (v.get<long long>() > kMaxDeviceCount) {
      d.Fail(path, "devices count must be <= " + std::to_string(kMaxDeviceCount) + ", got " +
                       Decoder::Show(v));
    }
    devices.kind = ReplicatedDevices::Kind::kCount;
    devices.count = static_cast<int>(v.get<long long>());
    return devices;
  }
  if (v.is_array()) {
    devices.kind = ReplicatedDevices::Kind::kList;
    for (const Json& item : v) {
      auto reference = DeviceReference(item);
      if (!reference) {
        d.Fail(path, "unsupported device reference " + Decoder::Show(item) +
                         " (a GPU index, \"<gpu>:<mig>\", GPU-<uuid>, MIG-<uuid> or "
                         "MIG-GPU-<uuid>/<gi>/<ci>)");
      }
      devices.list.push_back(*reference);
    }
    return devices;
  }
  d.Fail(path, "devices must be \"all\", a count or a list, got " + Decoder::Show(v));
}

// ReplicatedResource and ReplicatedResources have their own decoders upstream: their keys are
// matched exactly (case-sensitive).
ReplicatedResource DecodeReplicatedResource(const Decoder& d, const Json& v,
                                            const std::string& path) {
  if (!v.is_object()) d.Fail(path, "expected a mapping, got " + Decoder::Show(v));
  ReplicatedResource r;
  if (!v.contains("name") || v["name"].is_null()) d.Fail(path, "no resource name specified");
  r.name = ResourceNameValue(d, v["name"], path + ".name");
  if (v.contains("rename") && !v["rename"].is_null()) {
    r.rename = ResourceNameValue(d, v["rename"], path + ".rename");
  }
  // Absent is every device; present but empty is an error, as upstream (its decoder gets null).
  if (v.contains("devices")) r.devices = DecodeDevices(d, v["devices"], path + ".devices");
  if (!v.contains("replicas") || v["replicas"].is_null()) d.Fail(path, "no replicas specified");
  long long replicas = d.Int(v["replicas"], path + ".replicas");
  if (replicas < 2) {
    d.Fail(path + ".replicas", "number of replicas must be >= 2, got " + std::to_string(replicas));
  }
  if (replicas > kMaxReplicas) {
    d.Fail(path + ".replicas", "number of replicas must be <= " + std::to_string(kMaxReplicas) +
                                   ", got " + std::to_string(replicas));
  }
  r.replicas = static_cast<int>(replicas);
  return r;
}

ReplicatedResources DecodeReplicated(const Decoder& d, const Json& v, const std::string& path) {
  if (!v.is_object() || !v.contains("resources") || !v["resources"].is_array() ||
      v["resources"].empty()) {
    d.Fail(path, "no resources specified");
  }
  ReplicatedResources r;
  if (v.contains("renameByDefault") && !v["renameByDefault"].is_null()) {
    r.rename_by_default = d.Bool(v["renameByDefault"], path + ".renameByDefault");
  }
  if (v.contains("failRequestsGreaterThanOne") && !v["failRequestsGreaterThanOne"].is_null()) {
    r.fail_requests_greater_than_one =
        d.Bool(v["failRequestsGreaterThanOne"], path + ".failRequestsGreaterThanOne");
    r.fail_requests_greater_than_one_given = true;
  }
  const Json& resources = v["resources"];
  for (size_t i = 0; i < resources.size(); ++i) {
    r.resources.push_back(
        DecodeReplicatedResource(d, resources[i], path + ".resources[" + std::to_string(i) + "]"));
  }
  if (r.rename_by_default) {
    for (ReplicatedResource& resource : r.resources) {
      if (!resource.rename) resource.rename = resource.name + ".shared";
    }
  }
  return r;
}

}  // namespace

Config ParseConfig(const std::string& text, const std::string& origin) {
  Decoder d(origin);
  Json document;
  try {
    document = ToJson(ParseYaml(text));
  } catch (const YamlError& error) {
    throw ConfigError("config file " + origin + ": invalid YAML or JSON: " + error.what());
  }
  Config config;
  if (document.is_null()) return config;
  d.Fields(document, "", {"version", "flags", "resources", "sharing", "imex"},
           [&](const std::string& field, const Json& v, const std::string& at) {
             if (field == "version") {
               config.version = v.is_null() ? "" : d.String(v, at);
             } else if (field == "flags") {
               DecodeSection(d, v, "flags", config);
             } else if (field == "resources") {
               if (v.is_null()) return;
               d.Fields(v, at, {"gpus", "mig"},
                        [&](const std::string& sub, const Json& rules, const std::string& sub_at) {
                          auto& target =
                              sub == "gpus" ? config.resources.gpus : config.resources.mig;
                          target = DecodeRules(d, rules, sub_at);
                        });
             } else if (field == "sharing") {
               if (v.is_null()) return;
               d.Fields(v, at, {"timeSlicing", "mps"},
                        [&](const std::string& sub, const Json& block, const std::string& sub_at) {
                          // An empty `mps:` is no MPS upstream (a nil pointer); an empty
                          // `timeSlicing:` still has no resources.
                          if (sub == "mps" && block.is_null()) return;
                          auto decoded = DecodeReplicated(d, block, sub_at);
                          if (sub == "timeSlicing")
                            config.sharing.time_slicing = decoded;
                          else
                            config.sharing.mps = decoded;
                        });
             } else if (field == "imex") {
               DecodeSection(d, v, "imex", config);
             }
           });
  if (config.version.empty()) config.version = "v1";
  if (config.version != "v1")
    d.Fail("version", "unknown version: " + Abbreviate(config.version, kMaxShown));
  return config;
}

Config LoadConfigFile(const std::string& path) {
  std::string text;
  try {
    text = ReadBoundedFile(path, kMaxConfigFileBytes, "config file");
  } catch (const ReadFileError& error) {
    throw ConfigError(error.what());
  }
  return ParseConfig(text, path);
}

}  // namespace nvdp::config
