#include "common/log.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace nvdp::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { RedirectForTesting(&out_); }
  void TearDown() override {
    RedirectForTesting(nullptr);
    SetMinLevel(Level::kInfo);
  }
  std::ostringstream out_;
};

TEST_F(LogTest, WritesKlogLines) {
  LOG_INFO("hello {} from {}", 42, "gpu");
  LOG_WARNING("careful");
  LOG_ERROR("broken");
  const std::regex line(R"(^([IWE])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ log_test\.cc:\d+\] (.*)$)");
  std::istringstream lines(out_.str());
  std::vector<std::pair<std::string, std::string>> seen;
  for (std::string text; std::getline(lines, text);) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(text, match, line)) << text;
    seen.emplace_back(match[1], match[2]);
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"I", "hello 42 from gpu"}, {"W", "careful"}, {"E", "broken"}}));
}

TEST_F(LogTest, DropsMessagesBelowTheMinimumLevel) {
  SetMinLevel(Level::kWarning);
  LOG_INFO("quiet");
  LOG_DEBUG("quieter");
  LOG_WARNING("loud");
  EXPECT_EQ(out_.str().find("quiet"), std::string::npos);
  EXPECT_NE(out_.str().find("loud"), std::string::npos);
}

TEST(LogLevelTest, ParsesNames) {
  Level level = Level::kInfo;
  EXPECT_TRUE(ParseLevel("debug", &level));
  EXPECT_EQ(level, Level::kDebug);
  EXPECT_TRUE(ParseLevel("warning", &level));
  EXPECT_EQ(level, Level::kWarning);
  EXPECT_FALSE(ParseLevel("loud", &level));
}

}  // namespace
}  // namespace nvdp::log
