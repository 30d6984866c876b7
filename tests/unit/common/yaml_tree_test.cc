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
  EXPECT_THROW(ParseYaml("a: &x 1\nb: *x\n"), YamlError);
  EXPECT_THROW(ParseYaml("? [1, 2]\n: v\n"), YamlError);
}

}  // namespace
}  // namespace nvdp
