// What mps-control-daemon starts (spec §9.1-9.2): max clients, pinned memory, thread percentage.
#include "mps/plan.h"

#include <gtest/gtest.h>

#include "mps/control.h"

namespace nvdp::mps {
namespace {

device::GpuInfo Gpu(unsigned index, unsigned long long memory_mib, int cc_major, int cc_minor) {
  device::GpuInfo gpu;
  gpu.index = index;
  gpu.uuid = "GPU-" + std::to_string(index);
  gpu.name = "NVIDIA TEST";
  gpu.minor = index;
  gpu.memory_bytes = memory_mib << 20;
  gpu.cc_major = cc_major;
  gpu.cc_minor = cc_minor;
  return gpu;
}

std::vector<resource::Resource> Shared(const device::Inventory& inventory, int replicas,
                                       bool rename = false) {
  config::ReplicatedResources replicated;
  std::optional<std::string> renamed;
  if (rename) renamed = "nvidia.com/gpu.shared";
  replicated.resources.push_back({"nvidia.com/gpu", renamed, {}, replicas});
  resource::ResourceSettings settings;
  settings.rules = resource::DefaultResourceRules(config::MigStrategy::kNone, inventory);
  settings.replicated = &replicated;
  return resource::BuildResources(inventory, settings);
}

TEST(MaxClientsTest, FortyEightFromComputeCapability75) {
  EXPECT_EQ(MaxClients(7, 5), 48);
  EXPECT_EQ(MaxClients(9, 0), 48);
  EXPECT_EQ(MaxClients(8, 0), 48);
  EXPECT_EQ(MaxClients(7, 0), 16);
  EXPECT_EQ(MaxClients(6, 1), 16);
}

TEST(PlanTest, FortyGigabytesWithTenReplicas) {
  device::Inventory inventory;
  inventory.gpus = {Gpu(0, 40960, 8, 0), Gpu(1, 40960, 8, 0)};
  std::vector<DaemonPlan> plans = PlanDaemons(Shared(inventory, 10), inventory);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].resource, "nvidia.com/gpu");
  EXPECT_EQ(plans[0].uuids, (std::vector<std::string>{"GPU-0", "GPU-1"}));
  EXPECT_EQ(plans[0].pinned_limits, (std::vector<PinnedMemoryLimit>{{"0", 4096}, {"1", 4096}}));
  EXPECT_EQ(plans[0].active_thread_percentage, 10);
}

TEST(PlanTest, ThreeReplicasGetAThirdRoundedDown) {
  device::Inventory inventory;
  inventory.gpus = {Gpu(0, 15360, 7, 5)};
  std::vector<DaemonPlan> plans = PlanDaemons(Shared(inventory, 3, true), inventory);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].resource, "nvidia.com/gpu.shared");
  EXPECT_EQ(plans[0].pinned_limits, (std::vector<PinnedMemoryLimit>{{"0", 5120}}));
  EXPECT_EQ(plans[0].active_thread_percentage, 33);
}

TEST(PlanTest, UnknownMemoryMeansNoPinnedLimit) {
  device::Inventory inventory;
  inventory.gpus = {Gpu(0, 0, 9, 0)};
  std::vector<DaemonPlan> plans = PlanDaemons(Shared(inventory, 4), inventory);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_TRUE(plans[0].pinned_limits.empty());
  EXPECT_EQ(plans[0].active_thread_percentage, 25);
}

TEST(PlanTest, NoReplicasNoDaemons) {
  device::Inventory inventory;
  inventory.gpus = {Gpu(0, 40960, 8, 0)};
  resource::ResourceSettings settings;
  settings.rules = resource::DefaultResourceRules(config::MigStrategy::kNone, inventory);
  EXPECT_TRUE(PlanDaemons(resource::BuildResources(inventory, settings), inventory).empty());
}

TEST(PlanTest, ReplicasBeyondMaxClientsAreRefused) {
  struct Case {
    int major, minor, replicas;
    bool ok;
  };
  for (const Case& c : std::vector<Case>{{7, 0, 29, false},
                                         {9, 0, 49, false},
                                         {7, 0, 16, true},
                                         {9, 0, 48, true},
                                         {7, 0, 17, false},
                                         {7, 5, 48, true}}) {
    device::Inventory inventory;
    inventory.gpus = {Gpu(0, 16160, c.major, c.minor)};
    SCOPED_TRACE(std::to_string(c.major) + "." + std::to_string(c.minor) + " x" +
                 std::to_string(c.replicas));
    if (c.ok) {
      EXPECT_NO_THROW(PlanDaemons(Shared(inventory, c.replicas), inventory));
      continue;
    }
    try {
      PlanDaemons(Shared(inventory, c.replicas), inventory);
      ADD_FAILURE() << "accepted";
    } catch (const MpsError& error) {
      const std::string expected =
          "maximum allowed replicas exceeded: " + std::to_string(c.replicas) + " > " +
          std::to_string(MaxClients(c.major, c.minor));
      EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
    }
  }
}

TEST(PlanTest, MigDevicesAreRefused) {
  device::Inventory inventory;
  inventory.gpus = {Gpu(0, 40960, 8, 0)};
  std::vector<resource::Resource> resources = Shared(inventory, 2);
  resources[0].devices[0].mig = true;
  resources[0].devices[0].mig_uuid = "MIG-x";
  try {
    PlanDaemons(resources, inventory);
    ADD_FAILURE() << "accepted";
  } catch (const MpsError& error) {
    EXPECT_NE(std::string(error.what()).find("sharing using MPS is not supported for MIG devices"),
              std::string::npos);
  }
}

// --sharing-per-device: GPUs of one MPS resource with different replica counts get each its own
// pinned-memory share and the daemon the percentage of the most replicated; a resource that also
// holds an unshared GPU is refused.
std::vector<resource::Resource> PerDevice(const device::Inventory& inventory,
                                          std::optional<std::string> rename) {
  config::ReplicatedResources replicated;
  using Kind = config::ReplicatedDevices::Kind;
  replicated.resources.push_back({"nvidia.com/gpu", rename, {Kind::kList, 0, {"0"}}, 2});
  replicated.resources.push_back({"nvidia.com/gpu", rename, {Kind::kList, 0, {"1"}}, 4});
  resource::ResourceSettings settings;
  settings.rules = resource::DefaultResourceRules(config::MigStrategy::kNone, inventory);
  settings.replicated = &replicated;
  return resource::BuildResources(inventory, settings);
}

TEST(PlanTest, PerDeviceReplicaCounts) {
  device::Inventory inventory;
  inventory.gpus = {Gpu(0, 40960, 8, 0), Gpu(1, 40960, 8, 0), Gpu(2, 40960, 8, 0)};
  std::vector<DaemonPlan> plans =
      PlanDaemons(PerDevice(inventory, "nvidia.com/gpu.mps"), inventory);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans[0].resource, "nvidia.com/gpu.mps");
  EXPECT_EQ(plans[0].uuids, (std::vector<std::string>{"GPU-0", "GPU-1"}));
  EXPECT_EQ(plans[0].active_thread_percentage, 25);
  ASSERT_EQ(plans[0].pinned_limits.size(), 2u);
  EXPECT_EQ(plans[0].pinned_limits[0].mib, 20480u);
  EXPECT_EQ(plans[0].pinned_limits[1].mib, 10240u);
  try {
    PlanDaemons(PerDevice(inventory, std::nullopt), inventory);
    ADD_FAILURE() << "accepted";
  } catch (const MpsError& error) {
    EXPECT_NE(std::string(error.what()).find("holds shared devices and GPU-2, which is not shared"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace nvdp::mps
