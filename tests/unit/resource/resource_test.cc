// Which devices go to which resource (spec §3), on hand-built inventories.
#include "resource/resource.h"

#include <gtest/gtest.h>

namespace nvdp::resource {
namespace {

using device::GpuInfo;
using device::Inventory;
using device::MigDeviceInfo;

GpuInfo Gpu(unsigned index, bool mig_enabled = false) {
  GpuInfo gpu;
  gpu.index = index;
  gpu.uuid = "GPU-" + std::to_string(index);
  gpu.name = "NVIDIA A100-SXM4-40GB";
  gpu.minor = index;
  gpu.numa_node = static_cast<int>(index / 2);
  gpu.mig_capable = true;
  gpu.mig_enabled = mig_enabled;
  gpu.mig_profiles = {"1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb", "1g.5gb+me"};
  return gpu;
}

MigDeviceInfo Mig(const GpuInfo& gpu, unsigned slot, const std::string& profile, unsigned gi = 1,
                  unsigned ci = 0) {
  MigDeviceInfo mig;
  mig.uuid = "MIG-" + std::to_string(gpu.index) + "-" + std::to_string(slot);
  mig.index = slot;
  mig.gpu_instance = gi;
  mig.compute_instance = ci;
  mig.profile = profile;
  mig.attributes.gpu_instance_slices = profile[0] - '0';
  mig.attributes.memory_mib = 4864ULL * static_cast<unsigned>(profile[0] - '0');
  return mig;
}

std::map<std::string, std::vector<std::string>> Ids(const std::vector<Resource>& resources) {
  std::map<std::string, std::vector<std::string>> ids;
  for (const Resource& r : resources) {
    for (const AllocatableDevice& d : r.devices) ids[r.name].push_back(d.id);
  }
  return ids;
}

config::MigStrategy Strategy(const std::string& name) { return *config::ParseMigStrategy(name); }

ResourceSettings Settings(const std::string& strategy, const Inventory& inventory) {
  ResourceSettings settings;
  settings.mig_strategy = Strategy(strategy);
  settings.rules = DefaultResourceRules(Strategy(strategy), inventory);
  return settings;
}

std::string ErrorOf(const Inventory& inventory, const ResourceSettings& settings) {
  try {
    BuildResources(inventory, settings);
  } catch (const ResourceError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(ResourceTest, DefaultRules) {
  Inventory inventory;
  inventory.gpus = {Gpu(0), Gpu(1)};
  inventory.gpus[1].mig_profiles = {"1g.5gb", "4g.20gb", "1g.10gb+me"};
  config::Resources none = DefaultResourceRules(Strategy("none"), inventory);
  ASSERT_EQ(none.gpus.size(), 1u);
  EXPECT_EQ(none.gpus[0].pattern, "*");
  EXPECT_EQ(none.gpus[0].name, "nvidia.com/gpu");
  EXPECT_TRUE(none.mig.empty());
  config::Resources single = DefaultResourceRules(Strategy("single"), inventory);
  ASSERT_EQ(single.mig.size(), 1u);
  EXPECT_EQ(single.mig[0].name, "nvidia.com/gpu");
  config::Resources mixed = DefaultResourceRules(Strategy("mixed"), inventory);
  std::vector<std::pair<std::string, std::string>> rules;
  for (const auto& rule : mixed.mig) rules.emplace_back(rule.pattern, rule.name);
  EXPECT_EQ(rules, (std::vector<std::pair<std::string, std::string>>{
                       {"1g.5gb", "nvidia.com/mig-1g.5gb"},
                       {"2g.10gb", "nvidia.com/mig-2g.10gb"},
                       {"3g.20gb", "nvidia.com/mig-3g.20gb"},
                       {"7g.40gb", "nvidia.com/mig-7g.40gb"},
                       {"1g.5gb+me", "nvidia.com/mig-1g.5gb.me"},
                       {"4g.20gb", "nvidia.com/mig-4g.20gb"},
                       {"1g.10gb+me", "nvidia.com/mig-1g.10gb.me"}}));
}

TEST(ResourceTest, NoneAdvertisesMigEnabledGpusWhole) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true), Gpu(2)};
  inventory.gpus[0].mig_devices = {Mig(inventory.gpus[0], 0, "1g.5gb")};
  auto resources = BuildResources(inventory, Settings("none", inventory));
  EXPECT_EQ(
      Ids(resources),
      (std::map<std::string, std::vector<std::string>>{{"nvidia.com/gpu", {"GPU-0", "GPU-2"}}}));
  const AllocatableDevice& second = resources[0].devices[1];
  EXPECT_EQ(second.index, "2");
  EXPECT_EQ(second.paths, std::vector<std::string>{"/dev/nvidia2"});
  EXPECT_EQ(second.numa_node, 1);
  EXPECT_EQ(second.gpu_position, 1u);
}

TEST(ResourceTest, GpuNamesMustMatchARule) {
  Inventory inventory;
  inventory.gpus = {Gpu(0)};
  ResourceSettings settings = Settings("none", inventory);
  settings.rules.gpus = {{"*H100*", "nvidia.com/h100"}};
  EXPECT_EQ(ErrorOf(inventory, settings),
            "GPU name 'NVIDIA A100-SXM4-40GB' does not match any resource patterns");
}

TEST(ResourceTest, SingleTurnsMigDevicesIntoGpus) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true), Gpu(1, true)};
  inventory.gpus[0].mig_devices = {Mig(inventory.gpus[0], 0, "2g.10gb"),
                                   Mig(inventory.gpus[0], 1, "2g.10gb", 2)};
  inventory.gpus[1].mig_devices = {Mig(inventory.gpus[1], 0, "2g.10gb")};
  auto resources = BuildResources(inventory, Settings("single", inventory));
  EXPECT_EQ(Ids(resources), (std::map<std::string, std::vector<std::string>>{
                                {"nvidia.com/gpu", {"MIG-0-0", "MIG-0-1", "MIG-1-0"}}}));
  EXPECT_EQ(resources[0].devices[1].index, "0:1");
  EXPECT_EQ(resources[0].devices[1].gpu_uuid, "GPU-0");
  EXPECT_TRUE(resources[0].devices[1].mig);
}

TEST(ResourceTest, SingleRejectsWhatIsNotUniform) {
  Inventory no_devices;
  no_devices.gpus = {Gpu(0, true)};
  EXPECT_EQ(ErrorOf(no_devices, Settings("single", no_devices)),
            "device 0 has no MIG devices configured");

  Inventory two_types;
  two_types.gpus = {Gpu(0, true)};
  two_types.gpus[0].mig_devices = {Mig(two_types.gpus[0], 0, "1g.5gb"),
                                   Mig(two_types.gpus[0], 1, "2g.10gb", 2)};
  EXPECT_EQ(ErrorOf(two_types, Settings("single", two_types)),
            "more than one MIG device type present on node");

  Inventory mixed_modes;
  mixed_modes.gpus = {Gpu(0, true), Gpu(1)};
  mixed_modes.gpus[0].mig_devices = {Mig(mixed_modes.gpus[0], 0, "1g.5gb")};
  EXPECT_EQ(ErrorOf(mixed_modes, Settings("single", mixed_modes)),
            "all devices on the node must be configured with the same migEnabled value");

  Inventory all_off;
  all_off.gpus = {Gpu(0), Gpu(1)};
  EXPECT_EQ(Ids(BuildResources(all_off, Settings("single", all_off))).at("nvidia.com/gpu").size(),
            2u);
}

TEST(ResourceTest, MixedGivesOneResourcePerProfileWithUpstreamsSubstringMatching) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true), Gpu(1), Gpu(2, true)};
  GpuInfo& a = inventory.gpus[0];
  a.mig_devices = {Mig(a, 0, "3g.20gb"), Mig(a, 1, "1g.5gb", 2), Mig(a, 2, "1g.5gb+me", 3),
                   Mig(a, 3, "1c.2g.10gb", 4)};
  inventory.gpus[2].mig_devices = {};  // MIG enabled, nothing configured: only a warning
  auto ids = Ids(BuildResources(inventory, Settings("mixed", inventory)));
  EXPECT_EQ(ids,
            (std::map<std::string, std::vector<std::string>>{
                {"nvidia.com/gpu", {"GPU-1"}},
                {"nvidia.com/mig-1g.5gb", {"MIG-0-1", "MIG-0-2"}},  // "+me" matches 1g.5gb first
                {"nvidia.com/mig-2g.10gb", {"MIG-0-3"}},            // 1c.2g.10gb contains 2g.10gb
                {"nvidia.com/mig-3g.20gb", {"MIG-0-0"}}}));
}

// --resource-pattern-matching=anchored, as upstream v0.20: each profile takes its own rule, and
// a compute-instance profile that has none stops the start.
TEST(ResourceTest, AnchoredPatternsGiveEveryProfileItsOwnResource) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true), Gpu(1)};
  GpuInfo& a = inventory.gpus[0];
  a.mig_devices = {Mig(a, 0, "3g.20gb"), Mig(a, 1, "1g.5gb", 2), Mig(a, 2, "1g.5gb+me", 3)};
  ResourceSettings settings = Settings("mixed", inventory);
  settings.pattern_matching = config::PatternMatching::kAnchored;
  EXPECT_EQ(
      Ids(BuildResources(inventory, settings)),
      (std::map<std::string, std::vector<std::string>>{{"nvidia.com/gpu", {"GPU-1"}},
                                                       {"nvidia.com/mig-1g.5gb", {"MIG-0-1"}},
                                                       {"nvidia.com/mig-1g.5gb.me", {"MIG-0-2"}},
                                                       {"nvidia.com/mig-3g.20gb", {"MIG-0-0"}}}));
  a.mig_devices.push_back(Mig(a, 3, "1c.2g.10gb", 4));
  EXPECT_EQ(ErrorOf(inventory, settings),
            "MIG profile '1c.2g.10gb' does not match any resource patterns");
}

// Spec §3.4: a Tegra node's one device "tegra", index 0, no device nodes; replicas as anywhere.
TEST(ResourceTest, TegraIsOneDeviceWithoutNodes) {
  Inventory inventory;  // as discovery::TegraInventory() makes it
  inventory.tegra = true;
  inventory.gpus.resize(1);
  inventory.gpus[0].uuid = inventory.gpus[0].name = "tegra";
  auto resources = BuildResources(inventory, Settings("none", inventory));
  ASSERT_EQ(resources.size(), 1u);
  EXPECT_EQ(resources[0].name, "nvidia.com/gpu");
  ASSERT_EQ(resources[0].devices.size(), 1u);
  const AllocatableDevice& device = resources[0].devices[0];
  EXPECT_EQ(device.id, "tegra");
  EXPECT_EQ(device.index, "0");
  EXPECT_TRUE(device.paths.empty());
  EXPECT_TRUE(device.integrated);
}

TEST(ResourceTest, MixedProfileWithoutARuleIsAnError) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true)};
  inventory.gpus[0].mig_devices = {Mig(inventory.gpus[0], 0, "4g.20gb")};
  EXPECT_EQ(ErrorOf(inventory, Settings("mixed", inventory)),
            "MIG profile '4g.20gb' does not match any resource patterns");
}

TEST(ResourceTest, MigDevicesCarryTheirCapabilityNodes) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true), Gpu(3, true)};
  inventory.gpus[1].mig_devices = {Mig(inventory.gpus[1], 0, "1g.5gb", 2, 0)};
  device::MigCaps caps = device::MigCaps::Parse("gpu3/gi2/access 30\ngpu3/gi2/ci0/access 31\n");
  inventory.gpus[0].mig_enabled = false;
  ResourceSettings settings = Settings("mixed", inventory);
  settings.mig_caps = &caps;
  auto resources = BuildResources(inventory, settings);
  const Resource& mig = resources[1];
  ASSERT_EQ(mig.name, "nvidia.com/mig-1g.5gb");
  EXPECT_EQ(mig.devices[0].paths,
            (std::vector<std::string>{"/dev/nvidia3", "/dev/nvidia-caps/nvidia-cap30",
                                      "/dev/nvidia-caps/nvidia-cap31"}));
  inventory.gpus[1].mig_devices[0].gpu_instance = 9;
  EXPECT_NE(ErrorOf(inventory, settings).find("no MIG capability device for GPU instance 9"),
            std::string::npos);
}

TEST(ResourceTest, ReplicasAndRenames) {
  Inventory inventory;
  inventory.gpus = {Gpu(0), Gpu(1)};
  config::ReplicatedResources shared;
  shared.resources.push_back({"nvidia.com/gpu", std::nullopt, {}, 3});
  ResourceSettings settings = Settings("none", inventory);
  settings.replicated = &shared;
  auto resources = BuildResources(inventory, settings);
  EXPECT_EQ(Ids(resources),
            (std::map<std::string, std::vector<std::string>>{
                {"nvidia.com/gpu",
                 {"GPU-0::0", "GPU-0::1", "GPU-0::2", "GPU-1::0", "GPU-1::1", "GPU-1::2"}}}));
  EXPECT_EQ(resources[0].devices[4].gpu_uuid, "GPU-1");
  EXPECT_EQ(resources[0].devices[4].index, "1");
  EXPECT_EQ(resources[0].devices[4].replicas, 3);

  shared.resources[0].rename = "nvidia.com/gpu.shared";
  auto renamed = Ids(BuildResources(inventory, settings));
  EXPECT_EQ(renamed.count("nvidia.com/gpu"), 0u);
  EXPECT_EQ(renamed.at("nvidia.com/gpu.shared").size(), 6u);
}

TEST(ResourceTest, ReplicasOfMigResourcesAndOfMissingResources) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true), Gpu(1)};
  inventory.gpus[0].mig_devices = {Mig(inventory.gpus[0], 0, "1g.5gb")};
  config::ReplicatedResources shared;
  shared.resources.push_back({"nvidia.com/mig-1g.5gb", std::nullopt, {}, 2});
  shared.resources.push_back({"nvidia.com/mig-7g.40gb", std::nullopt, {}, 2});  // no devices
  ResourceSettings settings = Settings("mixed", inventory);
  settings.replicated = &shared;
  EXPECT_EQ(
      Ids(BuildResources(inventory, settings)),
      (std::map<std::string, std::vector<std::string>>{
          {"nvidia.com/gpu", {"GPU-1"}}, {"nvidia.com/mig-1g.5gb", {"MIG-0-0::0", "MIG-0-0::1"}}}));
}

TEST(ResourceTest, AdvertisedDevicesAreBounded) {
  Inventory inventory;
  for (unsigned i = 0; i < 8; ++i) inventory.gpus.push_back(Gpu(i));
  config::ReplicatedResources shared;
  shared.resources.push_back({"nvidia.com/gpu", std::nullopt, {}, 2048});
  ResourceSettings settings = Settings("none", inventory);
  settings.replicated = &shared;
  EXPECT_EQ(BuildResources(inventory, settings)[0].devices.size(), kMaxAdvertisedDevices);
  shared.resources[0].replicas = 2049;
  EXPECT_EQ(ErrorOf(inventory, settings),
            "'nvidia.com/gpu' would advertise 16392 devices (8 x 2049 replicas); the limit is "
            "16384 per resource");
}

config::ReplicatedDevices Listed(std::vector<std::string> references) {
  return {config::ReplicatedDevices::Kind::kList, 0, std::move(references)};
}

// --sharing-per-device: an entry replicates only the devices it names, with its own count and
// name; what no entry names stays under the resource, unshared.
TEST(ResourceTest, PerDeviceEntriesReplicateTheirOwnDevices) {
  Inventory inventory;
  for (unsigned i = 0; i < 5; ++i) inventory.gpus.push_back(Gpu(i));
  config::ReplicatedResources shared;
  shared.resources.push_back({"nvidia.com/gpu", std::nullopt, Listed({"0", "GPU-3"}), 2});
  shared.resources.push_back({"nvidia.com/gpu", "nvidia.com/gpu.big", Listed({"1"}), 4});
  ResourceSettings settings = Settings("none", inventory);
  settings.replicated = &shared;
  auto resources = BuildResources(inventory, settings);
  EXPECT_EQ(
      Ids(resources),
      (std::map<std::string, std::vector<std::string>>{
          {"nvidia.com/gpu", {"GPU-0::0", "GPU-0::1", "GPU-3::0", "GPU-3::1", "GPU-2", "GPU-4"}},
          {"nvidia.com/gpu.big", {"GPU-1::0", "GPU-1::1", "GPU-1::2", "GPU-1::3"}}}));
  EXPECT_EQ(resources[0].devices[0].replicas, 2);
  EXPECT_EQ(resources[0].devices[4].replicas, 0);
  EXPECT_EQ(resources[1].devices[0].replicas, 4);

  // A count takes the first devices no earlier entry took, in NVML order.
  shared.resources[1].devices = {config::ReplicatedDevices::Kind::kCount, 2, {}};
  EXPECT_EQ(Ids(BuildResources(inventory, settings)).at("nvidia.com/gpu.big"),
            (std::vector<std::string>{"GPU-1::0", "GPU-1::1", "GPU-1::2", "GPU-1::3", "GPU-2::0",
                                      "GPU-2::1", "GPU-2::2", "GPU-2::3"}));
  shared.resources[1].devices.count = 4;
  EXPECT_EQ(ErrorOf(inventory, settings),
            "unable to get IDs of devices to replicate for 'nvidia.com/gpu' resource: requested 4 "
            "devices to be replicated, but only 3 devices available");
}

TEST(ResourceTest, PerDeviceReferencesMustNameOneDeviceOnce) {
  Inventory inventory;
  inventory.gpus = {Gpu(0, true), Gpu(1)};
  inventory.gpus[0].mig_devices = {Mig(inventory.gpus[0], 0, "1g.5gb"),
                                   Mig(inventory.gpus[0], 1, "1g.5gb", 2)};
  config::ReplicatedResources shared;
  shared.resources.push_back({"nvidia.com/mig-1g.5gb", std::nullopt, Listed({"0:1"}), 3});
  ResourceSettings settings = Settings("mixed", inventory);
  settings.replicated = &shared;
  EXPECT_EQ(Ids(BuildResources(inventory, settings)).at("nvidia.com/mig-1g.5gb"),
            (std::vector<std::string>{"MIG-0-1::0", "MIG-0-1::1", "MIG-0-1::2", "MIG-0-0"}));
  shared.resources[0].devices = Listed({"MIG-0-1", "0:1"});
  EXPECT_EQ(ErrorOf(inventory, settings),
            "device 0:1 of 'nvidia.com/mig-1g.5gb' is listed by more than one sharing entry");
  shared.resources[0].devices = Listed({"7"});
  EXPECT_EQ(ErrorOf(inventory, settings),
            "unable to get IDs of devices to replicate for 'nvidia.com/mig-1g.5gb' resource: no "
            "matching device at index: 7");
  shared.resources[0].devices = Listed({"MIG-9-9"});
  EXPECT_EQ(ErrorOf(inventory, settings),
            "unable to get IDs of devices to replicate for 'nvidia.com/mig-1g.5gb' resource: no "
            "matching device with UUID: MIG-9-9");
}

TEST(ResourceTest, PerDeviceSharingUsesTheConfigsResourcePatterns) {
  Inventory inventory;
  inventory.gpus = {Gpu(0), Gpu(1)};
  inventory.gpus[1].name = "NVIDIA H100 80GB HBM3";
  config::Config config;
  config.resources.gpus = {{"*H100*", "nvidia.com/h100"}, {"*", "nvidia.com/gpu"}};
  EXPECT_EQ(ResourceRules(Strategy("none"), inventory, config).gpus.size(), 1u);  // ignored
  config.sharing.per_device = true;
  ResourceSettings settings = Settings("none", inventory);
  settings.rules = ResourceRules(Strategy("none"), inventory, config);
  EXPECT_EQ(Ids(BuildResources(inventory, settings)),
            (std::map<std::string, std::vector<std::string>>{{"nvidia.com/gpu", {"GPU-0"}},
                                                             {"nvidia.com/h100", {"GPU-1"}}}));
}

TEST(ResourceTest, NoGpusNoResources) {
  Inventory empty;
  EXPECT_TRUE(BuildResources(empty, Settings("none", empty)).empty());
}

}  // namespace
}  // namespace nvdp::resource
