#include "common/yaml_tree.h"

#include <yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace nvdp {
namespace {

class Parser {
 public:
  Parser(const std::string& text, const YamlLimits& limits) : limits_(limits) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Parser() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Reads the next event; the previous one is released.
  const yaml_event_t& Next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = false;
    if (!yaml_parser_parse(&parser_, &event_)) {
      throw YamlError("line " + std::to_string(parser_.problem_mark.line + 1) + ", column " +
                      std::to_string(parser_.problem_mark.column + 1) + ": " +
                      (parser_.problem ? parser_.problem : "invalid YAML"));
    }
    has_event_ = true;
    return event_;
  }

  // Builds the node that starts with the current event, `depth` collections deep; `height` is
  // how many collection levels it holds (0 for a scalar).
  YamlNode Build(const yaml_event_t& start, int depth, int* height) {
    YamlNode node;
    node.line = static_cast<int>(start.start_mark.line) + 1;
    const int column = static_cast<int>(start.start_mark.column) + 1;
    *height = 0;
    if ((start.type == YAML_SEQUENCE_START_EVENT || start.type == YAML_MAPPING_START_EVENT) &&
        depth >= limits_.max_depth) {
      Fail(node.line, column,
           "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    const long long nodes_before = nodes_;
    const long long bytes_before = bytes_;
    Count(1, 0, node.line, column);
    std::string anchor;
    switch (start.type) {
      case YAML_SCALAR_EVENT: {
        anchor = Text(start.data.scalar.anchor);
        node.scalar.assign(reinterpret_cast<const char*>(start.data.scalar.value),
                           start.data.scalar.length);
        Count(0, static_cast<long long>(node.scalar.size()), node.line, column);
        bool plain = start.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        node.quoted = !plain;
        bool null = plain && (node.scalar.empty() || node.scalar == "~" || node.scalar == "null" ||
                              node.scalar == "Null" || node.scalar == "NULL");
        node.kind = null ? YamlNode::Kind::kNull : YamlNode::Kind::kScalar;
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        anchor = Text(start.data.sequence_start.anchor);
        node.kind = YamlNode::Kind::kSequence;
        while (true) {
          const yaml_event_t& event = Next();
          if (event.type == YAML_SEQUENCE_END_EVENT) break;
          int item_height = 0;
          node.items.push_back(Build(event, depth + 1, &item_height));
          *height = std::max(*height, item_height);
        }
        ++*height;
        break;
      case YAML_MAPPING_START_EVENT:
        anchor = Text(start.data.mapping_start.anchor);
        node.kind = YamlNode::Kind::kMapping;
        BuildMapping(node, depth, height);
        ++*height;
        break;
      case YAML_ALIAS_EVENT: {
        const std::string name = Text(start.data.alias.anchor);
        auto found = anchors_.find(name);
        if (found == anchors_.end()) Fail(node.line, column, "unknown anchor &" + name);
        const Anchored& anchored = found->second;
        if (depth + anchored.height > limits_.max_depth) {
          Fail(node.line, column,
               "*" + name + " nests deeper than " + std::to_string(limits_.max_depth) + " levels");
        }
        Count(anchored.nodes - 1, anchored.bytes, node.line, column);
        *height = anchored.height;
        const int line = node.line;
        node = anchored.node;
        node.line = line;
        return node;
      }
      default:
        Fail(node.line, column, "unexpected YAML structure");
    }
    if (!anchor.empty()) {
      // The stored copy is memory too: it counts like the nodes it copies.
      const long long nodes = nodes_ - nodes_before;
      const long long bytes = bytes_ - bytes_before;
      Count(nodes, bytes, node.line, column);
      anchors_[anchor] = Anchored{node, nodes, bytes, *height};
    }
    return node;
  }

 private:
  struct Anchored {
    YamlNode node;
    long long nodes, bytes;
    int height;
  };

  static std::string Text(const yaml_char_t* text) {
    return text ? reinterpret_cast<const char*>(text) : "";
  }

  [[noreturn]] static void Fail(int line, int column, const std::string& problem) {
    throw YamlError("line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                    problem);
  }

  void Count(long long nodes, long long bytes, int line, int column) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > limits_.max_nodes) {
      Fail(line, column,
           "the document expands to more than " + std::to_string(limits_.max_nodes) + " nodes");
    }
    if (bytes_ > limits_.max_bytes) {
      Fail(line, column,
           "the document expands to more than " + std::to_string(limits_.max_bytes) +
               " bytes of text");
    }
  }

  // Entries in document order; a `<<` key's mappings merge in where it stands (see the header).
  void BuildMapping(YamlNode& node, int depth, int* height) {
    std::unordered_map<std::string, size_t> index;
    auto set = [&](std::string key, YamlNode value, bool merged) {
      auto [at, added] = index.try_emplace(key, node.entries.size());
      if (added) {
        node.entries.push_back(YamlEntry{std::move(key), std::move(value)});
      } else if (!(merged && value.IsNull())) {
        node.entries[at->second].second = std::move(value);
      }
    };
    while (true) {
      const yaml_event_t& key_event = Next();
      if (key_event.type == YAML_MAPPING_END_EVENT) return;
      const bool merge = key_event.type == YAML_SCALAR_EVENT &&
                         key_event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                         key_event.data.scalar.length == 2 &&
                         std::memcmp(key_event.data.scalar.value, "<<", 2) == 0;
      int key_height = 0;
      YamlNode key = Build(key_event, depth + 1, &key_height);
      if (!key.IsScalar()) {
        throw YamlError("line " + std::to_string(key.line) + ": mapping keys must be scalars");
      }
      int value_height = 0;
      YamlNode value = Build(Next(), depth + 1, &value_height);
      *height = std::max(*height, value_height);
      if (!merge) {
        set(std::move(key.scalar), std::move(value), false);
        continue;
      }
      std::vector<YamlNode*> sources;
      bool mappings = value.IsMapping() || value.IsSequence();
      if (value.IsMapping()) {
        sources.push_back(&value);
      } else if (value.IsSequence()) {
        for (auto item = value.items.rbegin(); item != value.items.rend(); ++item) {
          sources.push_back(&*item);  // the first listed applies last: it wins
          mappings = mappings && item->IsMapping();
        }
      }
      if (!mappings) {
        throw YamlError("line " + std::to_string(value.line) +
                        ": << takes a mapping or a list of mappings");
      }
      for (YamlNode* source : sources) {
        for (YamlEntry& entry : source->entries) {
          set(std::move(entry.first), std::move(entry.second), true);
        }
      }
    }
  }

  const YamlLimits limits_;
  std::unordered_map<std::string, Anchored> anchors_;
  long long nodes_ = 0, bytes_ = 0;
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool has_event_ = false;
};

}  // namespace

YamlNode ParseYaml(const std::string& text, const YamlLimits& limits) {
  Parser parser(text, limits);
  if (parser.Next().type != YAML_STREAM_START_EVENT) throw YamlError("not a YAML stream");
  const yaml_event_t& first = parser.Next();
  if (first.type == YAML_STREAM_END_EVENT) return YamlNode{};  // empty input
  if (first.type != YAML_DOCUMENT_START_EVENT) throw YamlError("expected a document");
  int height = 0;
  YamlNode root = parser.Build(parser.Next(), 0, &height);
  if (parser.Next().type != YAML_DOCUMENT_END_EVENT) throw YamlError("expected one document");
  return root;
}

bool ToInt64(const YamlNode& node, long long* value) {
  if (!node.IsScalar() || node.scalar.empty()) return false;
  const std::string& text = node.scalar;
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  char* end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(text.c_str(), &end, hex ? 16 : 10);
  if (errno != 0 || *end != '\0') return false;
  *value = parsed;
  return true;
}

bool ToBool(const YamlNode& node, bool* value) {
  if (!node.IsScalar()) return false;
  const std::string& t = node.scalar;
  if (t == "true" || t == "True" || t == "TRUE" || t == "yes" || t == "on") {
    *value = true;
  } else if (t == "false" || t == "False" || t == "FALSE" || t == "no" || t == "off") {
    *value = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace nvdp
