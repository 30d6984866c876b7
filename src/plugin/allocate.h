// Builds the kubelet's Allocate answer for one container from plain data (spec §4.5). No gRPC, no
// NVML: the gRPC layer converts the result, and tests call it directly.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugin/resource.h"

namespace nvdp::plugin {

// A request the kubelet should not have sent (unknown device, malformed); the message is what
// the kubelet logs, so it names the resource and the offending value.
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class DeviceIdStrategy { kUuid, kIndex };

struct AllocateOptions {
  DeviceIdStrategy id_strategy = DeviceIdStrategy::kUuid;
};

struct ContainerAllocation {
  std::map<std::string, std::string> envs;
};

// Throws RequestError.
ContainerAllocation BuildContainerAllocation(const Resource& resource,
                                             const std::vector<std::string>& requested_ids,
                                             const AllocateOptions& options);

// "<uuid>::3" -> "<uuid>"; IDs without a replica suffix are returned unchanged.
std::string StripReplicaSuffix(const std::string& id);

}  // namespace nvdp::plugin
