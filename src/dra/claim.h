// What a prepare needs from a ResourceClaim (resource.k8s.io/v1): the devices allocated to it by
// this driver from this node's pool (status.allocation.devices.results). Pure.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace nvdp::dra {

// The claim cannot be prepared; the message is given back as that claim's error.
class ClaimError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClaimRef {
  std::string uid, ns, name;
};

struct AllocatedDevice {
  std::string request;
  std::string pool;
  std::string device;
  std::string share_id;  // consumable capacity; "" for whole devices
  bool operator==(const AllocatedDevice&) const = default;
};

// What the kubelet sent is used in file names and API paths: a UID of letters, digits and '-'
// (at most 128), a namespace that is a DNS label and a name that is a DNS subdomain. "" when
// valid, otherwise the error.
std::string InvalidClaimRef(const ClaimRef& ref);

// The API path of a claim.
std::string ClaimPath(const std::string& ns, const std::string& name);
inline constexpr const char* kAllClaimsPath = "/apis/resource.k8s.io/v1/resourceclaims";

// Results of `claim` for `driver` in pool `pool`, in the order the scheduler listed them. Throws
// ClaimError when the object is not the claim asked for (another UID: it was deleted and
// recreated), is not allocated, or has no result for this driver and pool.
std::vector<AllocatedDevice> AllocatedDevices(const nlohmann::json& claim, const ClaimRef& ref,
                                              const std::string& driver, const std::string& pool);

}  // namespace nvdp::dra
