// GetPreferredAllocation's answer for one container (spec §5). Full GPUs get upstream's
// best-effort topology policy over the link scores cached at start; replicas and MIG devices get
// the shared-device policy (distributed or packed). Nothing here calls NVML.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alloc/pair_scores.h"
#include "alloc/shared_policy.h"
#include "resource/resource.h"

namespace nvdp::plugin {

using resource::AllocatableDevice;
using resource::Resource;

struct PreferenceSettings {
  const alloc::PairScores* scores = nullptr;  // by gpu_position; nullptr: every pair scores 0
  alloc::SharedPolicy shared_policy = alloc::SharedPolicy::kDistributed;
};

// Whether a device may be handed out; an unhealthy device is left out of the answer.
using HealthCheck = std::function<bool(const AllocatableDevice&)>;

class PreferredAllocator {
 public:
  // `resource` and the settings' scores must outlive the allocator.
  PreferredAllocator(const Resource& resource, PreferenceSettings settings);

  // Throws RequestError for impossible requests: size < 1, more must-include devices than size,
  // fewer available devices than size, unknown or repeated IDs, must-include devices that are
  // not available. Unhealthy available devices are passed over while enough healthy ones remain.
  std::vector<std::string> Choose(const std::vector<std::string>& available,
                                  const std::vector<std::string>& must_include, int size,
                                  const HealthCheck& healthy = {}) const;

  // True when the topology-aware policy applies: every device is a whole GPU.
  bool aligned() const { return aligned_; }

 private:
  std::vector<size_t> Lookup(const std::vector<std::string>& ids, const std::string& prefix) const;

  const Resource& resource_;
  PreferenceSettings settings_;
  bool aligned_ = true;
  std::unordered_map<std::string_view, size_t> by_id_;
  std::vector<size_t> gpu_of_;  // physical GPU of each device, for the shared policy
  alloc::PairScores no_links_;  // all zero, when the settings have no scores
};

}  // namespace nvdp::plugin
