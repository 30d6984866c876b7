// The label value handed from the watcher thread to config-manager's main loop (spec §8.4).
#include "configmanager/syncable.h"

#include <gtest/gtest.h>

#include <thread>

namespace nvdp::configmanager {
namespace {

using namespace std::chrono_literals;

TEST(SyncableValueTest, FirstGetWaitsForTheFirstSyncThenOnlyForChanges) {
  SyncableValue value;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    std::this_thread::sleep_for(20ms);
    value.Set("ts-2");
    value.MarkSynced();
    std::this_thread::sleep_for(20ms);
    value.Set("ts-2");  // no change: no wake-up for the reader
    value.Set("ts-3");
    value.Set("ts-4");  // only the latest counts
  });
  EXPECT_EQ(value.Get(10s, stop), "ts-2");
  EXPECT_EQ(value.Get(10s, stop), "ts-4");
  watcher.join();
}

TEST(SyncableValueTest, WithoutASyncTheFirstGetGivesUpAfterItsWait) {
  SyncableValue value;
  std::atomic<bool> stop{false};
  EXPECT_EQ(value.Get(30ms, stop), "");
  EXPECT_FALSE(value.synced());
}

TEST(SyncableValueTest, StopReleasesAWaitingReader) {
  SyncableValue value;
  std::atomic<bool> stop{false};
  value.MarkSynced();
  EXPECT_EQ(value.Get(10s, stop), "");
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    stop = true;
    value.Wake();
  });
  EXPECT_EQ(value.Get(10s, stop), std::nullopt);
  stopper.join();
}

}  // namespace
}  // namespace nvdp::configmanager
