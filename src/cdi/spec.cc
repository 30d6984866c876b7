#include "cdi/spec.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace nvdp::cdi {
namespace {

using Json = nlohmann::ordered_json;

template <typename T, typename Key>
void AppendMissing(std::vector<T>& into, const std::vector<T>& from, Key key) {
  for (const T& item : from) {
    bool present = std::any_of(into.begin(), into.end(),
                               [&](const T& existing) { return key(existing) == key(item); });
    if (!present) into.push_back(item);
  }
}

Json EditsJson(const ContainerEdits& edits) {
  Json out = Json::object();
  if (!edits.env.empty()) out["env"] = edits.env;
  if (!edits.device_nodes.empty()) {
    Json nodes = Json::array();
    for (const DeviceNode& node : edits.device_nodes) {
      nodes.push_back({{"path", node.path}, {"hostPath", node.host_path}});
    }
    out["deviceNodes"] = nodes;
  }
  if (!edits.mounts.empty()) {
    Json mounts = Json::array();
    for (const Mount& mount : edits.mounts) {
      mounts.push_back({{"hostPath", mount.host_path},
                        {"containerPath", mount.container_path},
                        {"options", mount.options}});
    }
    out["mounts"] = mounts;
  }
  if (!edits.hooks.empty()) {
    Json hooks = Json::array();
    for (const Hook& hook : edits.hooks) {
      Json item = {{"hookName", hook.hook_name}, {"path", hook.path}, {"args", hook.args}};
      if (!hook.env.empty()) item["env"] = hook.env;
      hooks.push_back(item);
    }
    out["hooks"] = hooks;
  }
  return out;
}

}  // namespace

void ContainerEdits::Merge(const ContainerEdits& other) {
  AppendMissing(env, other.env, [](const std::string& e) { return e; });
  AppendMissing(device_nodes, other.device_nodes, [](const DeviceNode& n) { return n.path; });
  AppendMissing(mounts, other.mounts, [](const Mount& m) { return m.container_path; });
  AppendMissing(hooks, other.hooks, [](const Hook& h) { return h; });
}

std::string Spec::FileName() const {
  std::string name = kind;
  std::replace(name.begin(), name.end(), '/', '-');
  return name + ".json";
}

std::string Spec::ToJson() const {
  Json out;
  out["cdiVersion"] = kSpecVersion;
  out["kind"] = kind;
  Json device_list = Json::array();
  for (const Device& device : devices) {
    device_list.push_back({{"name", device.name}, {"containerEdits", EditsJson(device.edits)}});
  }
  out["devices"] = device_list;
  out["containerEdits"] = EditsJson(edits);
  return out.dump(2) + "\n";
}

std::string QualifiedName(const std::string& device_class, const std::string& name) {
  return std::string(kVendor) + "/" + device_class + "=" + name;
}

bool ValidDeviceName(const std::string& name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name.front())) ||
      !std::isalnum(static_cast<unsigned char>(name.back()))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

}  // namespace nvdp::cdi
