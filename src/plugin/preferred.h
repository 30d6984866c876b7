// GetPreferredAllocation's answer for one container. A NUMA-aware first policy: the must-include
// devices, then devices on the same NUMA node, in the kubelet's order. The topology-aware
// allocator (link scores) replaces it; the validation rules stay.
#pragma once

#include <string>
#include <vector>

#include "plugin/resource.h"

namespace nvdp::plugin {

// Throws RequestError for impossible requests: size < 1, more must-include devices than size,
// fewer available devices than size, unknown IDs, or must-include devices that are not available.
std::vector<std::string> PreferredAllocation(const Resource& resource,
                                             const std::vector<std::string>& available,
                                             const std::vector<std::string>& must_include,
                                             int size);

}  // namespace nvdp::plugin
