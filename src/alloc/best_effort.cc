#include "alloc/best_effort.h"

#include "alloc/decomposed_walk.h"
#include "alloc/partition_search.h"

namespace nvdp::alloc {
namespace {

std::vector<int> Allocate(const PairScores& scores, const std::vector<int>& available,
                          const std::vector<int>& required, int size, bool decompose) {
  const int m = static_cast<int>(available.size());
  std::vector<int> local;
  if (size == m) {
    for (int i = 0; i < m; ++i) local.push_back(i);  // one set: everything, in input order
  } else if (size == 1) {
    // Single-device sets in input order: the first holding the required device wins.
    local.push_back(required.empty() ? 0 : LocalIndex(available, required[0]));
  } else if (decompose && scores.decomposition() != nullptr) {
    std::vector<int> rows = WalkDecomposition(scores, available, required, size);
    if (!rows.empty()) return rows;
    return Allocate(scores, available, required, size, false);  // not reached (tests check)
  } else if (m > kMaxExactGpus) {
    local = GreedySet(scores, available, required, size);
  } else {
    local = SearchPartitions(scores, available, required, size);
  }
  std::vector<int> rows;
  for (int i : local) rows.push_back(available[i]);
  return rows;
}

}  // namespace

std::vector<int> BestEffortAllocate(const PairScores& scores, const std::vector<int>& available,
                                    const std::vector<int>& required, int size) {
  return Allocate(scores, available, required, size, true);
}

std::vector<int> BestEffortByDecomposition(const PairScores& scores,
                                           const std::vector<int>& available,
                                           const std::vector<int>& required, int size) {
  if (scores.decomposition() == nullptr || size <= 1 ||
      size >= static_cast<int>(available.size())) {
    return {};
  }
  return WalkDecomposition(scores, available, required, size);
}

std::vector<int> BestEffortBySearch(const PairScores& scores, const std::vector<int>& available,
                                    const std::vector<int>& required, int size) {
  return Allocate(scores, available, required, size, false);
}

}  // namespace nvdp::alloc
