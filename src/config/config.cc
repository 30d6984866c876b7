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

namespace {

template <typename T>
std::optional<T> Get(const Config& config, std::string_view key) {
  auto it = config.values.find(key);
  if (it == config.values.end()) return std::nullopt;
  if (const T* value = std::get_if<T>(&it->second)) return *value;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> Config::String(std::string_view key) const {
  return Get<std::string>(*this, key);
}
std::optional<bool> Config::Bool(std::string_view key) const { return Get<bool>(*this, key); }
std::optional<long long> Config::Int(std::string_view key) const {
  return Get<long long>(*this, key);
}
std::optional<std::vector<std::string>> Config::Strings(std::string_view key) const {
  return Get<std::vector<std::string>>(*this, key);
}
std::optional<std::vector<long long>> Config::Ints(std::string_view key) const {
  return Get<std::vector<long long>>(*this, key);
}

}  // namespace nvdp::config
