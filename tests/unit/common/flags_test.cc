#include "common/flags.h"

#include <gtest/gtest.h>

#include <map>

#include "fake_env.h"

namespace nvdp::flags {
namespace {

FlagSet MakeSet() {
  FlagSet set("prog", "Prog", "does things", "1.2.3\ncommit: abc");
  set.Add({{"root", "driver-root"}, {"ROOT_A", "ROOT_B"}, Kind::kString, {"/"}, "a string"});
  set.Add({{"fail"}, {"FAIL"}, Kind::kBool, {"true"}, "a bool"});
  set.Add({{"count"}, {"COUNT"}, Kind::kInt, {"5"}, "an int"});
  set.Add({{"list"}, {"LIST"}, Kind::kStringSlice, {"envvar"}, "a slice"});
  set.Add({{"ids"}, {"IDS"}, Kind::kIntSlice, {}, "an int slice"});
  set.Add({{"interval"}, {"INTERVAL"}, Kind::kDuration, {"60s"}, "a duration"});
  return set;
}

TEST(FlagsTest, DefaultsWhenNothingIsSet) {
  FlagSet set = MakeSet();
  ParseResult result = set.Parse({}, testing::FakeEnv({}));
  ASSERT_FALSE(result.exit_code);
  EXPECT_EQ(set.Get("root").str(), "/");
  EXPECT_FALSE(set.Get("root").is_set());
  EXPECT_TRUE(set.GetBool("fail"));
  EXPECT_EQ(set.GetInt("count"), 5);
  EXPECT_EQ(set.Get("list").items, std::vector<std::string>{"envvar"});
}

TEST(FlagsTest, CommandLineBeatsEnvironment) {
  FlagSet set = MakeSet();
  ASSERT_FALSE(set.Parse({"--root=/cli"}, testing::FakeEnv({{"ROOT_A", "/env"}})).exit_code);
  EXPECT_EQ(set.Get("root").str(), "/cli");
  EXPECT_EQ(set.Get("root").source, Source::kCommandLine);
}

TEST(FlagsTest, FirstPresentEnvVarWinsEvenWhenEmpty) {
  FlagSet set = MakeSet();
  ASSERT_FALSE(set.Parse({}, testing::FakeEnv({{"ROOT_A", ""}, {"ROOT_B", "/b"}})).exit_code);
  EXPECT_EQ(set.Get("root").str(), "");
  EXPECT_EQ(set.Get("root").origin, "$ROOT_A");

  FlagSet second = MakeSet();
  ASSERT_FALSE(second.Parse({}, testing::FakeEnv({{"ROOT_B", "/b"}})).exit_code);
  EXPECT_EQ(second.Get("root").str(), "/b");
}

TEST(FlagsTest, EmptyEnvIsFalseForBoolsAndIgnoredForNumbers) {
  FlagSet set = MakeSet();
  ASSERT_FALSE(
      set.Parse({}, testing::FakeEnv({{"FAIL", ""}, {"COUNT", ""}, {"INTERVAL", ""}})).exit_code);
  EXPECT_FALSE(set.GetBool("fail"));
  EXPECT_EQ(set.GetInt("count"), 5);
  EXPECT_EQ(set.Get("interval").str(), "60s");
}

TEST(FlagsTest, BoolsParseLikeGo) {
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    FlagSet set = MakeSet();
    ASSERT_FALSE(set.Parse({}, testing::FakeEnv({{"FAIL", yes}})).exit_code) << yes;
    EXPECT_TRUE(set.GetBool("fail")) << yes;
  }
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) {
    FlagSet set = MakeSet();
    ASSERT_FALSE(set.Parse({std::string("--fail=") + no}, testing::FakeEnv({})).exit_code) << no;
    EXPECT_FALSE(set.GetBool("fail")) << no;
  }
  FlagSet set = MakeSet();
  ParseResult bad = set.Parse({}, testing::FakeEnv({{"FAIL", "yes"}}));
  ASSERT_TRUE(bad.exit_code);
  EXPECT_EQ(*bad.exit_code, 1);
  EXPECT_NE(bad.output.find("invalid boolean value \"yes\" for $FAIL"), std::string::npos)
      << bad.output;
}

// urfave/cli reads integers with Go's base prefixes and digit separators, flags and env alike.
TEST(FlagsTest, IntegersTakeGoPrefixesAndUnderscores) {
  FlagSet set = MakeSet();
  ASSERT_FALSE(set.Parse({"--count=0x1f", "--ids=0o7,1_0,0b11"}, testing::FakeEnv({})).exit_code);
  EXPECT_EQ(set.GetInt("count"), 31);
  FlagSet from_env = MakeSet();
  ASSERT_FALSE(from_env.Parse({}, testing::FakeEnv({{"COUNT", "1_000"}})).exit_code);
  EXPECT_EQ(from_env.GetInt("count"), 1000);
  FlagSet bad = MakeSet();
  ParseResult result = bad.Parse({"--count=0x"}, testing::FakeEnv({}));
  ASSERT_TRUE(result.exit_code);
  EXPECT_NE(result.output.find("invalid integer value \"0x\""), std::string::npos) << result.output;
}

TEST(FlagsTest, AcceptsGoFlagSyntax) {
  FlagSet set = MakeSet();
  ParseResult result =
      set.Parse({"-driver-root", "/x", "--count=7", "-fail=false"}, testing::FakeEnv({}));
  ASSERT_FALSE(result.exit_code) << result.output;
  EXPECT_EQ(set.Get("root").str(), "/x");  // alias fills the primary name
  EXPECT_EQ(set.GetInt("count"), 7);
  EXPECT_FALSE(set.GetBool("fail"));
}

TEST(FlagsTest, EqualsWithNothingSetsEmptyString) {
  FlagSet set = MakeSet();
  ASSERT_FALSE(set.Parse({"--root="}, testing::FakeEnv({{"ROOT_A", "/env"}})).exit_code);
  EXPECT_EQ(set.Get("root").str(), "");
  EXPECT_TRUE(set.Get("root").is_set());
}

TEST(FlagsTest, BoolFlagDoesNotTakeTheNextArgument) {
  FlagSet set = MakeSet();
  ParseResult result = set.Parse({"--fail", "false"}, testing::FakeEnv({}));
  ASSERT_FALSE(result.exit_code);
  EXPECT_TRUE(set.GetBool("fail"));
  EXPECT_EQ(result.positional, std::vector<std::string>{"false"});
}

TEST(FlagsTest, ParsingStopsAtDoubleDashAndFirstPositional) {
  FlagSet set = MakeSet();
  ParseResult result = set.Parse({"--count", "3", "--", "--root=/x"}, testing::FakeEnv({}));
  ASSERT_FALSE(result.exit_code);
  EXPECT_EQ(set.GetInt("count"), 3);
  EXPECT_EQ(set.Get("root").str(), "/");
  EXPECT_EQ(result.positional, std::vector<std::string>{"--root=/x"});
}

TEST(FlagsTest, UsageErrorsNameTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--bogus"}, "flag provided but not defined: -bogus"},
           {{"--root"}, "flag needs an argument: -root"},
           {{"--count=x"}, "invalid integer value \"x\" for --count"},
           {{"--interval=5"}, "invalid duration \"5\""},
           {{"---root"}, "bad flag syntax: ---root"},
       }) {
    FlagSet set = MakeSet();
    ParseResult result = set.Parse(c.args, testing::FakeEnv({}));
    ASSERT_TRUE(result.exit_code) << c.args[0];
    EXPECT_EQ(*result.exit_code, 1);
    EXPECT_NE(result.output.find(c.message), std::string::npos) << result.output;
  }
}

TEST(FlagsTest, SlicesSplitOnCommasAndRepeatedFlagsAppend) {
  FlagSet set = MakeSet();
  ASSERT_FALSE(
      set.Parse({"--list= a, b", "--list", "c"}, testing::FakeEnv({{"LIST", "x"}})).exit_code);
  EXPECT_EQ(set.Get("list").items, (std::vector<std::string>{"a", "b", "c"}));

  FlagSet env = MakeSet();
  ASSERT_FALSE(
      env.Parse({}, testing::FakeEnv({{"LIST", "volume-mounts , envvar"}, {"IDS", "0, 1"}}))
          .exit_code);
  EXPECT_EQ(env.Get("list").items, (std::vector<std::string>{"volume-mounts", "envvar"}));
  EXPECT_EQ(env.Get("ids").items, (std::vector<std::string>{"0", "1"}));
}

TEST(FlagsTest, HelpAndVersionExitZero) {
  FlagSet set = MakeSet();
  ParseResult version = set.Parse({"-v"}, testing::FakeEnv({}));
  ASSERT_TRUE(version.exit_code);
  EXPECT_EQ(*version.exit_code, 0);
  EXPECT_EQ(version.output, "1.2.3\ncommit: abc\n");

  ParseResult help = set.Parse({"--help"}, testing::FakeEnv({}));
  ASSERT_TRUE(help.exit_code);
  EXPECT_EQ(*help.exit_code, 0);
  EXPECT_NE(help.output.find("--root, --driver-root value"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("(default: \"/\") [$ROOT_A, $ROOT_B]"), std::string::npos);
}

TEST(FlagsTest, GoDurations) {
  EXPECT_EQ(ParseGoDuration("0"), 0);
  EXPECT_EQ(ParseGoDuration("60s"), 60'000'000'000LL);
  EXPECT_EQ(ParseGoDuration("1m30s"), 90'000'000'000LL);
  EXPECT_EQ(ParseGoDuration("1.5h"), 5'400'000'000'000LL);
  EXPECT_EQ(ParseGoDuration("250ms"), 250'000'000LL);
  EXPECT_EQ(ParseGoDuration("5ns"), 5);
  EXPECT_EQ(ParseGoDuration("-2s"), -2'000'000'000LL);
  EXPECT_EQ(ParseGoDuration("5"), std::nullopt);
  EXPECT_EQ(ParseGoDuration(""), std::nullopt);
  EXPECT_EQ(ParseGoDuration("1x"), std::nullopt);
  EXPECT_EQ(ParseGoDuration("s"), std::nullopt);
  EXPECT_EQ(ParseGoDuration("infinite"), std::nullopt);  // only where a setting allows it
}

TEST(FlagsTest, InfiniteDurations) {
  EXPECT_EQ(ParseDurationOrInfinite("infinite"), kInfiniteDuration);
  EXPECT_EQ(ParseDurationOrInfinite("Infinite"), kInfiniteDuration);
  EXPECT_EQ(ParseDurationOrInfinite("90s"), 90'000'000'000LL);
  EXPECT_EQ(ParseDurationOrInfinite("infinity"), std::nullopt);
  EXPECT_EQ(ParseDurationOrInfinite("inf"), std::nullopt);
}

}  // namespace
}  // namespace nvdp::flags
