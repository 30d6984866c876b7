#include "plugin/preferred.h"

#include <algorithm>
#include <map>
#include <optional>

#include "plugin/allocate.h"

namespace nvdp::plugin {
namespace {

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

std::vector<std::string> PreferredAllocation(const Resource& resource,
                                             const std::vector<std::string>& available,
                                             const std::vector<std::string>& must_include,
                                             int size) {
  const std::string prefix =
      "error getting list of preferred allocation devices for \"" + resource.name + "\": ";
  if (size < 1)
    throw RequestError(prefix + "allocation size must be at least 1, got " + std::to_string(size));
  for (const auto* list : {&available, &must_include}) {
    for (const std::string& id : *list) {
      if (resource.Find(id) == nullptr) throw RequestError(prefix + "unknown device: " + id);
    }
  }
  for (const std::string& id : must_include) {
    if (!Contains(available, id)) {
      throw RequestError(prefix + "must-include device " + id + " is not available");
    }
  }
  if (static_cast<int>(must_include.size()) > size) {
    throw RequestError(prefix + std::to_string(must_include.size()) +
                       " must-include devices exceed the allocation size " + std::to_string(size));
  }
  if (static_cast<int>(available.size()) < size) {
    throw RequestError(prefix +
                       "not enough available devices: " + std::to_string(available.size()) +
                       " available, " + std::to_string(size) + " requested");
  }

  std::vector<std::string> chosen = must_include;
  // Prefer the NUMA node of the first must-include device, else the node with most candidates.
  std::optional<int> node;
  if (!chosen.empty()) node = resource.Find(chosen.front())->numa_node;
  if (!node) {
    std::map<int, int> per_node;
    for (const std::string& id : available) {
      if (auto n = resource.Find(id)->numa_node) ++per_node[*n];
    }
    int best = 0;
    for (const auto& [candidate, count] : per_node) {
      if (count > best) {
        best = count;
        node = candidate;
      }
    }
  }
  for (bool same_node_pass : {true, false}) {
    for (const std::string& id : available) {
      if (static_cast<int>(chosen.size()) == size) return chosen;
      if (Contains(chosen, id)) continue;
      bool same_node = node && resource.Find(id)->numa_node == node;
      if (same_node == same_node_pass) chosen.push_back(id);
    }
  }
  return chosen;
}

}  // namespace nvdp::plugin
