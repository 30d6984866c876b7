// Retry delays and log throttling shared by every retry loop.
#include "common/backoff.h"

#include <gtest/gtest.h>

namespace nvdp {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, StepsThenTheCeilingAndBackAfterASuccess) {
  Backoff backoff({milliseconds(20), milliseconds(50)}, milliseconds(2000));
  EXPECT_EQ(backoff.Failed(), milliseconds(20));
  EXPECT_EQ(backoff.Failed(), milliseconds(50));
  EXPECT_EQ(backoff.Failed(), milliseconds(2000));
  EXPECT_EQ(backoff.Failed(), milliseconds(2000));
  EXPECT_EQ(backoff.failures(), 4);
  backoff.Succeeded();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.Failed(), milliseconds(20));
}

TEST(BackoffTest, DoublingStopsAtTheCeiling) {
  Backoff backoff = Backoff::Doubling(milliseconds(100), milliseconds(500));
  EXPECT_EQ(backoff.Failed(), milliseconds(100));
  EXPECT_EQ(backoff.Failed(), milliseconds(200));
  EXPECT_EQ(backoff.Failed(), milliseconds(400));
  EXPECT_EQ(backoff.Failed(), milliseconds(500));
  for (int i = 0; i < 100; ++i) backoff.Failed();
  EXPECT_EQ(backoff.Failed(), milliseconds(500));
}

TEST(LogThrottleTest, FirstEveryNthAndChangedMessages) {
  LogThrottle throttle(3);
  std::vector<bool> logged;
  for (int i = 0; i < 7; ++i) logged.push_back(throttle.ShouldLog("same"));
  EXPECT_EQ(logged, (std::vector<bool>{true, false, true, false, false, true, false}));
  EXPECT_TRUE(throttle.ShouldLog("different"));  // 8th, but the message changed
  EXPECT_TRUE(throttle.ShouldLog("different"));  // 9th
  EXPECT_FALSE(throttle.ShouldLog("different"));
  throttle.Reset();
  EXPECT_EQ(throttle.count(), 0);
  EXPECT_TRUE(throttle.ShouldLog("different"));
}

}  // namespace
}  // namespace nvdp
