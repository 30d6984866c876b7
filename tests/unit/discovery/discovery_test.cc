// Discovery against the simulator's profiles, checked against facts written from the machines'
// published topologies (spec §5.3 for DGX-1 Volta), not from the simulator's code.
#include "discovery/discovery.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "sim_node.h"

namespace nvdp::discovery {
namespace {

using testing::SimulatedNode;

Inventory DiscoverOn(testing::SimulatedNode& node) {
  nvml::Session session(node.nvml());
  DiscoveryOptions options;
  options.sysfs_roots = {testing::SimRoot() + "/sys"};
  return Discover(node.nvml(), options);
}

TEST(DiscoveryTest, Dgx1VoltaHybridCubeMesh) {
  SimulatedNode node("dgx1-v100");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 8u);
  EXPECT_EQ(inventory.driver_version, "535.183.01");
  EXPECT_EQ(inventory.cuda_driver_version, 12020);
  const LinkMatrix& links = inventory.links;
  const std::set<std::pair<int, int>> one = {{0, 1}, {0, 2}, {1, 3}, {2, 6},
                                             {3, 7}, {4, 5}, {4, 6}, {5, 7}};
  const std::set<std::pair<int, int>> two = {{0, 3}, {0, 4}, {1, 2}, {1, 5},
                                             {2, 3}, {4, 7}, {5, 6}, {6, 7}};
  for (int a = 0; a < 8; ++a) {
    for (int b = 0; b < 8; ++b) {
      if (a == b) continue;
      auto pair = std::make_pair(std::min(a, b), std::max(a, b));
      int expected = one.count(pair) ? 1 : two.count(pair) ? 2 : 0;
      EXPECT_EQ(links.nvlinks(a, b), expected) << a << "-" << b;
      bool same_quad = a / 4 == b / 4;
      bool same_switch = a / 2 == b / 2;
      P2PLink p2p = !same_quad    ? P2PLink::kCrossCpu
                    : same_switch ? P2PLink::kSingleSwitch
                                  : P2PLink::kHostBridge;
      EXPECT_EQ(links.p2p(a, b), p2p) << a << "-" << b;
    }
    EXPECT_EQ(links.switch_nvlinks(a), 0);
    EXPECT_EQ(inventory.gpus[a].numa_node, a < 4 ? 0 : 1);
    EXPECT_EQ(inventory.gpus[a].minor, static_cast<unsigned>(a));
    EXPECT_EQ(inventory.gpus[a].cc_major, 7);
    EXPECT_TRUE(inventory.gpus[a].problem.empty());
  }
}

TEST(DiscoveryTest, NvSwitchLinksDoNotCountAsGpuToGpu) {
  SimulatedNode node("dgx-a100");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 8u);
  for (size_t a = 0; a < 8; ++a) {
    EXPECT_EQ(inventory.links.switch_nvlinks(a), 12);
    for (size_t b = 0; b < 8; ++b) EXPECT_EQ(inventory.links.nvlinks(a, b), 0);
  }
  EXPECT_EQ(inventory.links.p2p(0, 1), P2PLink::kMultiSwitch);
  EXPECT_EQ(inventory.links.p2p(0, 2), P2PLink::kSameCpu);
  EXPECT_EQ(inventory.links.p2p(3, 4), P2PLink::kCrossCpu);
  EXPECT_EQ(inventory.gpus[0].name, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(inventory.gpus[0].memory_mib(), 40960u);
  EXPECT_EQ(inventory.gpus[7].pci_bus_id, "00000000:BD:00.0");
}

TEST(DiscoveryTest, PcieServerWithoutNvLink) {
  SimulatedNode node("pcie-4xt4");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 4u);
  EXPECT_EQ(inventory.links.p2p(0, 1), P2PLink::kSameCpu);
  EXPECT_EQ(inventory.links.p2p(1, 2), P2PLink::kCrossCpu);
  EXPECT_EQ(inventory.links.nvlinks(0, 1), 0);
}

TEST(DiscoveryTest, NoGpus) {
  SimulatedNode node("none");
  Inventory inventory = DiscoverOn(node);
  EXPECT_TRUE(inventory.gpus.empty());
  EXPECT_EQ(inventory.links.size(), 0u);
}

TEST(DiscoveryTest, LostGpuIsLeftOutAndTheRestWork) {
  SimulatedNode node("dgx-a100", "lost 2\n");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 7u);
  ASSERT_EQ(inventory.unreadable.size(), 1u);
  EXPECT_NE(inventory.unreadable[0].find("index 2: nvmlDeviceGetHandleByIndex_v2: GPU is lost"),
            std::string::npos)
      << inventory.unreadable[0];
  EXPECT_EQ(inventory.gpus[2].index, 3u);
  EXPECT_EQ(inventory.links.size(), 7u);
}

TEST(DiscoveryTest, FailingAttributeMarksOnlyThatGpu) {
  SimulatedNode node("dgx-a100", "fail nvmlDeviceGetMemoryInfo UNKNOWN 1\n");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 8u);
  EXPECT_EQ(inventory.gpus[1].problem, "nvmlDeviceGetMemoryInfo: Unknown Error");
  EXPECT_EQ(inventory.gpus[1].name, "NVIDIA A100-SXM4-40GB");  // the rest was still read
  EXPECT_TRUE(inventory.gpus[0].problem.empty());
}

TEST(DiscoveryTest, DisplayGpusAreSkippedAndIndexesKept) {
  testing::TempDir dir;
  std::ofstream(dir / "profile.yaml") << R"(
name: with-display
driver_version: "550.1"
cuda_driver_version: 12040
gpu_defaults: {name: NVIDIA A100-SXM4-80GB, memory_mib: 81920, compute_capability: "8.0"}
gpus:
  - {uuid: GPU-00000000-0000-0000-0000-000000000001, bus_id: "00000000:01:00.0", minor: 0, pcie: [c0, h0]}
  - {uuid: GPU-00000000-0000-0000-0000-000000000002, bus_id: "00000000:02:00.0", minor: 1, pcie: [c0, h0], name: DGX Display, memory_mib: 4096}
  - {uuid: GPU-00000000-0000-0000-0000-000000000003, bus_id: "00000000:03:00.0", minor: 2, pcie: [c0, h1]}
)";
  SimulatedNode node(dir / "profile.yaml");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 2u);
  EXPECT_EQ(inventory.gpus[0].index, 0u);
  EXPECT_EQ(inventory.gpus[1].index, 2u);
  EXPECT_EQ(inventory.gpus[1].numa_node, std::nullopt);  // profile gave none
  EXPECT_EQ(inventory.links.p2p(0, 1), P2PLink::kSameCpu);
}

}  // namespace
}  // namespace nvdp::discovery

namespace nvdp::discovery {
namespace {

TEST(MigDiscoveryTest, ReadsMigDevicesAndTheirProfiles) {
  testing::SimulatedNode node("a100-mig-mixed");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 8u);
  const std::vector<std::string> a100 = {"1g.5gb",  "2g.10gb",   "3g.20gb", "4g.20gb",
                                         "7g.40gb", "1g.5gb+me", "1g.10gb"};
  auto profiles = [&](size_t gpu) {
    std::vector<std::string> names;
    for (const MigDeviceInfo& mig : inventory.gpus[gpu].mig_devices) names.push_back(mig.profile);
    return names;
  };
  for (const GpuInfo& gpu : inventory.gpus) {
    EXPECT_TRUE(gpu.mig_capable);
    EXPECT_EQ(gpu.mig_profiles, a100) << gpu.index;
    EXPECT_EQ(gpu.mig_enabled, gpu.index < 4) << gpu.index;
  }
  EXPECT_EQ(profiles(0), (std::vector<std::string>{"3g.20gb", "2g.10gb", "1g.5gb", "1g.5gb"}));
  EXPECT_EQ(profiles(1), (std::vector<std::string>{"7g.40gb"}));
  EXPECT_EQ(profiles(2),
            (std::vector<std::string>{"2c.4g.20gb", "2c.4g.20gb", "2g.10gb", "1g.5gb"}));
  EXPECT_EQ(profiles(3), (std::vector<std::string>{"1g.5gb+me", "1g.10gb", "1g.10gb", "1g.5gb"}));
  EXPECT_TRUE(profiles(4).empty());

  const MigDeviceInfo& split = inventory.gpus[2].mig_devices[1];
  EXPECT_EQ(split.index, 1u);
  EXPECT_EQ(split.gpu_instance, inventory.gpus[2].mig_devices[0].gpu_instance);
  EXPECT_EQ(split.compute_instance, 1u);
  EXPECT_EQ(split.attributes.gpu_instance_slices, 4u);
  EXPECT_EQ(split.attributes.compute_instance_slices, 2u);
  EXPECT_EQ(split.attributes.memory_mib, 19968u);
  EXPECT_TRUE(split.uuid.starts_with("MIG-"));
  EXPECT_EQ(inventory.gpus[0].mig_devices[2].memory_bytes, 4864ULL << 20);
}

TEST(MigDiscoveryTest, H100ProfileNames) {
  testing::SimulatedNode node("h100-mig");
  Inventory inventory = DiscoverOn(node);
  EXPECT_EQ(inventory.gpus[0].mig_profiles,
            (std::vector<std::string>{"1g.10gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb",
                                      "1g.10gb+me", "1g.20gb"}));
  ASSERT_EQ(inventory.gpus[4].mig_devices.size(), 5u);
  EXPECT_EQ(inventory.gpus[4].mig_devices[1].profile, "1g.10gb+me");
  EXPECT_FALSE(inventory.gpus[7].mig_enabled);
}

TEST(MigDiscoveryTest, NonMigGpusHaveNoMigState) {
  testing::SimulatedNode node("pcie-4xt4");
  Inventory inventory = DiscoverOn(node);
  EXPECT_FALSE(inventory.gpus[0].mig_capable);
  EXPECT_TRUE(inventory.gpus[0].mig_profiles.empty());
}

// Upstream's GFD stops labelling here (docs/compatibility.md); ours calls the GPU not
// MIG-capable and keeps discovering.
TEST(MigDiscoveryTest, AnUnreadableMigModeIsNotMigCapable) {
  testing::SimulatedNode node("dgx-a100", "fail nvmlDeviceGetMigMode UNKNOWN\n");
  Inventory inventory = DiscoverOn(node);
  ASSERT_EQ(inventory.gpus.size(), 8u);
  for (const GpuInfo& gpu : inventory.gpus) {
    EXPECT_FALSE(gpu.mig_capable);
    EXPECT_FALSE(gpu.mig_enabled);
  }
}

TEST(MigDiscoveryTest, AnUnreadableMigDeviceIsLeftOut) {
  testing::SimulatedNode node("a100-mig-single", "fail nvmlDeviceGetAttributes UNKNOWN\n");
  Inventory inventory = DiscoverOn(node);
  EXPECT_TRUE(inventory.gpus[0].mig_devices.empty());
  EXPECT_EQ(inventory.unreadable.size(), 24u);
  EXPECT_NE(inventory.unreadable[0].find("nvmlDeviceGetAttributes_v2: Unknown Error"),
            std::string::npos);
}

// Upstream v0.20 surfaced NVML's error when a MIG device's placement cannot be read (it used to
// fall back to parsing the UUID and report only that). Placement here always comes from NVML,
// and the left-out device names the call and NVML's error.
TEST(MigDiscoveryTest, AnUnreadablePlacementNamesNvmlsError) {
  for (const char* function : {"nvmlDeviceGetGpuInstanceId", "nvmlDeviceGetComputeInstanceId",
                               "nvmlDeviceGetGpuInstanceById"}) {
    SCOPED_TRACE(function);
    testing::SimulatedNode node("a100-mig-single",
                                std::string("fail ") + function + " NO_PERMISSION\n");
    Inventory inventory = DiscoverOn(node);
    EXPECT_TRUE(inventory.gpus[0].mig_devices.empty());
    ASSERT_FALSE(inventory.unreadable.empty());
    EXPECT_NE(inventory.unreadable[0].find(std::string(function) + ": Insufficient Permissions"),
              std::string::npos)
        << inventory.unreadable[0];
  }
}

}  // namespace
}  // namespace nvdp::discovery
