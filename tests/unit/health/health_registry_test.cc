#include "health/health_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace nvdp::health {
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

TEST(HealthRegistryTest, EveryCauseIsKeptAndClearsOnlyByItself) {
  HealthRegistry registry;
  EXPECT_TRUE(registry.MarkUnhealthy("GPU-a", HealthCause::kNvmlDown, "NVML answers for no GPU"));
  EXPECT_TRUE(registry.MarkUnhealthy("GPU-a", HealthCause::kXid, "XID 48"));
  EXPECT_EQ(registry.Reason("GPU-a"), "XID 48; NVML answers for no GPU");
  EXPECT_FALSE(registry.Clear("GPU-a", HealthCause::kNvmlDown));  // the XID remains
  EXPECT_FALSE(registry.IsHealthy("GPU-a"));
  EXPECT_EQ(registry.Reason("GPU-a"), "XID 48");
  EXPECT_FALSE(registry.Clear("GPU-a", HealthCause::kNvmlDown));  // nothing to clear
  EXPECT_TRUE(registry.Clear("GPU-a", HealthCause::kXid));
  EXPECT_TRUE(registry.IsHealthy("GPU-a"));
}

TEST(HealthRegistryTest, LostStaysWhateverElseClears) {
  HealthRegistry registry;
  registry.MarkUnhealthy("GPU-a", HealthCause::kXid, "XID 48");
  registry.MarkUnhealthy("GPU-a", HealthCause::kLost, "XID 79");
  EXPECT_EQ(registry.Reason("GPU-a"), "XID 79; XID 48");  // strongest first
  auto marks = registry.Marks();
  const auto xid_at = marks.at("GPU-a").causes.at(HealthCause::kXid).last_event;
  EXPECT_TRUE(registry.Recover("GPU-a", HealthCause::kXid, xid_at));
  EXPECT_FALSE(registry.IsHealthy("GPU-a"));
  EXPECT_FALSE(registry.Recover("GPU-a", HealthCause::kLost, xid_at));
}

TEST(HealthRegistryTest, RecoverLosesToARenewal) {
  HealthRegistry registry;
  registry.MarkUnhealthy("GPU-a", HealthCause::kXid, "XID 48");
  const auto first = registry.Marks().at("GPU-a").causes.at(HealthCause::kXid).last_event;
  std::this_thread::sleep_for(2ms);
  EXPECT_FALSE(registry.MarkUnhealthy("GPU-a", HealthCause::kXid, "XID 48"));  // renewed
  EXPECT_FALSE(registry.Recover("GPU-a", HealthCause::kXid, first));
  EXPECT_FALSE(registry.IsHealthy("GPU-a"));
}

TEST(HealthRegistryTest, MigDeviceReasonsFollowTheGpus) {
  HealthRegistry registry;
  registry.MarkUnhealthy("GPU-a", HealthCause::kNvmlDown, "NVML down");
  registry.MarkUnhealthy("MIG-b", HealthCause::kXid, "XID 94");
  EXPECT_EQ(registry.Reason("GPU-a", "MIG-b"), "NVML down; XID 94");
  EXPECT_TRUE(registry.IsHealthy("GPU-c", "MIG-d"));
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
}  // namespace nvdp::health
