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

TEST(StringsTest, AbbreviateAndQuoteBoundWhatTheyShow) {
  EXPECT_EQ(Abbreviate("short", 10), "short");
  EXPECT_EQ(Abbreviate(std::string(1000, 'a'), 3), "aaa… (1000 bytes)");
  EXPECT_EQ(Abbreviate("éé", 3), "é… (4 bytes)");  // not inside a UTF-8 sequence
  EXPECT_EQ(QuoteInput("GPU-1"), "\"GPU-1\"");
  EXPECT_EQ(QuoteInput("a\nb\"\\\xff"), "\"a\\x0ab\\x22\\x5c\\xff\"");
  EXPECT_EQ(QuoteInput(std::string(3900000, 'G'), 4), "\"GGGG\"… (3900000 bytes)");
  EXPECT_EQ(PrintableInput("GPU-\x01\\\""), "GPU-\\x01\\x5c\"");
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

// Go's strconv.ParseInt(s, 0, 64), what urfave/cli gives upstream's integer flags.
TEST(StringsTest, ParsesIntegersAsGoDoesForFlags) {
  const std::pair<const char*, long long> good[] = {
      {"0", 0},
      {"42", 42},
      {"-7", -7},
      {"+7", 7},
      {"0x1f", 31},
      {"0X1F", 31},
      {"0o17", 15},
      {"0O17", 15},
      {"017", 15},
      {"0b101", 5},
      {"1_000", 1000},
      {"0x_1f", 31},
      {"0_7", 7},
      {"9223372036854775807", 9223372036854775807LL},
      {"-9223372036854775808", -9223372036854775807LL - 1}};
  for (const auto& [text, expected] : good) {
    long long value = 0;
    EXPECT_TRUE(ParseGoInt(text, &value)) << text;
    EXPECT_EQ(value, expected) << text;
  }
  for (const char* bad : {"", "-", "0x", "0b", "08", "0b2", "1__0", "_1", "1_", "1e3", "0x1g",
                          "9223372036854775808", "-9223372036854775809", "12 ", "0.5"}) {
    long long value = 0;
    EXPECT_FALSE(ParseGoInt(bad, &value)) << bad;
  }
}

}  // namespace
}  // namespace nvdp
