#include "alloc/partition_search.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdint>

namespace nvdp::alloc {
namespace {

constexpr int kInfeasible = INT_MIN / 4;
constexpr int kNoCeiling = INT_MAX / 4;

// What is known about placing a subset: the best score (exact, or an upper bound below the
// caller's floor) and, once computed, the tight bound of TightBound.
struct Known {
  int value = 0;
  bool exact = false;
};

// The memo of one call, keyed by (devices still to place, padded set still to place): open
// addressing, grown as the search visits subsets, so its memory follows the work and is freed
// with the call (no fixed table per thread).
class Memo {
 public:
  Memo() : slots_(kInitialSlots) {}

  bool Find(uint32_t mask, bool pad, Known* known) const {
    const Slot* slot = Lookup(Key(mask, pad));
    if (slot == nullptr || !slot->has_value) return false;
    *known = slot->known;
    return true;
  }
  void Store(uint32_t mask, bool pad, Known known) {
    Slot& slot = Insert(Key(mask, pad));
    slot.known = known;
    slot.has_value = true;
  }
  bool FindBound(uint32_t mask, bool pad, int* bound) const {
    const Slot* slot = Lookup(Key(mask, pad));
    if (slot == nullptr || !slot->has_bound) return false;
    *bound = slot->bound;
    return true;
  }
  void StoreBound(uint32_t mask, bool pad, int bound) {
    Slot& slot = Insert(Key(mask, pad));
    slot.bound = bound;
    slot.has_bound = true;
  }

 private:
  static constexpr size_t kInitialSlots = 512;
  struct Slot {
    uint64_t key = 0;  // 0: empty
    Known known;
    int bound = 0;
    bool has_value = false;
    bool has_bound = false;
  };

  static uint64_t Key(uint32_t mask, bool pad) { return ((uint64_t{pad} << 32) | mask) + 1; }
  size_t Home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & (slots_.size() - 1);
  }
  const Slot* Lookup(uint64_t key) const {
    for (size_t i = Home(key);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == key) return &slots_[i];
      if (slots_[i].key == 0) return nullptr;
    }
  }
  Slot& Insert(uint64_t key) {
    if ((used_ + 1) * 2 > slots_.size()) Grow();
    for (size_t i = Home(key);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == key) return slots_[i];
      if (slots_[i].key == 0) {
        ++used_;
        slots_[i].key = key;
        return slots_[i];
      }
    }
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.key == 0) continue;
      for (size_t i = Home(slot.key);; i = (i + 1) & (slots_.size() - 1)) {
        if (slots_[i].key == 0) {
          slots_[i] = slot;
          break;
        }
      }
    }
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;
};

}  // namespace

int LocalIndex(const std::vector<int>& available, int row) {
  return static_cast<int>(std::find(available.begin(), available.end(), row) - available.begin());
}

namespace {

class Search {
 public:
  Search(const PairScores& scores, const std::vector<int>& available,
         const std::vector<int>& required, int size)
      : m_(static_cast<int>(available.size())),
        k_(size),
        pads_((size - static_cast<int>(available.size()) % size) % size),
        score_(static_cast<size_t>(m_) * m_),
        top_(m_, 0),
        tail_(m_, 0),
        best_partners_(static_cast<size_t>(m_) * size, 0) {
    // The search runs over bits in GPU order, whatever order the kubelet sent: subsets are then
    // the same sets of GPUs on every call, and the topology's structure guides the branching.
    // Only the final walk follows the kubelet's order, which decides ties.
    pos_of_.resize(m_);
    for (int p = 0; p < m_; ++p) pos_of_[p] = p;
    std::stable_sort(pos_of_.begin(), pos_of_.end(),
                     [&](int a, int b) { return available[a] < available[b]; });
    input_order_.resize(m_);
    for (int b = 0; b < m_; ++b) input_order_[pos_of_[b]] = b;
    // A pair scores in the direction of the input order (upstream's), so one value per pair.
    for (int a = 0; a < m_; ++a) {
      for (int b = 0; b < m_; ++b) {
        const int first = std::min(pos_of_[a], pos_of_[b]),
                  second = std::max(pos_of_[a], pos_of_[b]);
        score_[a * m_ + b] = a == b ? 0 : scores(available[first], available[second]);
      }
    }
    for (int r : required) required_ |= 1u << input_order_[LocalIndex(available, r)];
    // For the bounds: each device's partners, best first.
    partners_.resize(m_);
    for (int a = 0; a < m_; ++a) {
      for (int b = 0; b < m_; ++b) {
        if (a != b) partners_[a].push_back({score_[a * m_ + b], b});
      }
      std::sort(partners_[a].begin(), partners_[a].end(),
                [](const Partner& x, const Partner& y) { return x.score > y.score; });
      for (int i = 0; i < k_ - 1 && i < static_cast<int>(partners_[a].size()); ++i) {
        best_partners_[a * k_ + i + 1] = best_partners_[a * k_ + i] + partners_[a][i].score;
        top_[a] += partners_[a][i].score;
        if (i >= k_ - 1 - pads_) tail_[a] += partners_[a][i].score;
      }
    }
    PrepareGroupBound();
    by_tail_.resize(m_);
    for (int a = 0; a < m_; ++a) by_tail_[a] = a;
    std::sort(by_tail_.begin(), by_tail_.end(), [&](int a, int b) { return tail_[a] < tail_[b]; });
  }

  // Positions in `available` of the chosen set, ascending.
  std::vector<int> Run() {
    uint32_t mask = m_ == 32 ? ~0u : (1u << m_) - 1;
    bool pad = pads_ > 0;
    // A good partition first: its score is a floor that lets the search skip everything worse.
    const int heuristic = HeuristicScore();
    int target = Best(mask, pad, heuristic, TightBound(mask, pad));

    struct Set {
      uint32_t members;
      int score;
      bool padded;
    };
    // Rebuild the partition the enumeration keeps: at each step the first option, in
    // enumeration order, that still reaches the optimum.
    std::vector<Set> partition;
    while (mask != 0) {
      bool found = false;
      int top_sum = 0;
      for (uint32_t all = mask; all; all &= all - 1) top_sum += top_[std::countr_zero(all)];
      ForEachOption(mask, pad, input_order_.data(), target, top_sum,
                    [&](uint32_t set, bool padded, int score, int) {
                      const uint32_t rest = mask & ~set;
                      const bool next_pad = pad && !padded;
                      if (score + Bound(rest, next_pad) < target) return false;
                      if (score + TightBound(rest, next_pad) < target) return false;
                      // The optimum bounds every rest: the search stops at the first partition
                      // reaching it.
                      const int sub = Best(rest, next_pad, target - score, target - score);
                      if (sub == kInfeasible || score + sub != target) return false;
                      partition.push_back({set, score, padded});
                      target = sub;
                      mask = rest;
                      pad = next_pad;
                      found = true;
                      return true;
                    });
      if (!found) break;  // not reachable for valid input
    }

    // The set to return: the one holding the required devices, else the best padding-free one
    // (ties to the earlier set).
    const Set* chosen = nullptr;
    for (const Set& set : partition) {
      if (required_ != 0) {
        if ((set.members & required_) == required_) chosen = &set;
      } else if (!set.padded && (!chosen || set.score > chosen->score)) {
        chosen = &set;
      }
    }
    std::vector<int> result;
    for (int p = 0; chosen && p < m_; ++p) {
      if (chosen->members & (1u << input_order_[p])) result.push_back(p);
    }
    return result;
  }

 private:
  int SetScore(const std::vector<int>& members) const {
    int total = 0;
    for (size_t i = 0; i < members.size(); ++i) {
      for (size_t j = i + 1; j < members.size(); ++j) {
        total += score_[std::min(members[i], members[j]) * m_ + std::max(members[i], members[j])];
      }
    }
    return total;
  }

  // The score of a partition found greedily and improved by swapping devices between sets: a
  // lower bound of the optimum (every grouping is one of the partitions upstream enumerates).
  int HeuristicScore() const {
    std::vector<std::vector<int>> sets;
    std::vector<bool> used(m_, false);
    auto grow = [&](std::vector<int> set, int size) {
      for (int d : set) used[d] = true;
      while (static_cast<int>(set.size()) < size) {
        int best = -1, best_gain = -1;
        for (int c = 0; c < m_; ++c) {
          if (used[c]) continue;
          int gain = 0;
          for (int d : set) gain += score_[std::min(c, d) * m_ + std::max(c, d)];
          if (gain > best_gain) best_gain = gain, best = c;
        }
        used[best] = true;
        set.push_back(best);
      }
      sets.push_back(set);
    };
    std::vector<int> required;
    for (int i = 0; i < m_; ++i) {
      if (required_ & (1u << i)) required.push_back(i);
    }
    const int full_sets = (m_ + pads_) / k_ - (pads_ > 0 ? 1 : 0);
    if (!required.empty()) grow(required, k_);
    while (static_cast<int>(sets.size()) < full_sets) {
      int first = 0;
      while (used[first]) ++first;
      grow({first}, k_);
    }
    if (pads_ > 0) {
      int first = 0;
      while (used[first]) ++first;
      grow({first}, k_ - pads_);
    }
    // Swap devices between sets while that helps; the required devices stay together.
    auto locked = [&](int d) { return (required_ >> d) & 1u; };
    bool improved = true;
    for (int rounds = 0; improved && rounds < 8; ++rounds) {
      improved = false;
      for (size_t a = 0; a < sets.size(); ++a) {
        for (size_t b = a + 1; b < sets.size(); ++b) {
          for (int& x : sets[a]) {
            for (int& y : sets[b]) {
              if (locked(x) || locked(y)) continue;
              const int before = SetScore(sets[a]) + SetScore(sets[b]);
              std::swap(x, y);
              if (SetScore(sets[a]) + SetScore(sets[b]) > before) {
                improved = true;
              } else {
                std::swap(x, y);
              }
            }
          }
        }
      }
    }
    int total = 0;
    for (const auto& set : sets) total += SetScore(set);
    return total;
  }

  // Upper bounds of the score the devices of `mask` can still add: a device in a full set pairs
  // with at most its k-1 best partners; one in the padded set (still to come when `pad`) with
  // only k-1-P, so the k-P devices that lose least by that are credited with less. The cheap
  // form ranks partners anywhere; the tight form (cached) only partners within `mask`.
  int Bound(uint32_t mask, bool pad) const {
    int sum = 0;
    for (uint32_t rest = mask; rest; rest &= rest - 1) sum += top_[std::countr_zero(rest)];
    if (pad) sum -= SmallestTails(mask);
    return sum / 2;
  }

  int TightBound(uint32_t mask, bool pad) {
    int cached = 0;
    if (memo_.FindBound(mask, pad, &cached)) return cached;
    int sum = 0;
    int losses[32] = {};
    for (uint32_t rest = mask; rest; rest &= rest - 1) {
      const int d = std::countr_zero(rest);
      int taken = 0;
      for (const Partner& p : partners_[d]) {
        if (taken == k_ - 1) break;
        if (mask & (1u << p.device)) {
          sum += p.score;
          if (taken >= k_ - 1 - pads_) losses[d] += p.score;  // what the padded set forgoes
          ++taken;
        }
      }
    }
    if (pad) sum -= SmallestLosses(mask, losses);
    memo_.StoreBound(mask, pad, sum / 2);
    return sum / 2;
  }

  // The cheap bound's share of the padded set: the k-P smallest tails within `mask`, walking the
  // devices in ascending order of their tail.
  int SmallestTails(uint32_t mask) const {
    int total = 0, taken = 0;
    for (int d : by_tail_) {
      if (taken == k_ - pads_) break;
      if (mask & (1u << d)) {
        total += tail_[d];
        ++taken;
      }
    }
    return total;
  }

  // The sum of the k-P smallest per-device losses among `mask`.
  int SmallestLosses(uint32_t mask, const int* losses) const {
    int values[32] = {};  // only [0, count) is read; zeroed so the analyzer can see it
    int count = 0;
    for (uint32_t rest = mask; rest; rest &= rest - 1)
      values[count++] = losses[std::countr_zero(rest)];
    const int keep = std::min(count, k_ - pads_);
    std::partial_sort(values, values + keep, values + count);
    int total = 0;
    for (int i = 0; i < keep; ++i) total += values[i];
    return total;
  }

  // Another upper bound for the devices of `rest` (the devices of `mask` minus `set`; `mask_sum`
  // the sum of group_full_ over `mask`): every set's score, shared out over its members, is at
  // most what the best set of that size holding the member scores. In units of group_scale_.
  int GroupBound(uint32_t rest, uint32_t set, int mask_sum, bool pad) const {
    int sum = mask_sum;
    for (uint32_t members = set; members; members &= members - 1) {
      sum -= group_full_[std::countr_zero(members)];
    }
    if (pad) {  // the padded set's members are credited with the smaller set's share
      for (int i = 0, taken = 0; i < m_ && taken < k_ - pads_; ++i) {
        if (rest & (1u << by_group_loss_[i])) {
          sum -= group_loss_[by_group_loss_[i]];
          ++taken;
        }
      }
    }
    return sum / group_scale_;
  }

  // For every device, the best score of a set of `size` devices holding it (scores taken in both
  // directions): one pass over all sets of that size.
  std::vector<int> BestGroups(int size) const {
    std::vector<int> best(m_, 0);
    if (size <= 1) return best;
    int chosen[32];
    int affinity[32] = {};  // each device's pair scores with the members chosen so far
    auto recurse = [&](auto&& self, int start, int depth, int score) -> void {
      if (depth == size) {
        for (int i = 0; i < size; ++i) best[chosen[i]] = std::max(best[chosen[i]], score);
        return;
      }
      for (int x = start; x <= m_ - (size - depth); ++x) {
        chosen[depth] = x;
        if (depth + 1 < size) {
          for (int y = x + 1; y < m_; ++y) affinity[y] += score_[x * m_ + y];
        }
        self(self, x + 1, depth + 1, score + affinity[x]);
        if (depth + 1 < size) {
          for (int y = x + 1; y < m_; ++y) affinity[y] -= score_[x * m_ + y];
        }
      }
    };
    recurse(recurse, 0, 0, 0);
    return best;
  }

  void PrepareGroupBound() {
    // Needed where a padded set makes partitions uneven (the per-device bound misjudges it most);
    // the sets to scan stay few for these sizes.
    use_groups_ = pads_ > 0 && k_ >= 3 && k_ <= 8 && m_ >= 2 * k_;
    if (!use_groups_) return;
    const int padded_size = k_ - pads_;
    group_scale_ = k_ * padded_size;
    const std::vector<int> full = BestGroups(k_);
    const std::vector<int> padded = BestGroups(padded_size);
    group_full_.assign(m_, 0);
    group_loss_.assign(m_, 0);
    for (int d = 0; d < m_; ++d) {
      group_full_[d] = full[d] * padded_size;
      group_loss_[d] = group_full_[d] - padded[d] * k_;
    }
    by_group_loss_.resize(m_);
    for (int d = 0; d < m_; ++d) by_group_loss_[d] = d;
    std::sort(by_group_loss_.begin(), by_group_loss_.end(),
              [&](int a, int b) { return group_loss_[a] < group_loss_[b]; });
  }

  // The best total score for placing `mask` (and the padded set, if `pad`), or kInfeasible.
  // The best total score for placing `mask` (and the padded set, if `pad`), or kInfeasible,
  // computed only as far as the caller needs it:
  // - below `floor` (kInfeasible: no floor), any upper bound below `floor` may be returned, so
  //   whole subtrees are cut once a good partition is known (alpha pruning over the memo);
  // - `ceiling` is a known upper bound of the value (kNoCeiling: none): the search stops as soon
  //   as a partition reaches it, which is then exact.
  int Best(uint32_t mask, bool pad, int floor, int ceiling) {
    if (mask == 0) return pad ? kInfeasible : 0;
    Known known;
    if (memo_.Find(mask, pad, &known)) {
      if (known.exact || known.value < floor) return known.value;
      ceiling = std::min(ceiling, known.value);  // an upper bound from an earlier, lower floor
    }
    if (ceiling < floor) return ceiling;
    // Try the options with the best outlook first: a good partition found early prunes the rest.
    // They live on one buffer shared by the recursion (no allocation per subset), as a heap:
    // usually only the first few are ever looked at.
    const size_t base = options_.size();
    // The cheap bound of each option's rest, from this subset's totals minus the set's share.
    int top_sum = 0;
    for (uint32_t rest = mask; rest; rest &= rest - 1) top_sum += top_[std::countr_zero(rest)];
    int group_sum = 0;
    if (use_groups_) {
      for (uint32_t all = mask; all; all &= all - 1)
        group_sum += group_full_[std::countr_zero(all)];
    }
    int tails[32];
    int tail_count = 0;
    for (int d : by_tail_) {
      if (mask & (1u << d)) tails[tail_count++] = d;
    }
    ForEachOption(
        mask, pad, nullptr, floor, top_sum, [&](uint32_t set, bool padded, int score, int tops) {
          const uint32_t rest = mask & ~set;
          int sum = top_sum - tops;
          if (floor != kInfeasible && score + sum / 2 < floor) return false;  // even without tails
          if (pad && !padded) {  // the padded set is still to come within `rest`
            for (int i = 0, taken = 0; i < tail_count && taken < k_ - pads_; ++i) {
              if (rest & (1u << tails[i])) {
                sum -= tail_[tails[i]];
                ++taken;
              }
            }
          }
          int outlook = score + sum / 2;
          if (use_groups_ && (floor == kInfeasible || outlook >= floor)) {
            outlook = std::min(outlook, score + GroupBound(rest, set, group_sum, pad && !padded));
          }
          if (floor == kInfeasible || outlook >= floor) {
            options_.push_back({rest, padded, score, outlook});
          }
          return false;
        });
    auto by_outlook = [](const Option& a, const Option& b) { return a.outlook < b.outlook; };
    std::make_heap(options_.begin() + static_cast<ptrdiff_t>(base), options_.end(), by_outlook);
    size_t heap_end = options_.size();
    int best = kInfeasible;
    while (heap_end > base && best < ceiling) {
      std::pop_heap(options_.begin() + static_cast<ptrdiff_t>(base),
                    options_.begin() + static_cast<ptrdiff_t>(heap_end), by_outlook);
      const Option option = options_[--heap_end];
      const int needed = std::max(best == kInfeasible ? kInfeasible : best + 1, floor);
      if (option.outlook < needed) break;  // the best outlook left: nothing can do better
      const bool next_pad = pad && !option.padded;
      if (needed != kInfeasible && option.score + TightBound(option.rest, next_pad) < needed) {
        continue;
      }
      const int sub =
          Best(option.rest, next_pad, needed == kInfeasible ? kInfeasible : needed - option.score,
               ceiling >= kNoCeiling ? kNoCeiling : ceiling - option.score);
      if (sub != kInfeasible && option.score + sub > best) best = option.score + sub;
    }
    options_.resize(base);
    // Exact when it reached the floor: every option left out was shown not to beat it (or it
    // reached the ceiling, which nothing beats).
    const bool exact = floor == kInfeasible || best >= floor;
    memo_.Store(mask, pad, {exact ? best : std::max(best, floor - 1), exact});
    return best;
  }

  // Calls visit(set, padded, score, tops) for every set the enumeration can take next, in
  // upstream's order over `order` (bits in the kubelet's order; nullptr: bit order): the first
  // remaining device plus k-1 of the others in lexicographic order of their places in `order`,
  // padding slots last (so a padded set comes right after the full sets that extend its real
  // members). Sets that split the required devices, or pad them, are skipped. Stops once visit
  // returns true. `tops` is the members' sum of top_, for the callers' bounds.
  template <typename Visit>
  void ForEachOption(uint32_t mask, bool pad, const int* order, int floor, int top_sum,
                     Visit&& visit) {
    int first = 0;
    int rest[32];
    int count = 0;
    if (order == nullptr) {
      first = std::countr_zero(mask);
      for (uint32_t others = mask & (mask - 1); others; others &= others - 1) {
        rest[count++] = std::countr_zero(others);
      }
    } else {
      first = -1;
      for (int i = 0; i < m_; ++i) {
        if (!(mask & (1u << order[i]))) continue;
        if (first < 0) {
          first = order[i];
        } else {
          rest[count++] = order[i];
        }
      }
    }
    const int padded_depth = pad ? k_ - 1 - pads_ : -1;
    bool stop = false;
    auto emit = [&](uint32_t set, bool padded, int score, int tops) {
      const uint32_t held = set & required_;
      if (held != 0 && (held != required_ || padded)) return;
      stop = visit(set, padded, score, tops);
    };
    // affinity[i]: the pair scores of candidate rest[i] with the members chosen so far, so a
    // member's added score is one lookup.
    int affinity[32];
    for (int i = 0; i < count; ++i) affinity[i] = score_[first * m_ + rest[i]];
    // Partial sets are cut once no completion can reach `floor`. Every option's outlook is at
    // most (top_sum - L) / 2, L the set's loss: the sum over its members of their top_ minus
    // their pair scores within the set. With the chosen members' loss `loss` so far, each of
    // the r members still to come lowers L by at most its gain (2 * affinity - top + the best
    // r-1 partners), so the r largest gains bound what a completion can recover.
    auto hopeless = [&](int start, int loss, int r) {
      if (r == 0) return top_sum - loss < 2 * floor;  // the set is complete as it is
      int gains[32];
      int n = 0;
      for (int i = start; i < count; ++i) {
        gains[n++] = 2 * affinity[i] - top_[rest[i]] + BestPartners(rest[i], r - 1);
      }
      if (n < r) return true;
      std::nth_element(gains, gains + r - 1, gains + n, std::greater<int>());
      int recovered = 0;
      for (int i = 0; i < r; ++i) recovered += gains[i];
      return top_sum - loss + recovered < 2 * floor;
    };
    auto recurse = [&](auto&& self, int start, int depth, uint32_t set, int score, int tops,
                       int loss) -> void {
      if (depth == k_ - 1) {
        emit(set, false, score, tops);
        return;
      }
      const int full_left = k_ - 1 - depth;
      const bool pad_here = pad && depth <= padded_depth;
      if (floor != kInfeasible && full_left >= 2 && hopeless(start, loss, full_left) &&
          (!pad_here || hopeless(start, loss, padded_depth - depth))) {
        return;
      }
      const int need = (pad && depth < padded_depth) ? padded_depth - depth : full_left;
      for (int i = start; i < count && !stop; ++i) {
        if (count - i < need) break;
        const int x = rest[i];
        const int added = affinity[i];
        for (int j = i + 1; j < count; ++j) affinity[j] += score_[x * m_ + rest[j]];
        self(self, i + 1, depth + 1, set | (1u << x), score + added, tops + top_[x],
             loss + top_[x] - 2 * added);
        for (int j = i + 1; j < count; ++j) affinity[j] -= score_[x * m_ + rest[j]];
      }
      if (!stop && depth == padded_depth) emit(set, true, score, tops);
    };
    recurse(recurse, 0, 0, 1u << first, 0, top_[first], top_[first]);
  }

  // The sum of device d's `count` best partner scores (over every available device).
  int BestPartners(int d, int count) const { return best_partners_[d * k_ + count]; }

  int m_;
  int k_;
  int pads_;
  std::vector<int> score_;
  struct Partner {
    int score;
    int device;
  };
  struct Option {
    uint32_t rest;
    bool padded;
    int score;
    int outlook;
  };
  std::vector<Option> options_;
  std::vector<std::vector<Partner>> partners_;
  std::vector<int> top_;
  std::vector<int> tail_;
  std::vector<int> best_partners_;  // [d * k + j]: the sum of d's j best partner scores
  std::vector<int> by_tail_;
  bool use_groups_ = false;
  int group_scale_ = 1;
  std::vector<int> group_full_;  // best set of k holding the device, scaled
  std::vector<int> group_loss_;  // what holding it in the padded set instead costs, scaled
  std::vector<int> by_group_loss_;
  uint32_t required_ = 0;
  std::vector<int> pos_of_;       // bit -> position in `available`
  std::vector<int> input_order_;  // position in `available` -> bit
  Memo memo_;
};

}  // namespace

std::vector<int> SearchPartitions(const PairScores& scores, const std::vector<int>& available,
                                  const std::vector<int>& required, int size) {
  return Search(scores, available, required, size).Run();
}

// For more GPUs than the exact search takes: grow the set from the required devices (or the
// first device) by the device that adds the most score.
std::vector<int> GreedySet(const PairScores& scores, const std::vector<int>& available,
                           const std::vector<int>& required, int size) {
  std::vector<int> chosen;
  for (int r : required) chosen.push_back(LocalIndex(available, r));
  if (chosen.empty()) chosen.push_back(0);
  const int m = static_cast<int>(available.size());
  while (static_cast<int>(chosen.size()) < size) {
    int best = -1, best_gain = -1;
    for (int c = 0; c < m; ++c) {
      if (std::find(chosen.begin(), chosen.end(), c) != chosen.end()) continue;
      int gain = 0;
      for (int d : chosen) gain += scores(available[std::min(c, d)], available[std::max(c, d)]);
      if (gain > best_gain) {
        best_gain = gain;
        best = c;
      }
    }
    chosen.push_back(best);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace nvdp::alloc
