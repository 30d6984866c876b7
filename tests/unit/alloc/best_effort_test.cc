// The fast best-effort search against the spec's expectations and against the exhaustive
// reference on random topologies and masks.
#include "alloc/best_effort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "exhaustive_best_effort.h"

namespace nvdp::alloc {
namespace {

// DGX-1 Volta as spec §5.3 lists it (go-gpuallocator's test topology).
PairScores Dgx1Volta() {
  const int n = 8;
  std::vector<int> scores(n * n, 0);
  const std::set<std::pair<int, int>> one = {{0, 1}, {0, 2}, {1, 3}, {2, 6},
                                             {3, 7}, {4, 5}, {4, 6}, {5, 7}};
  const std::set<std::pair<int, int>> two = {{0, 3}, {0, 4}, {1, 2}, {1, 5},
                                             {2, 3}, {4, 7}, {5, 6}, {6, 7}};
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      auto pair = std::make_pair(std::min(a, b), std::max(a, b));
      int nvlinks = one.count(pair) ? 1 : two.count(pair) ? 2 : 0;
      int pcie = a / 4 != b / 4   ? 10
                 : a / 2 == b / 2 ? 50
                                  : 30;  // CrossCPU, SingleSwitch, HostBridge
      scores[a * n + b] = pcie + 100 * nvlinks;
    }
  }
  return PairScores(n, scores);
}

std::vector<int> Sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(BestEffortTest, Dgx1VoltaExpectations) {
  PairScores dgx = Dgx1Volta();
  const std::vector<int> all = {0, 1, 2, 3, 4, 5, 6, 7};
  struct Case {
    std::vector<int> available, required;
    int size;
    std::vector<int> expected;
  };
  for (const Case& c : std::vector<Case>{
           {{0, 2, 4, 5}, {}, 2, {4, 5}},
           {{0, 4, 5, 6}, {}, 2, {5, 6}},
           {{0, 3, 1}, {}, 2, {0, 3}},
           {{0, 1, 4}, {}, 2, {0, 4}},
           {all, {4}, 1, {4}},
           {all, {4}, 2, {4, 7}},
           {all, {4}, 4, {4, 5, 6, 7}},
           {all, {0, 2, 4, 6}, 4, {0, 2, 4, 6}},
       }) {
    EXPECT_EQ(Sorted(BestEffortAllocate(dgx, c.available, c.required, c.size)), c.expected)
        << "size " << c.size;
    EXPECT_EQ(Sorted(reference::ExhaustiveBestEffort(dgx, c.available, c.required, c.size)),
              c.expected);
  }
}

TEST(BestEffortTest, ResultKeepsTheKubeletsOrder) {
  PairScores dgx = Dgx1Volta();
  EXPECT_EQ(BestEffortAllocate(dgx, {7, 4, 5, 6}, {}, 4), (std::vector<int>{7, 4, 5, 6}));
  EXPECT_EQ(BestEffortAllocate(dgx, {5, 3, 4}, {}, 2),
            reference::ExhaustiveBestEffort(dgx, {5, 3, 4}, {}, 2));
}

TEST(BestEffortTest, NeverReturnsAPaddedSet) {
  // 5 devices, size 3: one set is padded. Make the padded set's pair the best pair so upstream
  // would pick (and crash on) it.
  std::vector<int> scores(25, 10);
  scores[3 * 5 + 4] = scores[4 * 5 + 3] = 1000;
  PairScores pairs(5, scores);
  std::vector<int> chosen = BestEffortAllocate(pairs, {0, 1, 2, 3, 4}, {}, 3);
  EXPECT_EQ(chosen.size(), 3u);
  EXPECT_EQ(chosen, reference::ExhaustiveBestEffort(pairs, {0, 1, 2, 3, 4}, {}, 3));
}

// Random symmetric topologies: PCIe scores 10..60 and 0-4 NVLinks per pair.
PairScores RandomTopology(std::mt19937& random, int n) {
  std::uniform_int_distribution<int> pcie(1, 6), nvlinks(0, 4), sparse(0, 2);
  std::vector<int> scores(n * n, 0);
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      int score = 10 * pcie(random) + (sparse(random) == 0 ? 100 * nvlinks(random) : 0);
      scores[a * n + b] = scores[b * n + a] = score;
    }
  }
  return PairScores(n, scores);
}

TEST(BestEffortTest, MatchesTheExhaustiveSearchOnRandomInputs) {
  std::mt19937 random(20261127);
  int compared = 0;
  for (int round = 0; round < 2500; ++round) {
    const int n = 2 + static_cast<int>(random() % 9);  // 2..10 GPUs on the node
    PairScores scores = RandomTopology(random, n);
    std::vector<int> available;
    for (int g = 0; g < n; ++g) {
      if (random() % 4 != 0) available.push_back(g);
    }
    std::shuffle(available.begin(), available.end(), random);  // the kubelet's order varies
    if (available.empty()) continue;
    const int size = 1 + static_cast<int>(random() % available.size());
    std::vector<int> required;
    for (int d : available) {
      if (static_cast<int>(required.size()) < size && random() % 5 == 0) required.push_back(d);
    }
    std::vector<int> expected = reference::ExhaustiveBestEffort(scores, available, required, size);
    ASSERT_EQ(BestEffortAllocate(scores, available, required, size), expected)
        << "round " << round << " n=" << n << " size=" << size << " available=" << available.size()
        << " required=" << required.size();
    ++compared;
  }
  EXPECT_GT(compared, 2000);
}

TEST(BestEffortTest, MatchesTheExhaustiveSearchOnTwelveGpus) {
  std::mt19937 random(7);
  for (int round = 0; round < 12; ++round) {
    PairScores scores = RandomTopology(random, 12);
    std::vector<int> available = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    for (int size : {2, 3, 4, 5, 6, 7}) {
      std::vector<int> required;
      if (round % 2) required.push_back(static_cast<int>(random() % 12));
      ASSERT_EQ(BestEffortAllocate(scores, available, required, size),
                reference::ExhaustiveBestEffort(scores, available, required, size))
          << "round " << round << " size " << size;
    }
  }
}

}  // namespace
}  // namespace nvdp::alloc

namespace nvdp::alloc {
namespace {

TEST(PairScoresTest, PcieRelationPlusOneHundredPerNvLink) {
  device::LinkMatrix links(3);
  links.SetP2P(0, 1, device::P2PLink::kSingleSwitch);
  links.SetNvLinks(0, 1, 2);
  links.SetNvLinks(1, 0, 2);
  links.SetP2P(0, 2, device::P2PLink::kCrossCpu);
  // 1-2: NVML could not tell; NVLinks still count.
  links.SetNvLinks(1, 2, 1);
  links.SetNvLinks(2, 1, 1);
  PairScores scores(links);
  EXPECT_EQ(scores(0, 1), 250);
  EXPECT_EQ(scores(0, 2), 10);
  EXPECT_EQ(scores(1, 2), 100);
  EXPECT_EQ(scores(2, 1), 100);
  EXPECT_EQ(scores(0, 0), 0);
}

}  // namespace
}  // namespace nvdp::alloc
