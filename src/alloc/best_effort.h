// Upstream's best-effort policy for whole GPUs (spec §5.3), computed exactly but without
// enumerating partitions.
//
// Upstream enumerates every partition of the available GPUs (padded with empty slots to a
// multiple of the request size) into sets of that size, keeps the first partition with the
// highest total score, and returns that partition's best set. This module returns the same set
// on every input: a memoised branch-and-bound over the subsets of GPUs still to place computes
// the best score (in GPU order, whatever order the kubelet sent, with bounds that cut partial
// sets), and the answer is then rebuilt by walking the options in upstream's enumeration order
// (the kubelet's) and taking the first one that reaches the optimum, which is exactly the
// partition the enumeration keeps. The memo lives for one call and grows with the work done.
#pragma once

#include <string>
#include <vector>

#include "alloc/pair_scores.h"

namespace nvdp::alloc {

// `available` and `required` are rows of `scores`, `available` in the kubelet's order; `required`
// must be a subset of `available`, with |required| <= size <= |available| and size >= 1 (callers
// report the impossible cases). Returns rows in `available` order.
//
// Where upstream could return its padded set (and crash on it, spec §5.3 quirk 8) the best
// padding-free set is returned instead.
std::vector<int> BestEffortAllocate(const PairScores& scores, const std::vector<int>& available,
                                    const std::vector<int>& required, int size);

// The answer by the machine's decomposition alone (decomposition.h), what BestEffortAllocate
// uses where the scores decompose; empty where they do not, for sizes 1 and all (answered
// directly), and if the walk lost its way (a bug: BestEffortAllocate then searches). For tests.
std::vector<int> BestEffortByDecomposition(const PairScores& scores,
                                           const std::vector<int>& available,
                                           const std::vector<int>& required, int size);

// The same answer by the branch-and-bound search alone, without the machine's decomposition
// (decomposition.h): what BestEffortAllocate does where the scores do not decompose. For tests
// and benchmarks, which compare the two.
std::vector<int> BestEffortBySearch(const PairScores& scores, const std::vector<int>& available,
                                    const std::vector<int>& required, int size);

// The largest number of available GPUs the branch-and-bound search handles; above it, where the
// scores do not decompose, a greedy choice is made (no shipped machine comes close).
inline constexpr int kMaxExactGpus = 24;

}  // namespace nvdp::alloc
