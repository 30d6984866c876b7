#include "alloc/shared_policy.h"

#include <algorithm>
#include <tuple>

namespace nvdp::alloc {

bool ParseSharedPolicy(std::string_view text, SharedPolicy* policy) {
  if (text == "distributed") {
    *policy = SharedPolicy::kDistributed;
  } else if (text == "packed") {
    *policy = SharedPolicy::kPacked;
  } else {
    return false;
  }
  return true;
}

std::string_view SharedPolicyName(SharedPolicy policy) {
  return policy == SharedPolicy::kPacked ? "packed" : "distributed";
}

std::vector<size_t> SharedAllocate(SharedPolicy policy, const std::vector<size_t>& gpu_of,
                                   const std::vector<size_t>& available,
                                   const std::vector<size_t>& required, size_t size) {
  size_t gpus = 0;
  for (size_t gpu : gpu_of) gpus = std::max(gpus, gpu + 1);
  std::vector<int> total(gpus), free(gpus), picked(gpus);
  for (size_t gpu : gpu_of) ++total[gpu];

  std::vector<bool> is_required(gpu_of.size());
  for (size_t device : required) is_required[device] = true;
  // The candidates in the kubelet's order; required devices are already taken by this request.
  std::vector<size_t> candidates;
  for (size_t device : available) {
    if (is_required[device]) continue;
    candidates.push_back(device);
    ++free[gpu_of[device]];
  }

  std::vector<size_t> chosen = required;
  std::vector<bool> used(candidates.size());
  while (chosen.size() < size) {
    // Lower keys are better; the first candidate wins among equal keys.
    auto key = [&](size_t gpu) {
      const int taken = total[gpu] - free[gpu];
      return policy == SharedPolicy::kDistributed ? std::make_tuple(taken, picked[gpu])
                                                  : std::make_tuple(-taken, free[gpu]);
    };
    size_t best = candidates.size();
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (used[i]) continue;
      if (best == candidates.size() || key(gpu_of[candidates[i]]) < key(gpu_of[candidates[best]])) {
        best = i;
      }
    }
    if (best == candidates.size()) break;  // callers guarantee enough candidates
    used[best] = true;
    const size_t gpu = gpu_of[candidates[best]];
    --free[gpu];
    ++picked[gpu];
    chosen.push_back(candidates[best]);
  }
  return chosen;
}

}  // namespace nvdp::alloc
