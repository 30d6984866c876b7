// Pairwise GPU scores for the best-effort policy (spec §5.2): the PCIe relation (CrossCPU 10 ...
// SameBoard 60) plus 100 per direct NVLink. Computed once from the cached link matrix.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "device/link_matrix.h"

namespace nvdp::alloc {

class Decomposition;

int P2PScore(device::P2PLink link);

class PairScores {
 public:
  PairScores() = default;
  explicit PairScores(const device::LinkMatrix& links);
  // For tests and benchmarks: scores given directly (row-major, n x n).
  PairScores(size_t n, std::vector<int> scores);

  size_t size() const { return n_; }
  // Score of the pair as upstream computes it: links from `a` towards `b`.
  int operator()(size_t a, size_t b) const { return scores_[a * n_ + b]; }
  // The machine's groups that score alike across (decomposition.h), or nullptr where the scores
  // do not decompose. Computed once, with the scores.
  const Decomposition* decomposition() const { return decomposition_.get(); }

 private:
  size_t n_ = 0;
  std::vector<int> scores_;
  std::shared_ptr<const Decomposition> decomposition_;
};

}  // namespace nvdp::alloc
