#include "plugin/allocate/preferred.h"

#include <algorithm>
#include <stdexcept>

#include "alloc/best_effort.h"
#include "common/strings.h"
#include "plugin/allocate/allocate.h"

namespace nvdp::plugin {

PreferredAllocator::PreferredAllocator(const Resource& resource, PreferenceSettings settings)
    : resource_(resource), settings_(settings) {
  std::unordered_map<std::string, size_t> gpu_keys;
  size_t gpus = 0;
  for (const AllocatableDevice& device : resource.devices) {
    gpus = std::max(gpus, device.gpu_position + 1);
  }
  if (settings_.scores == nullptr)
    no_links_ = alloc::PairScores(gpus, std::vector<int>(gpus * gpus));
  for (size_t i = 0; i < resource.devices.size(); ++i) {
    const AllocatableDevice& device = resource.devices[i];
    by_id_.emplace(device.id, i);
    if (device.mig || device.replicas > 0 || device.integrated) aligned_ = false;
    // Replicas of one GPU (or of one MIG device's parent) share a physical GPU.
    gpu_of_.push_back(gpu_keys.emplace(device.gpu_uuid, gpu_keys.size()).first->second);
  }
}

std::vector<size_t> PreferredAllocator::Lookup(const std::vector<std::string>& ids,
                                               const std::string& prefix) const {
  std::vector<size_t> devices;
  devices.reserve(ids.size());
  std::vector<bool> seen(resource_.devices.size());
  for (const std::string& id : ids) {
    auto found = by_id_.find(id);
    if (found == by_id_.end()) throw RequestError(prefix + "unknown device: " + PrintableInput(id));
    if (seen[found->second])
      throw RequestError(prefix + "device listed twice: " + PrintableInput(id));
    seen[found->second] = true;
    devices.push_back(found->second);
  }
  return devices;
}

std::vector<std::string> PreferredAllocator::Choose(const std::vector<std::string>& available,
                                                    const std::vector<std::string>& must_include,
                                                    int size, const HealthCheck& healthy) const {
  const std::string prefix =
      "error getting list of preferred allocation devices for \"" + resource_.name + "\": ";
  if (size < 1)
    throw RequestError(prefix + "allocation size must be at least 1, got " + std::to_string(size));
  std::vector<size_t> candidates = Lookup(available, prefix);
  const std::vector<size_t> required = Lookup(must_include, prefix);
  for (size_t i = 0; i < required.size(); ++i) {
    if (std::find(candidates.begin(), candidates.end(), required[i]) == candidates.end()) {
      throw RequestError(prefix + "must-include device " + PrintableInput(must_include[i]) +
                         " is not available");
    }
  }
  if (required.size() > static_cast<size_t>(size)) {
    throw RequestError(prefix + std::to_string(required.size()) +
                       " must-include devices exceed the allocation size " + std::to_string(size));
  }
  if (candidates.size() < static_cast<size_t>(size)) {
    throw RequestError(prefix +
                       "not enough available devices: " + std::to_string(candidates.size()) +
                       " available, " + std::to_string(size) + " requested");
  }

  // The kubelet offers only devices it saw healthy, but a GPU can fail in between: leave it out
  // while the request can still be met without it (the answer is only a preference).
  if (healthy) {
    std::vector<size_t> usable;
    for (size_t device : candidates) {
      bool is_required = std::find(required.begin(), required.end(), device) != required.end();
      if (is_required || healthy(resource_.devices[device])) usable.push_back(device);
    }
    if (usable.size() >= static_cast<size_t>(size)) candidates = std::move(usable);
  }

  std::vector<size_t> chosen;
  if (aligned_) {
    // Best-effort search over GPU positions (rows of the score matrix).
    std::vector<int> rows, required_rows;
    for (size_t device : candidates) {
      rows.push_back(static_cast<int>(resource_.devices[device].gpu_position));
    }
    for (size_t device : required) {
      required_rows.push_back(static_cast<int>(resource_.devices[device].gpu_position));
    }
    size_t rows_needed = 0;
    for (int row : rows) rows_needed = std::max(rows_needed, static_cast<size_t>(row) + 1);
    const alloc::PairScores* scores = settings_.scores ? settings_.scores : &no_links_;
    if (scores->size() < rows_needed) {
      throw std::logic_error("the link scores do not cover GPU " + std::to_string(rows_needed - 1));
    }
    for (int row : alloc::BestEffortAllocate(*scores, rows, required_rows, size)) {
      for (size_t device : candidates) {
        if (static_cast<int>(resource_.devices[device].gpu_position) == row) {
          chosen.push_back(device);
          break;
        }
      }
    }
  } else {
    chosen = alloc::SharedAllocate(settings_.shared_policy, gpu_of_, candidates, required,
                                   static_cast<size_t>(size));
  }
  std::vector<std::string> ids;
  ids.reserve(chosen.size());
  for (size_t device : chosen) ids.push_back(resource_.devices[device].id);
  return ids;
}

}  // namespace nvdp::plugin
