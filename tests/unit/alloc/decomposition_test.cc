// The decomposition of a machine's scores and the exact values over it: against brute force on
// small machines, and the best-effort answers it gives against the exhaustive reference and the
// branch-and-bound search, on random hierarchical machines, orders and must-include sets.
#include "alloc/piece_values.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <functional>
#include <random>

#include "alloc/best_effort.h"
#include "alloc/pair_scores.h"
#include "exhaustive_best_effort.h"

namespace nvdp::alloc {
namespace {

// A machine as real ones are: groups that score alike across, down to small groups with any
// scores (PCIe relations 10..60, sometimes NVLinks).
std::vector<int> Hierarchy(std::mt19937& random, int n, int max_leaf) {
  std::vector<int> scores(static_cast<size_t>(n) * n, 0);
  std::function<void(int, int)> build = [&](int begin, int end) {
    const int size = end - begin;
    if (size <= max_leaf && (size <= 2 || random() % 3 != 0)) {
      for (int a = begin; a < end; ++a) {
        for (int b = a + 1; b < end; ++b) {
          const int score = 10 * (1 + static_cast<int>(random() % 6)) +
                            (random() % 3 == 0 ? 100 * static_cast<int>(random() % 3) : 0);
          scores[a * n + b] = scores[b * n + a] = score;
        }
      }
      return;
    }
    const int split = begin + 1 + static_cast<int>(random() % (size - 1));
    build(begin, split);
    build(split, end);
    const int cross = 10 * (1 + static_cast<int>(random() % 4));
    for (int a = begin; a < split; ++a) {
      for (int b = split; b < end; ++b) scores[a * n + b] = scores[b * n + a] = cross;
    }
  };
  build(0, n);
  return scores;
}

TEST(DecompositionTest, TwoMeshesJoinedOverPcieSplitAtTheirCrossScore) {
  std::mt19937 random(3);
  std::vector<int> scores(16 * 16, 10);
  for (int a = 0; a < 16; ++a) {
    for (int b = 0; b < 16; ++b) {
      if (a == b) scores[a * 16 + b] = 0;
      if (a != b && a / 8 == b / 8) scores[a * 16 + b] = scores[b * 16 + a] = 100 + 10 * (a ^ b);
    }
  }
  PairScores pairs(16, scores);
  const Decomposition* d = pairs.decomposition();
  ASSERT_NE(d, nullptr);
  const Decomposition::Node& root = d->nodes()[d->root()];
  EXPECT_EQ(root.members, 0xFFFFu);
  EXPECT_EQ(root.cross, 10);
  EXPECT_EQ(d->nodes()[root.left].members, 0x00FFu);
  EXPECT_EQ(d->nodes()[root.right].members, 0xFF00u);
  EXPECT_EQ(d->leaves().size(), 2u);
}

TEST(DecompositionTest, DoesNotApplyToAsymmetricOrUnsplittableScores) {
  std::vector<int> asymmetric(4 * 4, 10);
  asymmetric[0 * 4 + 1] = 20;
  EXPECT_EQ(PairScores(4, asymmetric).decomposition(), nullptr);
  // Twelve GPUs whose pair scores all differ: no split, too many for one leaf.
  std::vector<int> prime(12 * 12, 0);
  int next = 1;
  for (int a = 0; a < 12; ++a) {
    for (int b = a + 1; b < 12; ++b) prime[a * 12 + b] = prime[b * 12 + a] = next++;
  }
  EXPECT_EQ(PairScores(12, prime).decomposition(), nullptr);
}

TEST(DecompositionTest, TwinsScoreAlikeWithEveryOtherGpu) {
  // Two pairs under one switch each, the switches under one host bridge.
  std::vector<int> scores = {0, 50, 30, 30, 50, 0, 30, 30, 30, 30, 0, 50, 30, 30, 50, 0};
  PairScores pairs(4, scores);
  ASSERT_NE(pairs.decomposition(), nullptr);
  EXPECT_EQ(pairs.decomposition()->Twins(0), 0b0010u);
  EXPECT_EQ(pairs.decomposition()->Twins(2), 0b1000u);
}

// Brute force: every assignment of the GPUs of `rows` to the sets.
int BruteBest(const PairScores& scores, uint32_t rows, const std::vector<int>& sizes,
              const std::vector<PieceValues::Piece>& marked) {
  std::vector<int> gpus;
  for (uint32_t r = rows; r; r &= r - 1) gpus.push_back(std::countr_zero(r));
  const size_t sets = sizes.size() + marked.size();
  std::vector<uint32_t> members(sets, 0);
  int best = kInfeasibleScore;
  std::function<void(size_t)> assign = [&](size_t i) {
    if (i == gpus.size()) {
      int total = 0;
      for (size_t s = 0; s < sets; ++s) {
        const int size = s < sizes.size() ? sizes[s] : marked[s - sizes.size()].size;
        if (std::popcount(members[s]) != size) return;
        if (s >= sizes.size()) {
          const PieceValues::Piece& piece = marked[s - sizes.size()];
          if ((members[s] & piece.contain) != piece.contain || (members[s] & piece.avoid)) return;
        }
        for (uint32_t a = members[s]; a; a &= a - 1) {
          for (uint32_t b = a & (a - 1); b; b &= b - 1) {
            total += scores(std::countr_zero(a), std::countr_zero(b));
          }
        }
      }
      best = std::max(best, total);
      return;
    }
    for (size_t s = 0; s < sets; ++s) {
      members[s] |= 1u << gpus[i];
      assign(i + 1);
      members[s] &= ~(1u << gpus[i]);
    }
  };
  assign(0);
  return best;
}

TEST(PieceValuesTest, MatchBruteForceWithMarkedSets) {
  std::mt19937 random(11);
  int compared = 0;
  for (int round = 0; round < 600; ++round) {
    const int n = 4 + static_cast<int>(random() % 6);  // 4..9 GPUs
    PairScores scores(n, Hierarchy(random, n, 4));
    ASSERT_NE(scores.decomposition(), nullptr) << "round " << round;
    uint32_t rows = 0;
    for (int g = 0; g < n; ++g) {
      if (random() % 4 != 0) rows |= 1u << g;
    }
    const int count = std::popcount(rows);
    if (count < 2) continue;
    // Random sizes adding up to the GPUs, the first one or two of them marked.
    std::vector<int> sizes;
    for (int left = count; left > 0;) {
      const int size = 1 + static_cast<int>(random() % std::min(left, 4));
      sizes.push_back(size);
      left -= size;
    }
    std::vector<PieceValues::Piece> marked;
    PieceValues::Sets sets;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (i < 2 && random() % 2 == 0) {
        PieceValues::Piece piece{sizes[i], 0, 0};
        for (uint32_t r = rows; r; r &= r - 1) {
          const uint32_t gpu = r & (~r + 1);
          const int choice = static_cast<int>(random() % 5);
          if (choice == 0 && std::popcount(piece.contain) < piece.size) piece.contain |= gpu;
          if (choice == 1) piece.avoid |= gpu;
        }
        // Some held GPUs fixed (kept by the bounds): the value must not change.
        piece.fixed = piece.contain & static_cast<uint32_t>(random());
        marked.push_back(piece);
        sets.Add(piece);
      } else {
        sets.Add(sizes[i]);
      }
    }
    std::vector<int> plain;
    for (int i = 0; i < sets.plain_count; ++i) plain.push_back(sets.plain[i]);
    const int expected = BruteBest(scores, rows, plain, marked);
    PieceValues values(*scores.decomposition());
    ASSERT_EQ(values.Best(rows, sets), expected) << "round " << round;
    if (expected != kInfeasibleScore) {
      EXPECT_TRUE(values.Reaches(rows, sets, expected)) << "round " << round;
      EXPECT_FALSE(values.Reaches(rows, sets, expected + 1)) << "round " << round;
    }
    ++compared;
  }
  EXPECT_GT(compared, 500);
}

// A random request as the kubelet sends it: some GPUs, in any order, some must-include.
struct Request {
  std::vector<int> available, required;
  int size = 0;
};

Request RandomRequest(std::mt19937& random, int n) {
  Request request;
  for (int g = 0; g < n; ++g) {
    if (random() % 4 != 0) request.available.push_back(g);
  }
  std::shuffle(request.available.begin(), request.available.end(), random);
  if (request.available.empty()) return request;
  request.size = 1 + static_cast<int>(random() % request.available.size());
  for (int d : request.available) {
    if (static_cast<int>(request.required.size()) < request.size && random() % 6 == 0) {
      request.required.push_back(d);
    }
  }
  return request;
}

TEST(DecomposedBestEffortTest, MatchesTheExhaustiveSearch) {
  std::mt19937 random(20261201);
  int compared = 0;
  for (int round = 0; round < 2500; ++round) {
    const int n = 3 + static_cast<int>(random() % 10);  // 3..12 GPUs
    PairScores scores(n, Hierarchy(random, n, 5));
    ASSERT_NE(scores.decomposition(), nullptr);
    Request r = RandomRequest(random, n);
    if (r.available.empty()) continue;
    std::vector<int> expected =
        reference::ExhaustiveBestEffort(scores, r.available, r.required, r.size);
    if (r.size > 1 && r.size < static_cast<int>(r.available.size())) {
      ASSERT_EQ(BestEffortByDecomposition(scores, r.available, r.required, r.size), expected)
          << "round " << round;
    }
    ASSERT_EQ(BestEffortAllocate(scores, r.available, r.required, r.size), expected)
        << "round " << round << " n=" << n << " size=" << r.size
        << " available=" << ::testing::PrintToString(r.available)
        << " required=" << ::testing::PrintToString(r.required);
    ++compared;
  }
  EXPECT_GT(compared, 2200);
}

TEST(DecomposedBestEffortTest, MatchesTheBranchAndBoundOnLargerMachines) {
  std::mt19937 random(77);
  for (int round = 0; round < 80; ++round) {
    const int n = 13 + static_cast<int>(random() % 6);  // 13..18 GPUs
    PairScores scores(n, Hierarchy(random, n, 8));
    if (scores.decomposition() == nullptr) continue;
    Request r = RandomRequest(random, n);
    if (r.available.size() < 2) continue;
    if (r.size < 2 || r.size >= static_cast<int>(r.available.size())) continue;
    ASSERT_EQ(BestEffortByDecomposition(scores, r.available, r.required, r.size),
              BestEffortBySearch(scores, r.available, r.required, r.size))
        << "round " << round << " n=" << n << " size=" << r.size
        << " available=" << r.available.size() << " required=" << r.required.size();
  }
}

// The simulator's v100-24gpu: three DGX-1 boards (hybrid cube meshes) joined over PCIe/SMP,
// each quad on its own CPU, pairs under one switch.
PairScores ThreeNvLinkBoards() {
  const int links[8][8] = {{0, 1, 1, 2, 2, 0, 0, 0}, {1, 0, 2, 1, 0, 2, 0, 0},
                           {1, 2, 0, 2, 0, 0, 1, 0}, {2, 1, 2, 0, 0, 0, 0, 1},
                           {2, 0, 0, 0, 0, 1, 1, 2}, {0, 2, 0, 0, 1, 0, 2, 1},
                           {0, 0, 1, 0, 1, 2, 0, 2}, {0, 0, 0, 1, 2, 1, 2, 0}};
  const int n = 24;
  std::vector<int> scores(n * n, 0);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      const int pcie = a / 4 != b / 4 ? 10 : a / 2 == b / 2 ? 50 : 30;
      scores[a * n + b] = pcie + (a / 8 == b / 8 ? 100 * links[a % 8][b % 8] : 0);
    }
  }
  return PairScores(n, scores);
}

// The simulator's a100-32gpu: four NVSwitch boards under PCIe trees (NVLink scores nothing).
PairScores FourNvSwitchBoards() {
  const int n = 32;
  std::vector<int> scores(n * n, 0);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      scores[a * n + b] = a / 16 != b / 16 ? 10 : a / 8 != b / 8 ? 20 : a / 4 != b / 4 ? 30 : 40;
    }
  }
  return PairScores(n, scores);
}

// Beyond what the enumeration can check: against the branch-and-bound (itself checked against
// the enumeration above), on subsets of the large simulated machines, in the kubelet's orders.
TEST(DecomposedBestEffortTest, MatchesTheBranchAndBoundOnTheLargeMachines) {
  std::mt19937 random(24);
  const PairScores machines[] = {ThreeNvLinkBoards(), FourNvSwitchBoards()};
  for (const PairScores& scores : machines) {
    ASSERT_NE(scores.decomposition(), nullptr);
    const int n = static_cast<int>(scores.size());
    for (int round = 0; round < 30; ++round) {
      Request r;
      for (int g = 0; g < n; ++g) r.available.push_back(g);
      std::shuffle(r.available.begin(), r.available.end(), random);
      r.available.resize(13 + random() % 6);  // 13..18 available
      r.size = 2 + static_cast<int>(random() % (r.available.size() - 2));
      if (round % 2) {
        const int count = std::min(r.size, 1 + round % 3);
        r.required.assign(r.available.begin(), r.available.begin() + count);
      }
      ASSERT_EQ(BestEffortByDecomposition(scores, r.available, r.required, r.size),
                BestEffortBySearch(scores, r.available, r.required, r.size))
          << n << " GPUs, round " << round << " size " << r.size
          << " available=" << ::testing::PrintToString(r.available)
          << " required=" << ::testing::PrintToString(r.required);
    }
  }
}

}  // namespace
}  // namespace nvdp::alloc
