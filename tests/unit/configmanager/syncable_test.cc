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
  });
  EXPECT_EQ(value.Get(10s, stop), "ts-2");
  watcher.join();
  // Changes made before the next Get: only the latest counts.
  value.Set("ts-2");
  value.Set("ts-3");
  value.Set("ts-4");
  EXPECT_EQ(value.Get(10s, stop), "ts-4");
  // The same value again wakes nobody; a new one does.
  std::thread later([&] {
    std::this_thread::sleep_for(20ms);
    value.Set("ts-4");
    std::this_thread::sleep_for(20ms);
    value.Set("ts-5");
  });
  EXPECT_EQ(value.Get(10s, stop), "ts-5");
  later.join();
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
