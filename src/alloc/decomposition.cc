#include "alloc/decomposition.h"

#include <algorithm>
#include <bit>

#include "alloc/bits.h"
#include "alloc/pair_scores.h"

namespace nvdp::alloc {
namespace {

size_t PartitionSlot(uint64_t code) {
  return static_cast<size_t>((code * 0x9E3779B97F4A7C15ull) >> 55);  // 9 bits: 512 slots
}

uint64_t PartitionCode(const int* parts, int count) {
  uint64_t code = 0;
  for (int i = 0; i < count; ++i) code |= static_cast<uint64_t>(parts[i]) << (4 * i);
  return code;
}

// Every partition of n into parts, each listed descending.
void Partitions(int n, int largest, std::vector<int>& prefix, std::vector<std::vector<int>>& out) {
  if (n == 0) {
    out.push_back(prefix);
    return;
  }
  for (int part = std::min(n, largest); part >= 1; --part) {
    prefix.push_back(part);
    Partitions(n - part, part, prefix, out);
    prefix.pop_back();
  }
}

}  // namespace

std::shared_ptr<const Decomposition> Decomposition::Build(const PairScores& scores) {
  const size_t n = scores.size();
  if (n == 0 || n > 32) return nullptr;
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = a + 1; b < n; ++b) {
      if (scores(a, b) != scores(b, a)) return nullptr;
    }
  }
  auto d = std::make_shared<Decomposition>();
  d->partitions_.resize(kMaxLeaf + 1);
  for (int size = 0; size <= kMaxLeaf; ++size) {
    std::vector<int> prefix;
    Partitions(size, size, prefix, d->partitions_[size]);
    for (size_t id = 0; id < d->partitions_[size].size(); ++id) {
      const std::vector<int>& parts = d->partitions_[size][id];
      const uint64_t code = PartitionCode(parts.data(), static_cast<int>(parts.size())) + 1;
      size_t slot = PartitionSlot(code);
      while (d->partition_ids_[slot].first != 0) slot = (slot + 1) % kPartitionSlots;
      d->partition_ids_[slot] = {code, static_cast<int>(id)};
    }
  }
  d->twins_.assign(n, 0);
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = 0; b < n; ++b) {
      bool alike = a != b;
      for (size_t z = 0; alike && z < n; ++z) {
        if (z != a && z != b && scores(a, z) != scores(b, z)) alike = false;
      }
      if (alike) d->twins_[a] |= 1u << b;
    }
  }
  std::vector<uint32_t> groups;
  uint32_t grouped = 0;
  for (size_t a = 0; a < n; ++a) {
    if (d->twins_[a] == 0 || (grouped & (1u << a))) continue;
    groups.push_back(d->twins_[a] | (1u << a));
    grouped |= groups.back();
  }
  const uint32_t all = n == 32 ? ~0u : (1u << n) - 1;
  d->root_ = d->BuildNode(scores, all);
  if (d->root_ < 0) return nullptr;
  for (Node& node : d->nodes_) {  // children come before their parents
    node.best_set.assign(static_cast<size_t>(Bits(node.members)) + 1, kInfeasibleScore);
    if (node.leaf >= 0) {
      const Leaf& leaf = d->leaves_[static_cast<size_t>(node.leaf)];
      for (uint32_t set = 0; set < leaf.set_score.size(); ++set) {
        int& best = node.best_set[static_cast<size_t>(Bits(set))];
        best = std::max(best, leaf.set_score[set]);
      }
    } else {
      const std::vector<int>& left = d->nodes_[static_cast<size_t>(node.left)].best_set;
      const std::vector<int>& right = d->nodes_[static_cast<size_t>(node.right)].best_set;
      for (size_t a = 0; a < left.size(); ++a) {
        for (size_t b = 0; b < right.size(); ++b) {
          const int value = left[a] + right[b] + node.cross * static_cast<int>(a * b);
          node.best_set[a + b] = std::max(node.best_set[a + b], value);
        }
      }
    }
    for (uint32_t group : groups) {
      if (Bits(group & node.members) >= 2) node.twin_groups.push_back(group & node.members);
    }
  }
  return d;
}

int Decomposition::BuildNode(const PairScores& scores, uint32_t members) {
  if (Bits(members) <= kMaxLeaf) {
    Node node;
    node.members = members;
    BuildLeaf(scores, members, node);
    nodes_.push_back(node);
    return static_cast<int>(nodes_.size()) - 1;
  }
  std::vector<int> values;
  for (uint32_t a = members; a; a &= a - 1) {
    for (uint32_t b = a & (a - 1); b; b &= b - 1) {
      values.push_back(scores(std::countr_zero(a), std::countr_zero(b)));
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  // A split at score q: the groups connected by pairs that score anything else. Between two
  // such groups every pair scores q.
  for (int q : values) {
    std::vector<uint32_t> groups;
    for (uint32_t left = members; left;) {
      uint32_t group = left & (~left + 1);
      for (uint32_t frontier = group; frontier;) {
        const int d = std::countr_zero(frontier);
        frontier &= frontier - 1;
        for (uint32_t other = left & ~group; other; other &= other - 1) {
          const int e = std::countr_zero(other);
          if (scores(d, e) != q) {
            group |= 1u << e;
            frontier |= 1u << e;
          }
        }
      }
      groups.push_back(group);
      left &= ~group;
    }
    if (groups.size() < 2) continue;
    int node = -1;
    for (uint32_t group : groups) {
      const int child = BuildNode(scores, group);
      if (child < 0) return -1;
      if (node < 0) {
        node = child;
        continue;
      }
      Node merged;
      merged.members = nodes_[node].members | group;
      merged.left = node;
      merged.right = child;
      merged.cross = q;
      nodes_.push_back(merged);
      node = static_cast<int>(nodes_.size()) - 1;
    }
    return node;
  }
  return -1;
}

void Decomposition::BuildLeaf(const PairScores& scores, uint32_t members, Node& node) {
  Leaf leaf;
  for (uint32_t rest = members; rest; rest &= rest - 1) leaf.rows.push_back(std::countr_zero(rest));
  const int size = static_cast<int>(leaf.rows.size());
  for (int i = 0; i < size; ++i) {
    const int row = leaf.rows[static_cast<size_t>(i)];
    for (int byte = 0; byte < 256; ++byte) {
      if (byte & (1 << (row % 8))) leaf.by_byte[row / 8][byte] |= static_cast<uint16_t>(1u << i);
    }
  }
  const uint32_t subsets = 1u << size;
  leaf.set_score.assign(subsets, 0);
  for (uint32_t set = 1; set < subsets; ++set) {
    const int low = std::countr_zero(set);
    int added = 0;
    for (uint32_t other = set & (set - 1); other; other &= other - 1) {
      added += scores(leaf.rows[low], leaf.rows[std::countr_zero(other)]);
    }
    leaf.set_score[set] = leaf.set_score[set & (set - 1)] + added;
  }
  // In increasing order: every proper subset is done before its supersets.
  leaf.best.resize(subsets);
  leaf.best[0] = {0};
  for (uint32_t set = 1; set < subsets; ++set) {
    const int count = Bits(set);
    const std::vector<std::vector<int>>& partitions = partitions_[count];
    std::vector<int>& best = leaf.best[set];
    best.assign(partitions.size(), kInfeasibleScore);
    const uint32_t low = set & (~set + 1);
    const uint32_t others = set & ~low;
    for (size_t id = 0; id < partitions.size(); ++id) {
      const std::vector<int>& parts = partitions[id];
      for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0 && parts[i] == parts[i - 1]) continue;  // the same size: the same options
        std::vector<int> rest(parts);
        rest.erase(rest.begin() + static_cast<ptrdiff_t>(i));
        const int rest_id = PartitionId(rest.data(), static_cast<int>(rest.size()));
        // The part holding the lowest GPU: every subset of the others of the right size.
        for (uint32_t sub = others;; sub = (sub - 1) & others) {
          if (Bits(sub) == parts[i] - 1) {
            const uint32_t part = sub | low;
            const int below = leaf.best[set & ~part][rest_id];
            if (below != kInfeasibleScore) {
              best[id] = std::max(best[id], leaf.set_score[part] + below);
            }
          }
          if (sub == 0) break;
        }
      }
    }
  }
  node.leaf = static_cast<int>(leaves_.size());
  leaves_.push_back(std::move(leaf));
}

uint32_t Decomposition::Canonical(int node, uint32_t rows, uint32_t named) const {
  for (uint32_t twins : nodes_[static_cast<size_t>(node)].twin_groups) {
    const uint32_t group = twins & ~named;
    int count = Bits(rows & group);
    rows &= ~group;
    for (uint32_t left = group; count > 0; left &= left - 1, --count) rows |= left & (~left + 1);
  }
  return rows;
}

int Decomposition::PartitionId(const int* parts, int count) const {
  const uint64_t code = PartitionCode(parts, count) + 1;
  for (size_t slot = PartitionSlot(code);; slot = (slot + 1) % kPartitionSlots) {
    if (partition_ids_[slot].first == code) return partition_ids_[slot].second;
    if (partition_ids_[slot].first == 0) return -1;
  }
}

}  // namespace nvdp::alloc
