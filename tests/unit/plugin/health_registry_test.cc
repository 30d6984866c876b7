#include "plugin/health_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace nvdp::plugin {
namespace {

using namespace std::chrono_literals;

TEST(HealthRegistryTest, TracksUnhealthyGpusWithReasons) {
  HealthRegistry registry;
  EXPECT_TRUE(registry.IsHealthy("GPU-a"));
  uint64_t before = registry.version();
  EXPECT_TRUE(registry.MarkUnhealthy("GPU-a", HealthCause::kXid, "XID 79"));
  EXPECT_FALSE(
      registry.MarkUnhealthy("GPU-a", HealthCause::kXid, "XID 48"));  // already; first reason kept
  EXPECT_FALSE(registry.IsHealthy("GPU-a"));
  EXPECT_EQ(registry.Reason("GPU-a"), "XID 79");
  EXPECT_EQ(registry.version(), before + 1);
  EXPECT_TRUE(registry.MarkHealthy("GPU-a"));
  EXPECT_TRUE(registry.IsHealthy("GPU-a"));
  EXPECT_EQ(registry.Reason("GPU-a"), "");
}

TEST(HealthRegistryTest, WaitersWakeOnChange) {
  HealthRegistry registry;
  uint64_t seen = registry.version();
  std::thread marker([&] {
    std::this_thread::sleep_for(20ms);
    registry.MarkUnhealthy("GPU-b", HealthCause::kXid, "XID 48");
  });
  auto start = std::chrono::steady_clock::now();
  registry.WaitForChange(seen, 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(registry.version(), seen);
  marker.join();
}

TEST(HealthRegistryTest, WakeReleasesWaitersWithoutAChange) {
  HealthRegistry registry;
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    registry.WaitForChange(registry.version(), 10s);
    done = true;
  });
  auto start = std::chrono::steady_clock::now();
  while (!done && std::chrono::steady_clock::now() - start < 5s) {
    registry.Wake();  // repeated: the waiter may not be waiting yet
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(done);
  waiter.join();
}

}  // namespace
}  // namespace nvdp::plugin
