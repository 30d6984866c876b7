#include "common/strings.h"

#include <gtest/gtest.h>

namespace nvdp {
namespace {

TEST(StringsTest, SplitKeepsEmptyParts) {
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
}

TEST(StringsTest, TrimJoinLower) {
  EXPECT_EQ(TrimSpace("  x y \t\n"), "x y");
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(ToLower("GPU-ABC"), "gpu-abc");
}

TEST(StringsTest, ParsesWholeIntegersOnly) {
  long long value = 0;
  EXPECT_TRUE(ParseInt64("-12", &value));
  EXPECT_EQ(value, -12);
  EXPECT_FALSE(ParseInt64("12x", &value));
  EXPECT_FALSE(ParseInt64("", &value));
  unsigned long long unsigned_value = 0;
  EXPECT_FALSE(ParseUint64("-1", &unsigned_value));
  EXPECT_FALSE(ParseUint64("99999999999999999999999", &unsigned_value));
}

}  // namespace
}  // namespace nvdp
