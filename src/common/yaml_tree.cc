#include "common/yaml_tree.h"

#include <yaml.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

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

  // Builds the node that starts with the current event, `depth` collections deep.
  YamlNode Build(const yaml_event_t& start, int depth = 0) {
    YamlNode node;
    node.line = static_cast<int>(start.start_mark.line) + 1;
    if ((start.type == YAML_SEQUENCE_START_EVENT || start.type == YAML_MAPPING_START_EVENT) &&
        depth >= limits_.max_depth) {
      throw YamlError("line " + std::to_string(node.line) + ", column " +
                      std::to_string(start.start_mark.column + 1) + ": nested deeper than " +
                      std::to_string(limits_.max_depth) + " levels");
    }
    switch (start.type) {
      case YAML_SCALAR_EVENT: {
        node.scalar.assign(reinterpret_cast<const char*>(start.data.scalar.value),
                           start.data.scalar.length);
        bool plain = start.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        node.quoted = !plain;
        bool null = plain && (node.scalar.empty() || node.scalar == "~" || node.scalar == "null" ||
                              node.scalar == "Null" || node.scalar == "NULL");
        node.kind = null ? YamlNode::Kind::kNull : YamlNode::Kind::kScalar;
        return node;
      }
      case YAML_SEQUENCE_START_EVENT:
        node.kind = YamlNode::Kind::kSequence;
        while (true) {
          const yaml_event_t& event = Next();
          if (event.type == YAML_SEQUENCE_END_EVENT) return node;
          node.items.push_back(Build(event, depth + 1));
        }
      case YAML_MAPPING_START_EVENT:
        node.kind = YamlNode::Kind::kMapping;
        while (true) {
          const yaml_event_t& key_event = Next();
          if (key_event.type == YAML_MAPPING_END_EVENT) return node;
          YamlNode key = Build(key_event, depth + 1);
          if (!key.IsScalar()) {
            throw YamlError("line " + std::to_string(key.line) + ": mapping keys must be scalars");
          }
          YamlNode value = Build(Next(), depth + 1);
          node.entries.push_back(YamlEntry{std::move(key.scalar), std::move(value)});
        }
      case YAML_ALIAS_EVENT:
        throw YamlError("line " + std::to_string(node.line) + ": aliases are not supported");
      default:
        throw YamlError("line " + std::to_string(node.line) + ": unexpected YAML structure");
    }
  }

 private:
  const YamlLimits limits_;
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
  YamlNode root = parser.Build(parser.Next());
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
