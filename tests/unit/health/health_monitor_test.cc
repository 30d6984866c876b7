// The health monitor's threads against the NVML simulator: events, probes, recovery, hung calls.
#include "health/health_monitor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "discovery/discovery.h"
#include "fakes/manual_clock.h"
#include "sim_node.h"

namespace nvdp::health {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

template <typename Predicate>
bool WaitFor(Predicate&& predicate, std::chrono::milliseconds timeout = 3s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

class HealthMonitorTest : public ::testing::Test {
 protected:
  // Starts a monitor over every GPU of `profile`, with the MIG devices of each GPU advertised
  // when `with_migs`.
  void Start(const std::string& profile, HealthSettings settings = {}, bool with_migs = false,
             const std::string& faults = "") {
    node_ = std::make_unique<testing::SimulatedNode>(profile, faults);
    {
      nvml::Session session(node_->nvml());
      inventory_ = discovery::Discover(node_->nvml(), {{testing::SimRoot() + "/sys"}});
    }
    std::vector<WatchedGpu> gpus;
    for (const device::GpuInfo& gpu : inventory_.gpus) {
      WatchedGpu watched{gpu.uuid, {}};
      if (with_migs) {
        for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
          watched.migs.push_back({mig.uuid, mig.gpu_instance, mig.compute_instance});
        }
      }
      gpus.push_back(std::move(watched));
    }
    if (settings.filter.entries().empty()) settings.filter = XidFilter::FromSettings({}, {});
    monitor_ =
        std::make_unique<HealthMonitor>(node_->shared_nvml(), gpus, registry_, settings, metrics_);
    monitor_->Start();
    // Let the event thread register before faults are injected.
    std::this_thread::sleep_for(100ms);
  }

  void TearDown() override {
    if (monitor_) monitor_->Stop();
    monitor_.reset();
    node_.reset();
  }

  const std::string& Gpu(size_t index) const { return inventory_.gpus[index].uuid; }
  bool Healthy(const std::string& key) const { return registry_->IsHealthy(key); }
  // The key's causes, strongest first.
  std::vector<HealthCause> Causes(const std::string& key) const {
    std::vector<HealthCause> causes;
    auto marks = registry_->Marks();
    if (auto it = marks.find(key); it != marks.end()) {
      for (const auto& [cause, mark] : it->second.causes) causes.push_back(cause);
    }
    return causes;
  }
  using Cs = std::vector<HealthCause>;

  testing::ManualClock manual_clock_;  // outlives the monitor's threads
  std::unique_ptr<testing::SimulatedNode> node_;
  device::Inventory inventory_;
  std::shared_ptr<HealthRegistry> registry_ = std::make_shared<HealthRegistry>();
  std::shared_ptr<HealthMetrics> metrics_ = std::make_shared<HealthMetrics>("nvidia_device_plugin");
  std::unique_ptr<HealthMonitor> monitor_;
};

TEST_F(HealthMonitorTest, CriticalXidMarksOnlyThatGpu) {
  Start("dgx-a100");
  node_->Inject("xid 3 48");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(3)); }));
  EXPECT_EQ(Causes(Gpu(3)), Cs{HealthCause::kXid});
  EXPECT_EQ(registry_->Reason(Gpu(3)), "XID 48");
  EXPECT_EQ(registry_->Marks().size(), 1u);
  EXPECT_EQ(metrics_->xid_events.Value({Gpu(3), "48", "false"}), 1);
  // The counter follows the mark (it counts new marks only): wait for it too.
  EXPECT_TRUE(WaitFor([&] { return metrics_->unhealthy.Value({Gpu(3), "xid"}) == 1; }));
}

TEST_F(HealthMonitorTest, ApplicationXidsAndEccEventsChangeNothing) {
  Start("dgx-a100");
  node_->Inject("xid 2 13");
  node_->Inject("ecc-double 2");
  ASSERT_TRUE(WaitFor([&] {
    return metrics_->xid_events.Value({Gpu(2), "13", "true"}) == 1 &&
           metrics_->ecc_events.Value({Gpu(2), "double_bit"}) == 1;
  }));
  EXPECT_TRUE(registry_->Marks().empty());
}

// As upstream v0.19+: a GPU whose events NVML does not support is served (v0.18 marked it);
// any other registration failure marks it, and only it.
TEST_F(HealthMonitorTest, GpusWithoutEventSupportStayHealthy) {
  Start("dgx-a100", {}, false,
        "fail nvmlDeviceRegisterEvents NOT_SUPPORTED 1\n"
        "fail nvmlDeviceGetSupportedEventTypes NOT_SUPPORTED 2\n"
        "fail nvmlDeviceRegisterEvents UNKNOWN 3\n");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(3)); }));
  EXPECT_EQ(Causes(Gpu(3)), Cs{HealthCause::kUnwatchable});
  EXPECT_EQ(registry_->Marks().size(), 1u);
  // The others are still watched: an XID on GPU 0 marks it.
  node_->Inject("xid 0 48");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(0)); }));
  EXPECT_TRUE(Healthy(Gpu(1)));
  EXPECT_TRUE(Healthy(Gpu(2)));
}

TEST_F(HealthMonitorTest, Xid79LosesTheGpuForGood) {
  HealthSettings settings;
  settings.recovery_period = 100ms;
  settings.probe_interval = 100ms;
  Start("dgx-a100", settings);
  node_->Inject("lost 5");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(5)); }));
  EXPECT_EQ(Causes(Gpu(5)), Cs{HealthCause::kLost});
  std::this_thread::sleep_for(500ms);  // several recovery rounds
  EXPECT_FALSE(Healthy(Gpu(5)));
}

TEST_F(HealthMonitorTest, ProbeFindsAGpuLostWithoutAnEvent) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  Start("dgx-a100", settings);
  node_->Inject("fail * GPU_IS_LOST 6");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(6)); }));
  EXPECT_EQ(Causes(Gpu(6)), Cs{HealthCause::kLost});
  EXPECT_EQ(registry_->Marks().size(), 1u);
  EXPECT_TRUE(monitor_->NvmlDown().empty());
}

TEST_F(HealthMonitorTest, AttributedMigEventMarksOnlyThatInstance) {
  Start("a100-mig-mixed", {}, /*with_migs=*/true);
  const device::GpuInfo& gpu0 = inventory_.gpus[0];
  ASSERT_GE(gpu0.mig_devices.size(), 2u);
  const device::MigDeviceInfo& target = gpu0.mig_devices[1];
  node_->Inject("xid 0 48 " + std::to_string(target.gpu_instance) + " " +
                std::to_string(target.compute_instance));
  ASSERT_TRUE(WaitFor([&] { return !Healthy(target.uuid); }));
  EXPECT_TRUE(Healthy(gpu0.uuid));
  EXPECT_FALSE(registry_->IsHealthy(gpu0.uuid, target.uuid));
  EXPECT_TRUE(registry_->IsHealthy(gpu0.uuid, gpu0.mig_devices[0].uuid));

  // Not attributable to an instance: the whole GPU, so every MIG device on it.
  node_->Inject("xid 0 94");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(gpu0.uuid); }));
  for (const device::MigDeviceInfo& mig : gpu0.mig_devices) {
    EXPECT_FALSE(registry_->IsHealthy(gpu0.uuid, mig.uuid));
  }
  EXPECT_TRUE(Healthy(inventory_.gpus[1].uuid));
}

TEST_F(HealthMonitorTest, EventOnAnInstanceNobodyAdvertisesIsIgnored) {
  Start("a100-mig-mixed", {}, /*with_migs=*/true);
  node_->Inject("xid 0 48 13 0");  // no such GPU instance
  node_->Inject("xid 1 48");       // a marker to know the first event was handled
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(1)); }));
  EXPECT_EQ(registry_->Marks().size(), 1u);
}

TEST_F(HealthMonitorTest, QuietDevicesRecoverWhenNvmlAnswersForThem) {
  HealthSettings settings;
  settings.recovery_period = 300ms;
  settings.probe_interval = 100ms;
  Start("dgx-a100", settings);
  node_->Inject("fail nvmlDeviceGetMemoryInfo UNKNOWN 4");
  node_->Inject("xid 4 48");
  node_->Inject("xid 1 48");
  // Waited for one at a time: a loaded machine may not look while both are marked.
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(4)); }));
  ASSERT_TRUE(WaitFor([&] { return metrics_->recovered.Value({Gpu(1)}) == 1; }));
  EXPECT_TRUE(Healthy(Gpu(1)));
  // GPU 4 does not answer: it stays unhealthy until it does, past its recovery period.
  std::this_thread::sleep_for(400ms);
  EXPECT_FALSE(Healthy(Gpu(4)));
  node_->Inject("fail nvmlDeviceGetMemoryInfo SUCCESS");
  EXPECT_TRUE(WaitFor([&] { return Healthy(Gpu(4)); }));
}

// Recovery follows the marks' clock: a ten-minute period passes when the clock says so.
TEST_F(HealthMonitorTest, RecoveryPeriodsFollowTheRegistrysClock) {
  testing::ManualClock& clock = manual_clock_;
  registry_ = std::make_shared<HealthRegistry>(clock);
  HealthSettings settings;
  settings.recovery_period = std::chrono::minutes(10);
  settings.probe_interval = 100ms;
  Start("pcie-4xt4", settings);
  node_->Inject("xid 1 48");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(1)); }));
  clock.Advance(std::chrono::minutes(9));
  std::this_thread::sleep_for(300ms);  // three probe rounds
  EXPECT_FALSE(Healthy(Gpu(1)));
  clock.Advance(std::chrono::minutes(1));
  EXPECT_TRUE(WaitFor([&] { return Healthy(Gpu(1)); }));
  // The counter follows the recovery on the probe thread: wait for it too.
  EXPECT_TRUE(WaitFor([&] { return metrics_->recovered.Value({Gpu(1)}) == 1; }));
}

TEST_F(HealthMonitorTest, NoRecoveryByDefault) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  Start("pcie-4xt4", settings);
  node_->Inject("xid 1 48");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(1)); }));
  std::this_thread::sleep_for(400ms);
  EXPECT_FALSE(Healthy(Gpu(1)));
}

TEST_F(HealthMonitorTest, FailedEventWaitsAreRetriedWithoutMarkingDevices) {
  Start("pcie-4xt4");
  node_->Inject("fail nvmlEventSetWait UNKNOWN");
  ASSERT_TRUE(WaitFor([&] {
    return metrics_->nvml_errors.Value({"nvmlEventSetWait", "UNKNOWN"}) >= 2;
  }));
  EXPECT_TRUE(registry_->Marks().empty());
  node_->Inject("fail nvmlEventSetWait SUCCESS");
  node_->Inject("xid 2 48");
  EXPECT_TRUE(WaitFor([&] { return !Healthy(Gpu(2)); }, 10s));
}

TEST_F(HealthMonitorTest, NvmlAnsweringForNoGpuMarksAllUntilItAnswersAgain) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  Start("pcie-4xt4", settings);
  node_->Inject("fail nvmlDeviceGetMemoryInfo UNKNOWN");
  ASSERT_TRUE(WaitFor([&] { return !monitor_->NvmlDown().empty(); }));
  EXPECT_EQ(monitor_->NvmlDown(), "NVML answers for no GPU (UNKNOWN)");
  EXPECT_TRUE(WaitFor([&] { return registry_->Marks().size() == 4; }));
  EXPECT_EQ(Causes(Gpu(0)), Cs{HealthCause::kNvmlDown});
  node_->Inject("fail nvmlDeviceGetMemoryInfo SUCCESS");
  EXPECT_TRUE(WaitFor([&] { return monitor_->NvmlDown().empty() && registry_->Marks().empty(); }));
}

// An XID that arrives while NVML answers for no GPU must outlive the outage (it used to be
// forgotten: the mark kept only its first cause, and the outage's end cleared it).
TEST_F(HealthMonitorTest, XidDuringAnOutageOutlivesTheOutage) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  Start("pcie-4xt4", settings);
  node_->Inject("fail nvmlDeviceGetMemoryInfo UNKNOWN");
  ASSERT_TRUE(WaitFor([&] { return registry_->Marks().size() == 4; }));
  node_->Inject("xid 2 48");
  ASSERT_TRUE(WaitFor([&] { return Causes(Gpu(2)).size() == 2; }));
  EXPECT_EQ(Causes(Gpu(2)), (Cs{HealthCause::kXid, HealthCause::kNvmlDown}));
  node_->Inject("fail nvmlDeviceGetMemoryInfo SUCCESS");
  ASSERT_TRUE(WaitFor([&] { return monitor_->NvmlDown().empty() && Healthy(Gpu(0)); }));
  EXPECT_TRUE(WaitFor([&] { return registry_->Marks().size() == 1; }));
  EXPECT_EQ(Causes(Gpu(2)), Cs{HealthCause::kXid});
  EXPECT_EQ(registry_->Reason(Gpu(2)), "XID 48");
  std::this_thread::sleep_for(300ms);  // more probe rounds change nothing
  EXPECT_FALSE(Healthy(Gpu(2)));
}

// With a recovery period, the XID recovers by its own clock, not when NVML returns.
TEST_F(HealthMonitorTest, XidDuringAnOutageRecoversOnlyAfterItsPeriod) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  settings.recovery_period = 800ms;
  Start("pcie-4xt4", settings);
  node_->Inject("fail nvmlDeviceGetMemoryInfo UNKNOWN");
  ASSERT_TRUE(WaitFor([&] { return registry_->Marks().size() == 4; }));
  const auto before_xid = Clock::now();  // the XID's clock starts after this
  node_->Inject("xid 1 48");
  ASSERT_TRUE(WaitFor([&] { return Causes(Gpu(1)).size() == 2; }));
  node_->Inject("fail nvmlDeviceGetMemoryInfo SUCCESS");
  ASSERT_TRUE(WaitFor([&] { return Healthy(Gpu(0)); }));
  const bool within_period = Clock::now() - before_xid < 800ms;
  if (within_period) {
    EXPECT_FALSE(Healthy(Gpu(1)));
  }
  EXPECT_TRUE(WaitFor([&] { return Healthy(Gpu(1)); }));
  EXPECT_GE(Clock::now() - before_xid, 800ms);
}

// A lost GPU's GPU_IS_LOST must not switch off outage detection for the others.
TEST_F(HealthMonitorTest, OutageIsFoundWithALostGpu) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  Start("pcie-4xt4", settings);
  node_->Inject("lost 0");
  ASSERT_TRUE(WaitFor([&] { return !Healthy(Gpu(0)); }));
  node_->Inject("fail nvmlDeviceGetMemoryInfo UNKNOWN");
  ASSERT_TRUE(WaitFor([&] { return !monitor_->NvmlDown().empty(); }));
  EXPECT_TRUE(WaitFor([&] { return registry_->Marks().size() == 4; }));
  EXPECT_EQ(Causes(Gpu(3)), Cs{HealthCause::kNvmlDown});
  node_->Inject("fail nvmlDeviceGetMemoryInfo SUCCESS");
  EXPECT_TRUE(WaitFor([&] { return Healthy(Gpu(3)) && monitor_->NvmlDown().empty(); }));
  EXPECT_EQ(Causes(Gpu(0)).front(), HealthCause::kLost);
}

// Every GPU lost is not an NVML outage: each is lost, and NVML itself answers.
TEST_F(HealthMonitorTest, EveryGpuLostIsNoOutage) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  Start("pcie-4xt4", settings);
  node_->Inject("fail * GPU_IS_LOST");
  ASSERT_TRUE(WaitFor([&] { return registry_->Marks().size() == 4; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(monitor_->NvmlDown().empty());
  EXPECT_EQ(Causes(Gpu(1)), Cs{HealthCause::kLost});
}

TEST_F(HealthMonitorTest, HungCallMarksItsGpuAndStopDoesNotWaitForIt) {
  HealthSettings settings;
  settings.probe_interval = 100ms;
  settings.call_deadline = 300ms;
  Start("pcie-4xt4", settings);
  node_->Inject("delay nvmlDeviceGetMemoryInfo 1500");
  ASSERT_TRUE(WaitFor([&] { return !monitor_->HungCalls().empty(); }));
  // The probe may be at any GPU when the delay starts: the hung call names the one it was at.
  const std::string hung = monitor_->HungCalls()[0];
  std::string gpu;
  for (int i = 0; i < 4; ++i) {
    if (hung.find("nvmlDeviceGetMemoryInfo for " + Gpu(i)) != std::string::npos) gpu = Gpu(i);
  }
  ASSERT_FALSE(gpu.empty()) << hung;
  EXPECT_TRUE(WaitFor([&] { return !Healthy(gpu); }));
  EXPECT_EQ(Causes(gpu), Cs{HealthCause::kHung});
  EXPECT_TRUE(WaitFor([&] { return metrics_->unhealthy.Value({gpu, "hung"}) == 1; }));

  node_->Inject("delay nvmlDeviceGetMemoryInfo 0");
  const auto start = Clock::now();
  EXPECT_FALSE(monitor_->Stop(200ms));
  EXPECT_LT(Clock::now() - start, 1s);
  monitor_.reset();
  std::this_thread::sleep_for(1600ms);  // the left-behind thread finishes its call and exits
}

// A stop request reaches a thread sleeping through an hour-long probe interval at once, at any
// moment after the start. (The flag is set under the mutex the sleep waits on; without it a
// request landing between the sleeper's check and its wait was lost. That window is too narrow
// for this test to hit reliably: it guards the wake-up itself.)
TEST_F(HealthMonitorTest, StopWakesAThreadSleepingThroughALongInterval) {
  HealthSettings settings;
  settings.probe_interval = std::chrono::hours(1);
  node_ = std::make_unique<testing::SimulatedNode>("pcie-4xt4");
  std::vector<WatchedGpu> gpus = {{"GPU-none", {}}};
  settings.filter = XidFilter::FromSettings({}, {});
  for (int round = 0; round < 30; ++round) {
    HealthMonitor monitor(node_->shared_nvml(), gpus, registry_, settings, metrics_);
    monitor.Start();
    if (round % 2) std::this_thread::sleep_for(std::chrono::microseconds(50 * (round % 20)));
    const auto start = Clock::now();
    ASSERT_TRUE(monitor.Stop(2s)) << "round " << round;
    EXPECT_LT(Clock::now() - start, 2s);
  }
}

TEST_F(HealthMonitorTest, AllDisabledStartsNothing) {
  HealthSettings settings;
  settings.filter = XidFilter::FromSettings(std::string("all"), {});
  Start("pcie-4xt4", settings);
  node_->Inject("xid 1 48");
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(registry_->Marks().empty());
  EXPECT_EQ(metrics_->xid_events.Value({Gpu(1), "48", "false"}), 0);
}

}  // namespace
}  // namespace nvdp::health
