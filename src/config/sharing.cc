#include "config/config.h"

namespace nvdp::config {
namespace {

bool AnyReplicated(const std::optional<ReplicatedResources>& block) {
  if (!block) return false;
  for (const ReplicatedResource& resource : block->resources) {
    if (resource.replicas > 1) return true;
  }
  return false;
}

}  // namespace

Sharing::Strategy Sharing::strategy() const {
  if (mps && AnyReplicated(mps)) return Strategy::kMps;
  if (AnyReplicated(time_slicing)) return Strategy::kTimeSlicing;
  return Strategy::kNone;
}

const ReplicatedResources* Sharing::replicated() const {
  if (mps) return &*mps;
  if (time_slicing) return &*time_slicing;
  return nullptr;
}

}  // namespace nvdp::config
