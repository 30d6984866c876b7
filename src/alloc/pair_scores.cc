#include "alloc/pair_scores.h"

#include "alloc/decomposition.h"

namespace nvdp::alloc {

int P2PScore(device::P2PLink link) {
  switch (link) {
    case device::P2PLink::kCrossCpu:
      return 10;
    case device::P2PLink::kSameCpu:
      return 20;
    case device::P2PLink::kHostBridge:
      return 30;
    case device::P2PLink::kMultiSwitch:
      return 40;
    case device::P2PLink::kSingleSwitch:
      return 50;
    case device::P2PLink::kSameBoard:
      return 60;
    case device::P2PLink::kUnknown:
      break;  // upstream fails the call; an unknown pair just scores 0
  }
  return 0;
}

PairScores::PairScores(const device::LinkMatrix& links) : n_(links.size()), scores_(n_ * n_, 0) {
  for (size_t a = 0; a < n_; ++a) {
    for (size_t b = 0; b < n_; ++b) {
      if (a != b) scores_[a * n_ + b] = P2PScore(links.p2p(a, b)) + 100 * links.nvlinks(a, b);
    }
  }
  decomposition_ = Decomposition::Build(*this);
}

PairScores::PairScores(size_t n, std::vector<int> scores) : n_(n), scores_(std::move(scores)) {
  decomposition_ = Decomposition::Build(*this);
}

}  // namespace nvdp::alloc
