#include "alloc/decomposed_walk.h"

#include <algorithm>
#include <bit>
#include <climits>

#include "alloc/piece_values.h"

namespace nvdp::alloc {
namespace {

// With a decomposition: the optimum comes from PieceValues, exact and without a search, and the
// walk in the kubelet's order builds each set one GPU at a time, in upstream's order of options:
// a GPU joins the set when some completion of it still reaches the optimum, else it stays out.
class DecomposedWalk {
 public:
  DecomposedWalk(const PairScores& scores, const std::vector<int>& available,
                 const std::vector<int>& required, int size)
      : scores_(scores),
        values_(*scores.decomposition()),
        available_(available),
        k_(size),
        pads_((size - static_cast<int>(available.size()) % size) % size) {
    for (int row : available) mask_ |= 1u << row;
    for (int row : required) required_ |= 1u << row;
    fulls_ = (static_cast<int>(available.size()) + pads_) / k_ - (pads_ > 0 ? 1 : 0);
    pad_ = pads_ > 0;
    pending_ = required_ != 0;
  }

  // Rows of the chosen set in `available` order; empty if the walk lost its way (a bug: the
  // caller then searches instead).
  std::vector<int> Run() {
    int target = Value();
    struct Set {
      uint32_t members;
      int score;
      bool padded;
    };
    std::vector<Set> partition;
    while (mask_ != 0) {
      int first = -1;
      std::vector<int> candidates;
      for (int row : available_) {
        if (!(mask_ & (1u << row))) continue;
        if (first < 0) {
          first = row;
        } else {
          candidates.push_back(row);
        }
      }
      if (first < 0) return {};  // mask_ only holds available rows; never taken
      uint32_t set = 1u << first;
      uint32_t excluded = 0;
      // Twins of a GPU that could not join cannot either (swap them): no need to ask. Asking
      // again only adds constraints, so this holds for the rest of the set.
      uint32_t cannot_join = 0;
      size_t next = 0;
      bool padded = false;
      while (std::popcount(set) < k_) {
        bool extended = false;
        for (; next < candidates.size(); ++next) {
          const uint32_t gpu = 1u << candidates[next];
          if (!(cannot_join & gpu)) {
            if (Reaches(set | gpu, excluded, target)) {
              set |= gpu;
              ++next;
              extended = true;
              break;
            }
            const uint32_t twins = scores_.decomposition()->Twins(candidates[next]) & mask_;
            cannot_join |= twins & ((gpu & required_) ? required_ : ~required_);
          }
          excluded |= gpu;
        }
        if (extended) continue;
        // No full set extends it: the padded set itself comes next in upstream's order.
        if (!pad_ || std::popcount(set) != k_ - pads_) return {};
        padded = true;
        break;
      }
      const int score = SetScore(set);
      partition.push_back({set, score, padded});
      target -= score;
      mask_ &= ~set;
      if (padded) {
        pad_ = false;
      } else {
        --fulls_;
      }
      if ((set & required_) == required_) pending_ = false;
      // The rest of the partition cannot change the answer: the required set is placed, or no
      // set still to come can beat the best so far (they add up to `target`; ties go earlier).
      if (required_ != 0 && !pending_) break;
      if (required_ == 0) {
        int best = -1;
        for (const Set& done : partition) {
          if (!done.padded) best = std::max(best, done.score);
        }
        if (best >= target) break;
      }
    }
    const Set* chosen = nullptr;
    for (const Set& set : partition) {
      if (required_ != 0) {
        if ((set.members & required_) == required_) chosen = &set;
      } else if (!set.padded && (!chosen || set.score > chosen->score)) {
        chosen = &set;
      }
    }
    std::vector<int> rows;
    for (int row : available_) {
      if (chosen && (chosen->members & (1u << row))) rows.push_back(row);
    }
    return rows;
  }

 private:
  using Piece = PieceValues::Piece;

  int SetScore(uint32_t set) const {
    int total = 0;
    for (uint32_t a = set; a; a &= a - 1) {
      for (uint32_t b = a & (a - 1); b; b &= b - 1) {
        total += scores_(std::countr_zero(a), std::countr_zero(b));
      }
    }
    return total;
  }

  // What is left to place, `current` being one of the sets (size 0: none): `fulls` full sets
  // besides it, the padded set if `pad`, the required set apart if asked.
  bool Left(int fulls, bool pad, bool required_apart, Piece current, PieceValues::Sets* sets) {
    if (current.size > 0) sets->Add(current);
    if (required_apart) {
      if (fulls == 0) return false;
      sets->Add(Piece{k_, required_, 0, required_});
      --fulls;
    }
    for (int i = 0; i < fulls; ++i) sets->Add(k_);
    if (pad) sets->Add(k_ - pads_);
    return true;
  }
  bool Reach(int fulls, bool pad, bool required_apart, Piece current, int target) {
    PieceValues::Sets sets;
    return Left(fulls, pad, required_apart, current, &sets) && values_.Reaches(mask_, sets, target);
  }

  // The best score of everything still to place.
  int Value() {
    PieceValues::Sets sets;
    if (!Left(fulls_, pad_, pending_, Piece{}, &sets)) return kInfeasibleScore;
    return values_.Best(mask_, sets);
  }

  // Whether everything still to place can reach `target` when the next set holds `held` and
  // none of `excluded`, full or padded.
  bool Reaches(uint32_t held, uint32_t excluded, int target) {
    for (bool full : {true, false}) {
      if (full ? fulls_ == 0 : !pad_) continue;
      const int size = full ? k_ : k_ - pads_;
      if (std::popcount(held) > size) continue;
      const int fulls = fulls_ - (full ? 1 : 0);
      const bool pad = pad_ && full;
      if (!pending_) {
        if (Reach(fulls, pad, false, Piece{size, held, excluded}, target)) return true;
        continue;
      }
      // The required set is this one (full) or a later one.
      if (full && !(excluded & required_) &&
          Reach(fulls, pad, false, Piece{size, held | required_, excluded, required_}, target)) {
        return true;
      }
      if (!(held & required_) &&
          Reach(fulls, pad, true, Piece{size, held, excluded | required_}, target)) {
        return true;
      }
    }
    return false;
  }

  const PairScores& scores_;
  PieceValues values_;
  const std::vector<int>& available_;
  int k_;
  int pads_;
  uint32_t mask_ = 0;
  uint32_t required_ = 0;
  int fulls_ = 0;
  bool pad_ = false;
  bool pending_ = false;
};

}  // namespace

std::vector<int> WalkDecomposition(const PairScores& scores, const std::vector<int>& available,
                                   const std::vector<int>& required, int size) {
  return DecomposedWalk(scores, available, required, size).Run();
}

}  // namespace nvdp::alloc
