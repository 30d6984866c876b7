#include "exhaustive_best_effort.h"

#include <algorithm>
#include <functional>

namespace nvdp::reference {
namespace {

constexpr int kPad = -1;

using Set = std::vector<int>;
using Partition = std::vector<Set>;

bool ContainsAll(const Set& set, const std::vector<int>& required) {
  for (int r : required) {
    if (std::find(set.begin(), set.end(), r) == set.end()) return false;
  }
  return true;
}

bool HasPadding(const Set& set) { return std::find(set.begin(), set.end(), kPad) != set.end(); }

int SetScore(const alloc::PairScores& scores, const Set& set) {
  int total = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    for (size_t j = i + 1; j < set.size(); ++j) {
      if (set[i] != kPad && set[j] != kPad) total += scores(set[i], set[j]);
    }
  }
  return total;
}

// Every combination of `count` items of `items`, in lexicographic order of positions.
void Combinations(const std::vector<int>& items, int count,
                  const std::function<void(const std::vector<int>&)>& visit) {
  std::vector<int> chosen;
  std::function<void(size_t)> recurse = [&](size_t start) {
    if (static_cast<int>(chosen.size()) == count) {
      visit(chosen);
      return;
    }
    for (size_t i = start; i < items.size(); ++i) {
      chosen.push_back(items[i]);
      recurse(i + 1);
      chosen.pop_back();
    }
  };
  recurse(0);
}

}  // namespace

std::vector<int> ExhaustiveBestEffort(const alloc::PairScores& scores,
                                      const std::vector<int>& available,
                                      const std::vector<int>& required, int size) {
  const int n = static_cast<int>(available.size());
  const int r = static_cast<int>(required.size());
  if (size <= 0 || n < size || r > size || r > n) return {};
  if (size == 1) {
    for (int device : available) {
      if (ContainsAll({device}, required)) return {device};
    }
    return {};
  }
  std::vector<int> padded = available;
  const int pads = (size - n % size) % size;
  for (int i = 0; i < pads; ++i) padded.push_back(kPad);

  Partition best;
  int best_score = -1;
  Partition accum;
  std::function<void(const std::vector<int>&)> iterate = [&](const std::vector<int>& devices) {
    if (devices.empty()) {
      bool usable = std::any_of(accum.begin(), accum.end(), [&](const Set& set) {
        return !HasPadding(set) && ContainsAll(set, required);
      });
      if (!usable) return;
      int score = 0;
      for (const Set& set : accum) score += SetScore(scores, set);
      if (score > best_score) {
        best_score = score;
        best = accum;
      }
      return;
    }
    std::vector<int> others(devices.begin() + 1, devices.end());
    Combinations(others, size - 1, [&](const std::vector<int>& combination) {
      Set set = {devices[0]};
      set.insert(set.end(), combination.begin(), combination.end());
      int pad_count = static_cast<int>(std::count(set.begin(), set.end(), kPad));
      if (pad_count != 0 && pad_count != pads) return;
      // The remaining devices, in order; padding slots are interchangeable.
      std::vector<int> remaining;
      int pads_taken = pad_count;
      for (size_t i = 1; i < devices.size(); ++i) {
        int device = devices[i];
        if (device == kPad) {
          if (pads_taken > 0) {
            --pads_taken;
            continue;
          }
        } else if (std::find(combination.begin(), combination.end(), device) != combination.end()) {
          continue;
        }
        remaining.push_back(device);
      }
      accum.push_back(set);
      iterate(remaining);
      accum.pop_back();
    });
  };
  iterate(padded);

  const Set* chosen = nullptr;
  int chosen_score = -1;
  for (const Set& set : best) {
    if (HasPadding(set) || !ContainsAll(set, required)) continue;
    int score = SetScore(scores, set);
    if (score > chosen_score) {
      chosen = &set;
      chosen_score = score;
    }
  }
  return chosen ? *chosen : std::vector<int>{};
}

}  // namespace nvdp::reference
