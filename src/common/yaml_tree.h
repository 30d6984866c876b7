// A small YAML document tree over libyaml's C parser, for config files and simulator profiles.
// libyaml rather than yaml-cpp: its archive is position-independent, so the NVML simulator (a
// shared library loaded into other programs) can carry it without dragging a C++ runtime along,
// and the programs stay smaller. Scalars keep whether they were quoted, so config decoding can
// tell the string "2" from the number 2, as upstream's YAML-to-JSON conversion does.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nvdp {

struct YamlEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMapping };
  Kind kind = Kind::kNull;
  std::string scalar;
  bool quoted = false;             // a quoted or block scalar: always a string
  std::vector<YamlNode> items;     // sequences
  std::vector<YamlEntry> entries;  // mappings, in document order
  int line = 0;                    // 1-based, for messages

  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMapping() const { return kind == Kind::kMapping; }
  bool IsNull() const { return kind == Kind::kNull; }
};

// One key of a mapping. A struct rather than std::pair: a pair of an incomplete YamlNode inside
// YamlNode is not allowed by every standard library.
struct YamlEntry {
  std::string first;  // the key
  YamlNode second;
};

class YamlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bounds on what a document may make the parser build. The tree (and its destruction) recurses
// once per level, so the depth bound is what keeps hostile nesting from exhausting the stack.
// The node and byte bounds are what keep aliases from expanding a small file without end
// ("billion laughs"): copies made for aliases and anchors count like nodes written out.
struct YamlLimits {
  int max_depth = 64;  // nested sequences and mappings; every input of this project needs < 10
  long long max_nodes = 250000;    // the largest accepted config (16,384 devices) needs ~16,400
  long long max_bytes = 32 << 20;  // scalars and keys, all copies included
};

// Parses one document. Throws YamlError("line N, column M: <problem>"). An empty document is a
// null node. Aliases are resolved into copies of the anchored node. A plain `<<` key merges a
// mapping (or a list of mappings, earlier ones first) into its mapping, as upstream's YAML
// library (go-yaml v2) does: entries apply in document order, a later one replaces an earlier
// one of the same key, and a merged null never replaces a key that is already there. Duplicate
// keys are resolved the same way, so every mapping comes out with unique keys.
YamlNode ParseYaml(const std::string& text, const YamlLimits& limits = {});

// Scalar conversions; nullopt-like failure is reported by returning false.
bool ToInt64(const YamlNode& node, long long* value);  // decimal or 0x hex
bool ToBool(const YamlNode& node, bool* value);        // true/false/yes/no/on/off

}  // namespace nvdp
