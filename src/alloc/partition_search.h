// The best-effort policy (best_effort.h) for any scores: a memoised branch-and-bound over
// partitions, run in GPU order whatever order the kubelet sent, with bounds that cut partial
// sets; the answer is rebuilt by walking the options in upstream's enumeration order. Used where
// the scores do not decompose (decomposition.h). Positions are indices into `available`.
#pragma once

#include <vector>

#include "alloc/pair_scores.h"

namespace nvdp::alloc {

// Positions in `available` of the chosen set, ascending. At most kMaxExactGpus available.
std::vector<int> SearchPartitions(const PairScores& scores, const std::vector<int>& available,
                                  const std::vector<int>& required, int size);

// For more GPUs than the search takes: the set grown from the required devices (or the first
// device) by the device that adds the most score. Positions, ascending.
std::vector<int> GreedySet(const PairScores& scores, const std::vector<int>& available,
                           const std::vector<int>& required, int size);

// The position of `row` in `available`.
int LocalIndex(const std::vector<int>& available, int row);

}  // namespace nvdp::alloc
