#include "dra/slices.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "kube/api.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;

Json AttributeJson(const Attribute& attribute) {
  switch (attribute.type) {
    case Attribute::Type::kString:
      return {{"string", attribute.text}};
    case Attribute::Type::kVersion:
      return {{"version", attribute.text}};
    case Attribute::Type::kInt:
      return {{"int", attribute.number}};
    case Attribute::Type::kBool:
      return {{"bool", attribute.flag}};
  }
  return Json::object();
}

}  // namespace

Json DeviceJson(const Device& device, const std::vector<DeviceTaint>& taints) {
  Json attributes = Json::object();
  for (const auto& [name, attribute] : device.attributes)
    attributes[name] = AttributeJson(attribute);
  Json capacity = Json::object();
  for (const auto& [name, quantity] : device.capacity) capacity[name] = {{"value", quantity}};
  Json out = {{"name", device.name}, {"attributes", attributes}, {"capacity", capacity}};
  for (const DeviceTaint& taint : taints) {
    out["taints"].push_back({{"key", taint.key},
                             {"value", taint.value},
                             {"effect", "NoSchedule"},
                             {"timeAdded", taint.time_added}});
  }
  return out;
}

std::vector<Json> DeviceChunks(const std::vector<Device>& devices, std::size_t per_slice,
                               const TaintsByDevice& taints) {
  std::vector<Json> chunks;
  per_slice = std::max<std::size_t>(per_slice, 1);
  for (std::size_t i = 0; i < devices.size(); i += per_slice) {
    Json chunk = Json::array();
    for (std::size_t j = i; j < std::min(devices.size(), i + per_slice); ++j) {
      auto tainted = taints.find(devices[j].name);
      chunk.push_back(tainted == taints.end() ? DeviceJson(devices[j])
                                              : DeviceJson(devices[j], tainted->second));
    }
    chunks.push_back(std::move(chunk));
  }
  if (chunks.empty()) chunks.push_back(Json::array());  // an empty pool is still published
  return chunks;
}

Json SliceSpec(const Pool& pool, const Json& devices) {
  return {{"driver", kDriverName},
          {"nodeName", pool.node_name},
          {"pool",
           {{"name", pool.node_name},
            {"generation", pool.generation},
            {"resourceSliceCount", pool.slice_count}}},
          {"devices", devices}};
}

Json NewSlice(const Pool& pool, const Json& devices) {
  Json metadata = {{"generateName", pool.node_name + "-" + kDriverName + "-"}};
  if (!pool.node_uid.empty()) {
    metadata["ownerReferences"] = Json::array({{{"apiVersion", "v1"},
                                                {"kind", "Node"},
                                                {"name", pool.node_name},
                                                {"uid", pool.node_uid},
                                                {"controller", true}}});
  }
  return {{"apiVersion", "resource.k8s.io/v1"},
          {"kind", "ResourceSlice"},
          {"metadata", metadata},
          {"spec", SliceSpec(pool, devices)}};
}

std::string SliceSelectorQuery(const std::string& node_name) {
  return "fieldSelector=" + kube::QueryEscape(std::string("spec.driver=") + kDriverName +
                                              ",spec.nodeName=" + node_name);
}

}  // namespace nvdp::dra
