#include "alloc/piece_values.h"

#include <algorithm>
#include <cstring>
#include <tuple>

#include "alloc/bits.h"

namespace nvdp::alloc {
namespace {

uint64_t Hash(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t hash = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    hash = (hash ^ word) * 0xFF51AFD7ED558CCDull;
    hash ^= hash >> 32;
  }
  return hash;
}
}  // namespace

PieceValues::PieceValues(const Decomposition& decomposition) : d_(decomposition), slots_(256) {}

PieceValues::Slot& PieceValues::Find(const Key& key) {
  if ((used_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    used_ = 0;
    for (const Slot& slot : old) {
      if (slot.used) Find(slot.key) = slot;
    }
  }
  const size_t mask = slots_.size() - 1;
  for (size_t i = Hash(&key, sizeof key) & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (!slot.used) {
      slot.used = true;
      slot.key = key;
      slot.value = kInfeasibleScore - 1;  // not computed yet
      ++used_;
      return slot;
    }
    if (std::memcmp(&slot.key, &key, sizeof key) == 0) return slot;
  }
}

int PieceValues::Best(uint32_t rows, const Sets& sets) {
  Sets copy = sets;
  return Value(d_.root(), rows, copy);
}

bool PieceValues::Reaches(uint32_t rows, const Sets& sets, int need) {
  Sets copy = sets;
  return ReachesAt(d_.root(), rows, copy, need);
}

bool PieceValues::Normalize(const Decomposition::Node& node, uint32_t& rows, Sets& sets) const {
  rows &= node.members;
  // A marked set with nothing to hold or avoid here is a plain one.
  int total = 0;
  for (int i = 0; i < sets.marked_count;) {
    Piece& piece = sets.marked[i];
    piece.contain &= node.members;
    piece.avoid &= rows;
    piece.fixed &= piece.contain;
    if ((piece.contain & ~rows) != 0 || Bits(piece.contain) > piece.size) return false;
    if (piece.size == 0 || (piece.contain == 0 && piece.avoid == 0)) {
      if (piece.size > 0) sets.Add(piece.size);
      sets.marked[i] = sets.marked[--sets.marked_count];
      continue;
    }
    total += piece.size;
    ++i;
  }
  int kept = 0;
  for (int i = 0; i < sets.plain_count; ++i) {
    if (sets.plain[i] > 0) sets.plain[kept++] = sets.plain[i];
  }
  sets.plain_count = kept;
  // Descending; few entries, so insertion sort.
  for (int i = 1; i < kept; ++i) {
    const uint8_t value = sets.plain[i];
    int j = i;
    for (; j > 0 && sets.plain[j - 1] < value; --j) sets.plain[j] = sets.plain[j - 1];
    sets.plain[j] = value;
  }
  for (int i = 0; i < kept; ++i) total += sets.plain[i];
  if (total != Bits(rows)) return false;
  if (sets.marked_count == 2 && (sets.marked[0].contain & sets.marked[1].contain) != 0) {
    return false;  // one GPU in two sets
  }
  if (sets.marked_count == 2 &&
      std::tie(sets.marked[1].contain, sets.marked[1].avoid, sets.marked[1].size) <
          std::tie(sets.marked[0].contain, sets.marked[0].avoid, sets.marked[0].size)) {
    std::swap(sets.marked[0], sets.marked[1]);
  }
  return true;
}

PieceValues::Key PieceValues::MakeKey(int node, uint32_t rows, const Sets& sets,
                                      bool shape_only) const {
  Key key{};
  // Twins no set names can be swapped: one entry for all such requests.
  uint32_t named = 0;
  for (int i = 0; i < sets.marked_count; ++i) {
    named |= shape_only ? sets.marked[i].fixed : sets.marked[i].contain | sets.marked[i].avoid;
  }
  key.rows = d_.Canonical(node, rows, named);
  key.node = static_cast<uint8_t>(node);
  key.shape_only = shape_only;
  key.plain_count = static_cast<uint8_t>(sets.plain_count);
  std::copy(sets.plain, sets.plain + sets.plain_count, key.plain);
  key.marked_count = static_cast<uint8_t>(sets.marked_count);
  for (int i = 0; i < sets.marked_count; ++i) {
    key.marked_size[i] = static_cast<uint8_t>(sets.marked[i].size);
    key.contain[i] = shape_only ? sets.marked[i].fixed : sets.marked[i].contain;
    key.avoid[i] = shape_only ? 0 : sets.marked[i].avoid;
  }
  return key;
}

int PieceValues::Value(int node_index, uint32_t rows, Sets& sets) {
  const Decomposition::Node& node = d_.nodes()[node_index];
  if (!Normalize(node, rows, sets)) return kInfeasibleScore;
  if (rows == 0) return 0;
  if (node.leaf >= 0 && sets.marked_count == 0) {  // a table lookup: no memo needed
    const Decomposition::Leaf& leaf = d_.leaves()[node.leaf];
    return EvalLeaf(leaf, d_.ToLocal(leaf, rows), sets, 0);
  }
  const Key key = MakeKey(node_index, rows, sets, false);
  {
    const Slot& slot = Find(key);
    if (slot.value >= kInfeasibleScore) return slot.value;
  }
  int value = kInfeasibleScore;
  if (node.leaf >= 0) {
    const Decomposition::Leaf& leaf = d_.leaves()[node.leaf];
    value = EvalLeaf(leaf, d_.ToLocal(leaf, rows), sets, 0);
  } else if (sets.marked_count > 0) {
    // Constrained: the splits best first by their unconstrained value, which bounds the
    // constrained one, until no split left can beat the best found.
    const std::vector<Combo>& combos = Combos(node_index, rows, sets);
    for (size_t i = 0; i < combos.size(); ++i) {
      const Combo combo = combos[i];  // the list may move while children are asked
      if (combo.value_left + combo.value_right + combo.cross <= value) break;
      Sets a, b;
      Children(node, sets, combo, Relax::kNone, a, b);
      const int value_a = Value(node.left, rows, a);
      if (value_a == kInfeasibleScore || value_a + combo.value_right + combo.cross <= value) {
        continue;
      }
      const int value_b = Value(node.right, rows, b);
      if (value_b != kInfeasibleScore) value = std::max(value, value_a + value_b + combo.cross);
    }
  } else {
    const std::vector<int>& best_left = d_.nodes()[node.left].best_set;
    const std::vector<int>& best_right = d_.nodes()[node.right].best_set;
    ForEachSplit(node, rows, sets, false, &value,
                 [&](const int* marked_left, const int* split_size, const int* split_left,
                     int split_count, int pairs_across) {
                   // Each part scores at most the best set of its size on its side: a
                   // split that cannot beat the best found needs no child lookups.
                   const int cross = node.cross * pairs_across;
                   int bound = cross;
                   for (int i = 0; i < split_count; ++i) {
                     bound += best_left[split_left[i]] + best_right[split_size[i] - split_left[i]];
                   }
                   if (sets.marked_count == 0 && bound <= value) return;
                   Sets a, b;
                   const uint32_t left = d_.nodes()[node.left].members;
                   for (int m = 0; m < sets.marked_count; ++m) {
                     const Piece& piece = sets.marked[m];
                     a.Add(Piece{marked_left[m], piece.contain & left, piece.avoid & left,
                                 piece.fixed & left});
                     b.Add(Piece{piece.size - marked_left[m], piece.contain & ~left,
                                 piece.avoid & ~left, piece.fixed & ~left});
                   }
                   for (int i = 0; i < split_count; ++i) {
                     if (split_left[i] > 0) a.Add(split_left[i]);
                     if (split_size[i] > split_left[i]) b.Add(split_size[i] - split_left[i]);
                   }
                   const int value_a = Value(node.left, rows, a);
                   if (value_a == kInfeasibleScore) return;
                   const int value_b = Value(node.right, rows, b);
                   if (value_b == kInfeasibleScore) return;
                   value = std::max(value, value_a + value_b + cross);
                 });
  }
  Find(key).value = value;  // the table may have grown meanwhile
  return value;
}

bool PieceValues::ReachesAt(int node_index, uint32_t rows, Sets& sets, int need) {
  const Decomposition::Node& node = d_.nodes()[node_index];
  if (!Normalize(node, rows, sets)) return false;
  if (rows == 0) return need <= 0;
  if (sets.marked_count == 0 || node.leaf >= 0) return Value(node_index, rows, sets) >= need;
  {
    const Slot& slot = Find(MakeKey(node_index, rows, sets, false));
    if (slot.value >= kInfeasibleScore) return slot.value >= need;
  }
  // Constraints only lower the value: only the splits whose bound, then whose unconstrained
  // value, reaches the need can reach it. They are asked best first: the likeliest to reach it.
  const int beat = need - 1;
  std::vector<Combo> combos;
  ForEachSplit(node, rows, sets, false, &beat,
               [&](const int* marked_left, const int* split_size, const int* split_left,
                   int split_count, int pairs_across) {
                 Combo combo = MakeCombo(sets, marked_left, split_size, split_left, split_count);
                 combo.cross = node.cross * pairs_across;
                 if (!RelaxedValues(node, rows, sets, Relax::kKeepFixed, combo)) return;
                 if (combo.value_left + combo.value_right + combo.cross >= need) {
                   combos.push_back(combo);
                 }
               });
  SortBestFirst(combos);
  for (const Combo& combo : combos) {
    const int best = combo.value_left + combo.value_right + combo.cross;
    Sets a, b;
    Children(node, sets, combo, Relax::kNone, a, b);
    if (best == need) {  // no slack: both children must reach their unconstrained best
      if (ReachesAt(node.left, rows, a, combo.value_left) &&
          ReachesAt(node.right, rows, b, combo.value_right)) {
        return true;
      }
      continue;
    }
    const int value_a = Value(node.left, rows, a);
    if (value_a == kInfeasibleScore || value_a + combo.value_right + combo.cross < need) continue;
    if (ReachesAt(node.right, rows, b, need - combo.cross - value_a)) return true;
  }
  return false;
}

const std::vector<PieceValues::Combo>& PieceValues::Combos(int node_index, uint32_t rows,
                                                           const Sets& sets) {
  const Key key = MakeKey(node_index, rows, sets, true);
  const uint64_t hash = Hash(&key, sizeof key);
  std::vector<size_t>& bucket = combo_index_[hash];
  for (size_t index : bucket) {
    if (std::memcmp(&combo_lists_[index].key, &key, sizeof key) == 0) {
      return combo_lists_[index].combos;
    }
  }
  const Decomposition::Node& node = d_.nodes()[node_index];
  std::vector<Combo> combos;
  ForEachSplit(node, rows, sets, true, nullptr,
               [&](const int* marked_left, const int* split_size, const int* split_left,
                   int split_count, int pairs_across) {
                 Combo combo = MakeCombo(sets, marked_left, split_size, split_left, split_count);
                 combo.cross = node.cross * pairs_across;
                 if (RelaxedValues(node, rows, sets, Relax::kAll, combo)) combos.push_back(combo);
               });
  SortBestFirst(combos);
  bucket.push_back(combo_lists_.size());
  combo_lists_.push_back({key, std::move(combos)});
  return combo_lists_.back().combos;
}

PieceValues::Combo PieceValues::MakeCombo(const Sets& sets, const int* marked_left,
                                          const int* split_size, const int* split_left,
                                          int split_count) {
  Combo combo{};
  for (int m = 0; m < sets.marked_count; ++m) {
    combo.marked_left[m] = static_cast<uint8_t>(marked_left[m]);
  }
  combo.split_count = static_cast<uint8_t>(split_count);
  for (int i = 0; i < split_count; ++i) {
    combo.split_size[i] = static_cast<uint8_t>(split_size[i]);
    combo.split_left[i] = static_cast<uint8_t>(split_left[i]);
  }
  return combo;
}

bool PieceValues::RelaxedValues(const Decomposition::Node& node, uint32_t rows, const Sets& sets,
                                Relax relax, Combo& combo) {
  Sets left, right;
  Children(node, sets, combo, relax, left, right);
  combo.value_left = Value(node.left, rows, left);
  if (combo.value_left == kInfeasibleScore) return false;
  combo.value_right = Value(node.right, rows, right);
  return combo.value_right != kInfeasibleScore;
}

void PieceValues::SortBestFirst(std::vector<Combo>& combos) {
  std::sort(combos.begin(), combos.end(), [](const Combo& x, const Combo& y) {
    return x.value_left + x.value_right + x.cross > y.value_left + y.value_right + y.cross;
  });
}

void PieceValues::Children(const Decomposition::Node& node, const Sets& sets, const Combo& combo,
                           Relax relax, Sets& left, Sets& right) const {
  const uint32_t left_members = d_.nodes()[node.left].members;
  const uint32_t right_members = d_.nodes()[node.right].members;
  for (int m = 0; m < sets.marked_count; ++m) {
    const Piece& piece = sets.marked[m];
    const int on_left = combo.marked_left[m];
    const uint32_t fixed_left = piece.fixed & left_members;
    const uint32_t fixed_right = piece.fixed & right_members;
    if (relax == Relax::kAll) {
      left.Add(on_left);
      right.Add(piece.size - on_left);
    } else if (relax == Relax::kKeepFixed) {
      left.Add(Piece{on_left, fixed_left, 0, fixed_left});
      right.Add(Piece{piece.size - on_left, fixed_right, 0, fixed_right});
    } else {
      left.Add(
          Piece{on_left, piece.contain & left_members, piece.avoid & left_members, fixed_left});
      right.Add(Piece{piece.size - on_left, piece.contain & right_members,
                      piece.avoid & right_members, fixed_right});
    }
  }
  for (int i = 0; i < combo.split_count; ++i) {
    if (combo.split_left[i] > 0) left.Add(combo.split_left[i]);
    if (combo.split_size[i] > combo.split_left[i]) {
      right.Add(combo.split_size[i] - combo.split_left[i]);
    }
  }
}

int PieceValues::EvalLeaf(const Decomposition::Leaf& leaf, uint32_t local, const Sets& sets,
                          int next_marked) {
  if (next_marked == sets.marked_count) {
    int parts[kMaxPlain];
    for (int i = 0; i < sets.plain_count; ++i) parts[i] = sets.plain[i];
    const int id = d_.PartitionId(parts, sets.plain_count);
    return id < 0 ? kInfeasibleScore : leaf.best[local][id];
  }
  const Piece& piece = sets.marked[next_marked];
  const uint32_t contain = d_.ToLocal(leaf, piece.contain);
  if ((contain & ~local) != 0) return kInfeasibleScore;  // an earlier marked set took one
  const uint32_t free = local & ~contain & ~d_.ToLocal(leaf, piece.avoid);
  const int need = piece.size - Bits(contain);
  int best = kInfeasibleScore;
  for (uint32_t sub = free;; sub = (sub - 1) & free) {
    if (Bits(sub) == need) {
      const uint32_t set = sub | contain;
      const int rest = EvalLeaf(leaf, local & ~set, sets, next_marked + 1);
      if (rest != kInfeasibleScore) best = std::max(best, leaf.set_score[set] + rest);
    }
    if (sub == 0) break;
  }
  return best;
}

template <typename Visit>
void PieceValues::ForEachSplit(const Decomposition::Node& node, uint32_t rows, const Sets& sets,
                               bool shape_only, const int* beat, Visit&& visit) {
  const uint32_t left = d_.nodes()[node.left].members;
  const uint32_t right = d_.nodes()[node.right].members;
  const int n1 = Bits(rows & left);
  const int n2 = Bits(rows & right);
  // How many GPUs of each set go left: a range per marked set, per plain size.
  struct Range {
    int size, count, lo, hi;
  };
  Range ranges[kMaxPlain + kMaxMarked];
  int range_count = 0;
  for (int m = 0; m < sets.marked_count; ++m) {
    const Piece& piece = sets.marked[m];
    int lo = std::max({0, piece.size - n2, Bits(piece.fixed & left)});
    int hi = std::min({piece.size, n1, piece.size - Bits(piece.fixed & right)});
    if (!shape_only) {
      lo = std::max(
          {lo, Bits(piece.contain & left), piece.size - Bits(rows & right & ~piece.avoid)});
      hi = std::min(
          {hi, piece.size - Bits(piece.contain & right), Bits(rows & left & ~piece.avoid)});
    }
    if (lo > hi) return;
    ranges[range_count++] = {piece.size, 1, lo, hi};
  }
  for (int i = 0; i < sets.plain_count;) {
    int j = i;
    while (j < sets.plain_count && sets.plain[j] == sets.plain[i]) ++j;
    const int size = sets.plain[i];
    ranges[range_count++] = {size, j - i, std::max(0, size - n2), std::min(size, n1)};
    i = j;
  }
  // The smallest and largest number left still possible from range r on, to cut hopeless paths.
  int min_from[kMaxPlain + kMaxMarked + 1], max_from[kMaxPlain + kMaxMarked + 1];
  min_from[range_count] = max_from[range_count] = 0;
  for (int r = range_count; r-- > 0;) {
    min_from[r] = min_from[r + 1] + ranges[r].lo * ranges[r].count;
    max_from[r] = max_from[r + 1] + ranges[r].hi * ranges[r].count;
  }
  if (n1 < min_from[0] || n1 > max_from[0]) return;

  // With `beat` (plain sets only): a set of s with v on the left scores at most gain(s, v), and
  // any set of s at most the node's best set of s; a path whose optimum cannot beat *beat stops.
  const std::vector<int>& best_left = d_.nodes()[node.left].best_set;
  const std::vector<int>& best_right = d_.nodes()[node.right].best_set;
  const bool bounded = beat != nullptr;
  int rest_from[kMaxPlain + kMaxMarked + 1];
  rest_from[range_count] = 0;
  for (int r = range_count; r-- > 0;) {
    rest_from[r] =
        rest_from[r + 1] + (bounded ? ranges[r].count * node.best_set[ranges[r].size] : 0);
  }
  int marked_left[kMaxMarked] = {};
  int split_size[kMaxPlain], split_left[kMaxPlain];  // per plain set: its size, how many go left
  int split_count = 0;
  // Range r, with `count` of its sets still to place, the smallest count left they may take.
  auto recurse = [&](auto&& self, int r, int count, int from, int left_so_far, int pairs_across,
                     int partial) -> void {
    if (r == range_count) {
      if (left_so_far == n1) visit(marked_left, split_size, split_left, split_count, pairs_across);
      return;
    }
    const Range& range = ranges[r];
    if (count == 0) {
      self(self, r + 1, r + 1 < range_count ? ranges[r + 1].count : 0,
           r + 1 < range_count ? ranges[r + 1].lo : 0, left_so_far, pairs_across, partial);
      return;
    }
    const bool is_marked = r < sets.marked_count;
    for (int v = from; v <= range.hi; ++v) {
      // What the others can still add must bring the total to n1.
      const int after_min = left_so_far + v + (count - 1) * v + min_from[r + 1];
      const int after_max = left_so_far + v + (count - 1) * range.hi + max_from[r + 1];
      if (after_min > n1) break;
      if (after_max < n1) continue;
      int gain = 0;
      if (bounded) {
        gain = best_left[v] + best_right[range.size - v] + node.cross * v * (range.size - v);
        const int rest = (count - 1) * node.best_set[range.size] + rest_from[r + 1];
        if (partial + gain + rest <= *beat) continue;
      }
      if (is_marked) {
        marked_left[r] = v;
      } else {
        split_size[split_count] = range.size;
        split_left[split_count++] = v;
      }
      // Sets of one size are alike: take their counts in ascending order (a multiset).
      self(self, r, count - 1, is_marked ? range.hi + 1 : v, left_so_far + v,
           pairs_across + v * (range.size - v), partial + gain);
      if (!is_marked) --split_count;
    }
  };
  recurse(recurse, 0, range_count > 0 ? ranges[0].count : 0, range_count > 0 ? ranges[0].lo : 0, 0,
          0, 0);
}

}  // namespace nvdp::alloc
