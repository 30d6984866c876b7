// Preferred allocation for devices that share a physical GPU: time-sliced replicas and MIG
// devices (spec §5.4). Upstream picks among ties at random; these picks are deterministic.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace nvdp::alloc {

enum class SharedPolicy {
  kDistributed,  // spread over the GPUs with the fewest devices taken (upstream's default)
  kPacked,       // fill the GPUs already in use first, keeping whole GPUs free
};

// "distributed" or "packed"; false for anything else.
bool ParseSharedPolicy(std::string_view text, SharedPolicy* policy);
std::string_view SharedPolicyName(SharedPolicy policy);

// `gpu_of[d]` is the physical GPU of the resource's device d (any small integer key);
// `available` and `required` are device numbers, `available` in the kubelet's order, with
// `required` a subset of it and |required| <= size <= |available|. Returns `required` followed
// by the picked devices.
//
// A GPU's "taken" count is its number of devices that are not available. Each pick goes to
// the first available device, in the kubelet's order, on the GPU that
//   distributed: has the fewest taken, then the fewest picked by this request so far;
//   packed:      has the most taken, then the fewest still available.
// Picks count as taken for the next pick.
std::vector<size_t> SharedAllocate(SharedPolicy policy, const std::vector<size_t>& gpu_of,
                                   const std::vector<size_t>& available,
                                   const std::vector<size_t>& required, size_t size);

}  // namespace nvdp::alloc
