#include "dra/claim.h"

#include <nlohmann/json.hpp>

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;

std::string StringAt(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json& ObjectAt(const Json& object, const char* key) {
  static const Json kNone;
  if (!object.is_object()) return kNone;
  auto it = object.find(key);
  return it != object.end() ? *it : kNone;
}

}  // namespace

std::string ClaimPath(const std::string& ns, const std::string& name) {
  return "/apis/resource.k8s.io/v1/namespaces/" + ns + "/resourceclaims/" + name;
}

std::vector<AllocatedDevice> AllocatedDevices(const Json& claim, const ClaimRef& ref,
                                              const std::string& driver, const std::string& pool) {
  const std::string uid = StringAt(ObjectAt(claim, "metadata"), "uid");
  if (uid != ref.uid) {
    throw ClaimError("ResourceClaim " + ref.ns + "/" + ref.name + " has UID " + uid + ", not " +
                     ref.uid + " (deleted and created again?)");
  }
  const Json& allocation = ObjectAt(ObjectAt(claim, "status"), "allocation");
  if (!allocation.is_object()) {
    throw ClaimError("ResourceClaim " + ref.ns + "/" + ref.name + " is not allocated");
  }
  const Json& results = ObjectAt(ObjectAt(allocation, "devices"), "results");
  std::vector<AllocatedDevice> devices;
  if (results.is_array()) {
    for (const Json& result : results) {
      if (StringAt(result, "driver") != driver) continue;
      AllocatedDevice device{StringAt(result, "request"), StringAt(result, "pool"),
                             StringAt(result, "device"), StringAt(result, "shareID")};
      if (device.pool != pool) {
        throw ClaimError("ResourceClaim " + ref.ns + "/" + ref.name + " was allocated device " +
                         device.device + " of pool " + device.pool + ", not of this node's pool " +
                         pool);
      }
      if (device.device.empty()) {
        throw ClaimError("ResourceClaim " + ref.ns + "/" + ref.name +
                         " has an allocation result without a device");
      }
      devices.push_back(std::move(device));
    }
  }
  if (devices.empty()) {
    throw ClaimError("ResourceClaim " + ref.ns + "/" + ref.name + " has no devices of driver " +
                     driver);
  }
  return devices;
}

}  // namespace nvdp::dra
