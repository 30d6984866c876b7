#include "common/yaml_tree.h"

#include <gtest/gtest.h>

namespace nvdp {
namespace {

TEST(YamlTreeTest, BlockAndFlowStyles) {
  YamlNode root = ParseYaml(R"(
name: dgx   # comment
ids: [1, 0x1F, "7"]
nested:
  - {a: b, empty: , quoted: ""}
  - plain
)");
  ASSERT_TRUE(root.IsMapping());
  ASSERT_EQ(root.entries.size(), 3u);
  EXPECT_EQ(root.entries[0].first, "name");
  EXPECT_EQ(root.entries[0].second.scalar, "dgx");
  const YamlNode& ids = root.entries[1].second;
  ASSERT_TRUE(ids.IsSequence());
  long long value = 0;
  ASSERT_TRUE(ToInt64(ids.items[1], &value));
  EXPECT_EQ(value, 0x1F);
  ASSERT_TRUE(ToInt64(ids.items[2], &value));
  EXPECT_EQ(value, 7);
  const YamlNode& first = root.entries[2].second.items[0];
  ASSERT_TRUE(first.IsMapping());
  EXPECT_TRUE(first.entries[1].second.IsNull());
  EXPECT_TRUE(first.entries[2].second.IsScalar());  // "" is a string, not null
  EXPECT_EQ(root.entries[2].second.items[1].scalar, "plain");
  EXPECT_EQ(root.entries[2].second.line, 5);
}

TEST(YamlTreeTest, ScalarConversions) {
  YamlNode node;
  node.kind = YamlNode::Kind::kScalar;
  bool flag = false;
  long long number = 0;
  node.scalar = "yes";
  EXPECT_TRUE(ToBool(node, &flag) && flag);
  node.scalar = "False";
  EXPECT_TRUE(ToBool(node, &flag));
  EXPECT_FALSE(flag);
  node.scalar = "maybe";
  EXPECT_FALSE(ToBool(node, &flag));
  node.scalar = "12x";
  EXPECT_FALSE(ToInt64(node, &number));
  node.scalar = "-3";
  EXPECT_TRUE(ToInt64(node, &number));
  EXPECT_EQ(number, -3);
}

TEST(YamlTreeTest, EmptyDocumentIsNull) { EXPECT_TRUE(ParseYaml("").IsNull()); }

TEST(YamlTreeTest, DepthIsBounded) {
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_NO_THROW(ParseYaml(nested(64)));
  EXPECT_THROW(ParseYaml(nested(65)), YamlError);
  EXPECT_NO_THROW(ParseYaml(nested(3), YamlLimits{3}));
  EXPECT_THROW(ParseYaml(nested(4), YamlLimits{3}), YamlError);
  try {
    ParseYaml(nested(1000000));
    FAIL() << "no error";
  } catch (const YamlError& error) {
    EXPECT_STREQ(error.what(), "line 1, column 65: nested deeper than 64 levels");
  }
  std::string mappings;
  for (int i = 0; i < 100000; ++i) mappings += "{a: ";
  EXPECT_THROW(ParseYaml(mappings), YamlError);
}

TEST(YamlTreeTest, ErrorsCarryTheLine) {
  try {
    ParseYaml("a: 1\nb: [2, 3\n");
    FAIL();
  } catch (const YamlError& error) {
    EXPECT_NE(std::string(error.what()).find("line 3"), std::string::npos) << error.what();
  }
  EXPECT_THROW(ParseYaml("? [1, 2]\n: v\n"), YamlError);
}

std::string Message(const std::string& text, const YamlLimits& limits = {}) {
  try {
    ParseYaml(text, limits);
  } catch (const YamlError& error) {
    return error.what();
  }
  return "no error";
}

TEST(YamlTreeTest, AliasesCopyTheAnchoredNode) {
  YamlNode root = ParseYaml(R"(
one: &n 1
list: &l [a, {b: c}]
map: &m {x: *n, y: *l}
again: [*n, *l, *m]
)");
  const YamlNode& again = root.entries[3].second;
  ASSERT_EQ(again.items.size(), 3u);
  EXPECT_EQ(again.items[0].scalar, "1");
  ASSERT_TRUE(again.items[1].IsSequence());
  EXPECT_EQ(again.items[1].items[1].entries[0].second.scalar, "c");
  ASSERT_TRUE(again.items[2].IsMapping());
  EXPECT_EQ(again.items[2].entries[1].second.items[0].scalar, "a");
  EXPECT_EQ(again.items[2].line, 5);  // where the alias stands
  EXPECT_EQ(Message("a: *nowhere\n"), "line 1, column 4: unknown anchor &nowhere");
  EXPECT_EQ(Message("a: &self [*self]\n"), "line 1, column 11: unknown anchor &self");
  // A later anchor of the same name replaces the earlier one.
  YamlNode redefined = ParseYaml("a: &x 1\nb: &x 2\nc: *x\n");
  EXPECT_EQ(redefined.entries[2].second.scalar, "2");
}

// go-yaml v2's order: entries apply as written, the first of a merged list wins, a merged null
// does not replace a key that is there.
TEST(YamlTreeTest, MergeKeysApplyInDocumentOrder) {
  YamlNode root = ParseYaml(R"(
base: &b {a: 1, b: 2}
other: &o {b: 20, c: 30}
after: {<<: *b, b: 3}
before: {b: 3, <<: *b}
list: {<<: [*o, *b]}
nulls: {a: 1, <<: {a: null, d: null}}
quoted: {"<<": *b}
none: {<<: [], z: 0}
)");
  auto entries = [&](size_t i) {
    std::string text;
    for (const YamlEntry& entry : root.entries[i].second.entries) {
      text += entry.first + "=" + (entry.second.IsNull() ? "~" : entry.second.scalar) + " ";
    }
    return text;
  };
  EXPECT_EQ(entries(2), "a=1 b=3 ");
  EXPECT_EQ(entries(3), "b=2 a=1 ");
  EXPECT_EQ(entries(4), "a=1 b=20 c=30 ");
  EXPECT_EQ(entries(5), "a=1 d=~ ");
  ASSERT_EQ(root.entries[6].second.entries.size(), 1u);
  EXPECT_EQ(root.entries[6].second.entries[0].first, "<<");
  EXPECT_EQ(entries(7), "z=0 ");
  EXPECT_EQ(Message("a: {<<: 5}\n"), "line 1: << takes a mapping or a list of mappings");
  EXPECT_EQ(Message("a: {<<: [{}, x]}\n"), "line 1: << takes a mapping or a list of mappings");
}

TEST(YamlTreeTest, DuplicateKeysKeepTheLastValue) {
  YamlNode root = ParseYaml("a: 1\nb: 2\na: 3\n");
  ASSERT_EQ(root.entries.size(), 2u);
  EXPECT_EQ(root.entries[0].first, "a");
  EXPECT_EQ(root.entries[0].second.scalar, "3");
}

// "Billion laughs": nine levels of nine aliases would be 10^9 nodes.
TEST(YamlTreeTest, AliasExpansionIsBounded) {
  std::string laughs = "l0: &l0 [lol]\n";
  for (int level = 1; level <= 9; ++level) {
    const std::string previous = "*l" + std::to_string(level - 1);
    laughs += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 9; ++i) laughs += (i ? ", " : "") + previous;
    laughs += "]\n";
  }
  EXPECT_NE(Message(laughs).find("expands to more than 250000 nodes"), std::string::npos)
      << Message(laughs);
  // A long scalar copied many times is bounded by bytes, not nodes.
  std::string wide = "s: &s " + std::string(1 << 20, 'x') + "\nl: [";
  for (int i = 0; i < 40; ++i) wide += "*s, ";
  wide += "]\n";
  EXPECT_NE(Message(wide).find("expands to more than 33554432 bytes of text"), std::string::npos);
  // Within the bounds, copies are fine.
  EXPECT_NO_THROW(ParseYaml(laughs.substr(0, laughs.find("l5:"))));
  YamlLimits small;
  small.max_nodes = 14;  // 10 up to `b: [`, with the stored copy of &a; the alias adds 4
  EXPECT_EQ(Message("a: &a [1, 2, 3]\nb: [*a, *a]\n", small),
            "line 2, column 5: the document expands to more than 14 nodes");
}

TEST(YamlTreeTest, AnAliasCannotNestPastTheDepthBound) {
  const std::string deep = std::string(60, '[') + std::string(60, ']');
  EXPECT_NO_THROW(ParseYaml("a: &d " + deep + "\nb: *d\n"));
  EXPECT_EQ(Message("a: &d " + deep + "\nb: [[[[[*d]]]]]\n"),
            "line 2, column 9: *d nests deeper than 64 levels");
}

}  // namespace
}  // namespace nvdp
