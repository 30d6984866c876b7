// A machine's GPUs as a hierarchy of groups whose two halves score alike across: every GPU of one
// half has the same pair score with every GPU of the other. PCIe trees, NVSwitch boards and NVLink
// meshes joined over PCIe all decompose so, down to groups of a few GPUs with any scores.
//
// Over it, the best score of placing given GPUs into sets of given sizes is exact and cheap
// (piece_values.h): a set's score is its parts' scores in each half plus the cross score per
// pair across, so a node only has to choose how many GPUs of each set go to each half; the groups
// at the bottom have all their answers tabled here, once per machine.
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace nvdp::alloc {

class PairScores;

inline constexpr int kInfeasibleScore = INT_MIN / 4;

class Decomposition {
 public:
  // Groups of up to this many GPUs are tabled whatever their scores.
  static constexpr int kMaxLeaf = 10;

  // nullptr where it does not apply: asymmetric scores, more than 32 GPUs, or a group of more
  // than kMaxLeaf GPUs that no cross score splits.
  static std::shared_ptr<const Decomposition> Build(const PairScores& scores);

  struct Node {
    uint32_t members = 0;  // rows
    int left = -1;         // children, -1 at a leaf
    int right = -1;
    int cross = 0;                      // the score of every pair across the children
    int leaf = -1;                      // into leaves(), at a leaf
    std::vector<uint32_t> twin_groups;  // within members, of two or more
    // [m]: the best score of one set of m of the members; bounds the value of several sets.
    std::vector<int> best_set;
  };
  struct Leaf {
    std::vector<int> rows;       // ascending; bit i of a local subset is rows[i]
    std::vector<int> set_score;  // [local subset]
    // [local subset][id of a partition of its size]: the best score of splitting the subset into
    // sets of those sizes.
    std::vector<std::vector<int>> best;
    // Local subsets of rows, byte by byte: local = by_byte[0][rows & 0xFF] | by_byte[1][...].
    uint16_t by_byte[4][256] = {};
  };

  const std::vector<Node>& nodes() const { return nodes_; }
  int root() const { return root_; }
  const std::vector<Leaf>& leaves() const { return leaves_; }

  // The id of a partition of a leaf-sized number (parts sorted descending), or -1.
  int PartitionId(const int* parts, int count) const;
  // A leaf's local subset for a set of rows.
  static uint32_t ToLocal(const Leaf& leaf, uint32_t rows) {
    return leaf.by_byte[0][rows & 0xFF] | leaf.by_byte[1][(rows >> 8) & 0xFF] |
           leaf.by_byte[2][(rows >> 16) & 0xFF] | leaf.by_byte[3][rows >> 24];
  }
  // The GPUs that score like `row` with every other GPU: swapping them changes no score.
  uint32_t Twins(int row) const { return twins_[static_cast<size_t>(row)]; }
  // `rows` of `node` with each group of twins, but for the `named` GPUs, replaced by as many of
  // its lowest GPUs: swapping twins nothing names changes no value, so such requests share one
  // memo entry.
  uint32_t Canonical(int node, uint32_t rows, uint32_t named) const;

 private:
  int BuildNode(const PairScores& scores, uint32_t members);
  void BuildLeaf(const PairScores& scores, uint32_t members, Node& node);

  std::vector<Node> nodes_;
  std::vector<Leaf> leaves_;
  std::vector<uint32_t> twins_;
  int root_ = -1;
  // Partitions of every n <= kMaxLeaf: code (parts as base-16 digits, +1) -> id within that n,
  // open addressing (looked up for every leaf answer).
  static constexpr size_t kPartitionSlots = 512;
  std::vector<std::pair<uint64_t, int>> partition_ids_ =
      std::vector<std::pair<uint64_t, int>>(kPartitionSlots, {0, -1});
  std::vector<std::vector<std::vector<int>>> partitions_;  // [n][id]: parts, descending
};

}  // namespace nvdp::alloc
