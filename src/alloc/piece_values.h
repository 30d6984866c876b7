// Exact best scores over a machine's decomposition (decomposition.h): the best total score of
// splitting given GPUs into sets of given sizes, some of them constrained to hold or avoid
// GPUs, and whether that best reaches a score. A node only chooses how many GPUs of each set go
// to each half; the leaves answer from their tables.
#pragma once

#include <climits>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "alloc/decomposition.h"

namespace nvdp::alloc {

// Exact best scores over a decomposition, memoised for one call.
class PieceValues {
 public:
  // A set with constraints: it holds every GPU of `contain` and none of `avoid`.
  struct Piece {
    int size = 0;
    uint32_t contain = 0;
    uint32_t avoid = 0;
    // Of `contain`, the GPUs that decide the set's shape: how many of it each half must take
    // when the splits are listed (the required GPUs).
    uint32_t fixed = 0;
  };
  static constexpr int kMaxPlain = 32;
  static constexpr int kMaxMarked = 2;
  // Sizes of unconstrained sets, and at most kMaxMarked constrained ones.
  struct Sets {
    int plain_count = 0;
    uint8_t plain[kMaxPlain] = {};
    int marked_count = 0;
    Piece marked[kMaxMarked];
    void Add(int size) { plain[plain_count++] = static_cast<uint8_t>(size); }
    void Add(Piece piece) { marked[marked_count++] = piece; }
  };

  explicit PieceValues(const Decomposition& decomposition);

  // The best total score of splitting exactly the GPUs of `rows` into `sets`, or
  // kInfeasibleScore.
  int Best(uint32_t rows, const Sets& sets);
  // Whether Best(rows, sets) >= need. Cheaper: at every node only the splits whose bound (each
  // part at most the best set of its size), then whose value without the marked sets'
  // constraints, reaches the need are tried, and the first that reaches it ends the search.
  bool Reaches(uint32_t rows, const Sets& sets, int need);

 private:
  struct Key {
    uint32_t rows;
    uint8_t node, plain_count, marked_count, shape_only;
    uint8_t plain[kMaxPlain];
    uint8_t marked_size[kMaxMarked];
    uint16_t unused;
    uint32_t contain[kMaxMarked];
    uint32_t avoid[kMaxMarked];
  };
  struct Slot {
    Key key;
    int value;
    bool used;
  };
  // One way to split the sets between a node's children: how many GPUs of each go left, and
  // the children's values with the marked sets taken as plain ones.
  struct Combo {
    int value_left, value_right, cross;
    uint8_t marked_left[kMaxMarked];
    uint8_t split_count;
    uint8_t split_size[kMaxPlain];
    uint8_t split_left[kMaxPlain];
  };
  struct ComboList {
    Key key;
    std::vector<Combo> combos;  // best first
  };

  // Drops what does not concern the node; false when the sets cannot fit its `rows`.
  bool Normalize(const Decomposition::Node& node, uint32_t& rows, Sets& sets) const;
  Key MakeKey(int node, uint32_t rows, const Sets& sets, bool shape_only) const;
  int Value(int node, uint32_t rows, Sets& sets);
  bool ReachesAt(int node, uint32_t rows, Sets& sets, int need);
  int EvalLeaf(const Decomposition::Leaf& leaf, uint32_t local, const Sets& sets, int next_marked);
  // Calls visit(marked_left, split_size, split_left, split_count, pairs_across) for every way to
  // split `sets` between the children of `node` (ranges from sizes and fixed GPUs only when
  // `shape_only`). With `beat`, and plain sets only: only splits whose bound exceeds *beat.
  template <typename Visit>
  void ForEachSplit(const Decomposition::Node& node, uint32_t rows, const Sets& sets,
                    bool shape_only, const int* beat, Visit&& visit);
  static Combo MakeCombo(const Sets& sets, const int* marked_left, const int* split_size,
                         const int* split_left, int split_count);
  static void SortBestFirst(std::vector<Combo>& combos);
  // For bounds, the marked sets' constraints can be relaxed: all of them, or all but the
  // fixed GPUs.
  enum class Relax { kNone, kKeepFixed, kAll };
  // The children's sets for a split.
  void Children(const Decomposition::Node& node, const Sets& sets, const Combo& combo, Relax relax,
                Sets& left, Sets& right) const;
  // The children's values of a split under `relax` into `combo`; false when one is infeasible.
  bool RelaxedValues(const Decomposition::Node& node, uint32_t rows, const Sets& sets, Relax relax,
                     Combo& combo);
  const std::vector<Combo>& Combos(int node, uint32_t rows, const Sets& sets);
  Slot& Find(const Key& key);

  const Decomposition& d_;
  std::vector<Slot> slots_;
  size_t used_ = 0;
  std::deque<ComboList> combo_lists_;  // a deque: lists stay put while more are added
  std::unordered_map<uint64_t, std::vector<size_t>> combo_index_;  // key hash -> lists
};

}  // namespace nvdp::alloc
