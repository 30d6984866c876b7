// The best-effort policy (best_effort.h) over a machine's decomposition (decomposition.h): the
// optimum comes from PieceValues, exact and without a search, and the walk in the kubelet's order
// builds each set one GPU at a time, in upstream's order of options: a GPU joins the set when
// some completion of it still reaches the optimum, else it stays out.
#pragma once

#include <vector>

#include "alloc/pair_scores.h"

namespace nvdp::alloc {

// Rows of the chosen set in `available` order. `scores` must decompose; 1 < size <
// |available|. Empty if the walk lost its way (a bug; the caller then searches instead).
std::vector<int> WalkDecomposition(const PairScores& scores, const std::vector<int>& available,
                                   const std::vector<int>& required, int size);

}  // namespace nvdp::alloc
