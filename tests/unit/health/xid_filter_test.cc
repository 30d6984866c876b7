// DP_DISABLE_HEALTHCHECKS / DP_ENABLE_HEALTHCHECKS, case by case from spec §6.1.
#include "health/xid_filter.h"

#include <gtest/gtest.h>

namespace nvdp::health {
namespace {

using Xids = std::map<uint64_t, bool>;

TEST(XidFilterTest, ParsesLists) {
  for (const char* empty : {"", ",", "not-an-int", "-68"}) {
    EXPECT_EQ(ParseXidList(empty, nullptr), Xids{}) << empty;
  }
  for (const char* one : {"68", "68  ", "68,", ",68"}) {
    EXPECT_EQ(ParseXidList(one, nullptr), (Xids{{68, true}})) << one;
  }
  std::vector<std::string> ignored;
  EXPECT_EQ(ParseXidList("68,not-an-int,67", &ignored), (Xids{{67, true}, {68, true}}));
  EXPECT_EQ(ignored, std::vector<std::string>{"not-an-int"});
  EXPECT_EQ(ParseXidList("12,ALL,13", nullptr), (Xids{{0, true}}));
  EXPECT_EQ(ParseXidList("xids", nullptr), (Xids{{0, true}}));
}

TEST(XidFilterTest, DefaultsIgnoreApplicationXids) {
  XidFilter filter = XidFilter::FromSettings(std::nullopt, std::nullopt);
  EXPECT_EQ(filter.entries(),
            (Xids{{13, true}, {31, true}, {43, true}, {45, true}, {68, true}, {109, true}}));
  EXPECT_FALSE(filter.IsAllDisabled());
  EXPECT_TRUE(filter.IsDisabled(13));
  EXPECT_FALSE(filter.IsDisabled(79));
  EXPECT_FALSE(filter.IsDisabled(48));
}

TEST(XidFilterTest, DisableAll) {
  for (const char* all : {"all", "xids"}) {
    XidFilter filter = XidFilter::FromSettings(all, std::nullopt);
    EXPECT_TRUE(filter.IsAllDisabled());
    EXPECT_TRUE(filter.IsDisabled(555));
    EXPECT_TRUE(filter.entries().at(0));
  }
  // Upstream quirk kept: enabling one XID does not undo "all".
  XidFilter filter = XidFilter::FromSettings("all", "79");
  EXPECT_TRUE(filter.IsAllDisabled());
}

TEST(XidFilterTest, EnableAllOverridesEverything) {
  XidFilter filter = XidFilter::FromSettings(std::nullopt, "all");
  EXPECT_FALSE(filter.IsAllDisabled());
  EXPECT_FALSE(filter.entries().at(0));
  EXPECT_FALSE(filter.IsDisabled(13));
  EXPECT_FALSE(filter.IsDisabled(555));
}

TEST(XidFilterTest, EnableBeatsDisableForTheSameXid) {
  XidFilter filter = XidFilter::FromSettings("11", "11");
  EXPECT_FALSE(filter.entries().at(11));
  EXPECT_FALSE(filter.IsDisabled(11));
  EXPECT_FALSE(filter.IsDisabled(555));
  EXPECT_TRUE(filter.IsDisabled(68));
  XidFilter enable_default = XidFilter::FromSettings(std::nullopt, "68");
  EXPECT_FALSE(enable_default.IsDisabled(68));
}

}  // namespace
}  // namespace nvdp::health
