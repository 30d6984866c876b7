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

namespace {

bool OnlyOf(const std::string& text, const char* allowed) {
  return text.find_first_not_of(allowed) == std::string::npos;
}

bool AlnumEnds(const std::string& text) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !text.empty() && alnum(text.front()) && alnum(text.back());
}

}  // namespace

std::string InvalidClaimRef(const ClaimRef& ref) {
  if (ref.uid.empty() || ref.ns.empty() || ref.name.empty()) {
    return "claim namespace, name and uid are required";
  }
  if (ref.uid.size() > 128 ||
      !OnlyOf(ref.uid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")) {
    return "invalid claim UID \"" + ref.uid.substr(0, 128) + "\"";
  }
  if (ref.ns.size() > 63 || !AlnumEnds(ref.ns) ||
      !OnlyOf(ref.ns, "abcdefghijklmnopqrstuvwxyz0123456789-")) {
    return "invalid claim namespace \"" + ref.ns.substr(0, 63) + "\"";
  }
  if (ref.name.size() > 253 || !AlnumEnds(ref.name) ||
      !OnlyOf(ref.name, "abcdefghijklmnopqrstuvwxyz0123456789-.")) {
    return "invalid claim name \"" + ref.name.substr(0, 253) + "\"";
  }
  return "";
}

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
