// Upstream's best-effort policy exactly as spec §5.3 describes it: enumerate every partition and
// keep the first best. The reference the fast search is tested and benchmarked against; not part
// of the product. Exponential: keep inputs small in tests.
#pragma once

#include <vector>

#include "alloc/pair_scores.h"

namespace nvdp::reference {

// Steps 1-7 of §5.3 (the intended behaviour, without the storage-sharing bug of quirk 9), with
// quirk 8 resolved as the product resolves it: the padded set is never returned. Returns rows of
// `scores`; empty where upstream returns empty.
std::vector<int> ExhaustiveBestEffort(const alloc::PairScores& scores,
                                      const std::vector<int>& available,
                                      const std::vector<int>& required, int size);

}  // namespace nvdp::reference
