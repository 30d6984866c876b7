// CDI specs built from simulated nodes: device names per id strategy, MIG capability nodes, the
// driver's files as common edits, hooks, host path rewriting, IMEX and mode specs.
#include "cdi/generate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "discovery/discovery.h"
#include "discovery/sysfs.h"
#include "sim_node.h"

namespace nvdp::cdi {
namespace {

device::Inventory Inventory(testing::SimulatedNode& node) {
  nvml::Session session(node.nvml());
  discovery::DiscoveryOptions options;
  options.sysfs_roots = {testing::SimRoot() + "/sys"};
  return discovery::Discover(node.nvml(), options);
}

GpuSpecSettings SimSettings(const std::string& host_root = "/") {
  GpuSpecSettings settings;
  settings.roots = Roots::Resolve(testing::SimRoot(), host_root, "");
  return settings;
}

std::vector<std::string> Names(const Spec& spec) {
  std::vector<std::string> names;
  for (const Device& device : spec.devices) names.push_back(device.name);
  return names;
}

TEST(CdiRootsTest, DevRootIsTheDriverRootWhenItHasDev) {
  testing::TempDir with_dev, without_dev;
  std::filesystem::create_directories(with_dev / "dev");
  Roots a = Roots::Resolve(with_dev.path().string(), "/run/nvidia/driver", "");
  EXPECT_EQ(a.dev_root, with_dev.path().string());
  EXPECT_EQ(a.host_dev_root, "/run/nvidia/driver");  // nvidiaDevRoot defaults to the driver root
  EXPECT_EQ(a.HostFile("/usr/bin/nvidia-smi"), "/run/nvidia/driver/usr/bin/nvidia-smi");
  EXPECT_EQ(a.HostDevice("/dev/nvidia0"), "/run/nvidia/driver/dev/nvidia0");
  Roots b = Roots::Resolve(without_dev.path().string(), "/run/nvidia/driver/", "/");
  EXPECT_EQ(b.dev_root, "/");
  EXPECT_EQ(b.HostDevice("/dev/nvidia0"), "/dev/nvidia0");
  EXPECT_EQ(b.LocalDevice("/dev/nvidia0"), "/dev/nvidia0");
  EXPECT_EQ(Roots::Resolve("/", "/", "/").HostFile("/usr/lib/x.so"), "/usr/lib/x.so");
}

TEST(CdiHookTest, NvidiaCtkTakesHooksUnderItsHookCommand) {
  EXPECT_EQ(HookArgs("/usr/bin/nvidia-ctk", "update-ldcache"),
            (std::vector<std::string>{"nvidia-ctk", "hook", "update-ldcache"}));
  EXPECT_EQ(HookArgs("/usr/local/nvidia/toolkit/nvidia-cdi-hook", "update-ldcache"),
            (std::vector<std::string>{"nvidia-cdi-hook", "update-ldcache"}));
}

TEST(CdiGpuSpecTest, OneDevicePerGpuByUuidPlusAll) {
  testing::SimulatedNode node("dgx-a100");
  const device::Inventory inventory = Inventory(node);
  Spec spec = GpuSpec(inventory, std::nullopt, SimSettings());
  EXPECT_EQ(spec.kind, "k8s.device-plugin.nvidia.com/gpu");
  ASSERT_EQ(spec.devices.size(), inventory.gpus.size() + 1);
  for (size_t i = 0; i < inventory.gpus.size(); ++i) {
    EXPECT_EQ(spec.devices[i].name, inventory.gpus[i].uuid);
    const std::string path = "/dev/nvidia" + std::to_string(inventory.gpus[i].minor);
    EXPECT_EQ(spec.devices[i].edits.device_nodes, (std::vector<DeviceNode>{{path, path}}));
  }
  EXPECT_EQ(spec.devices.back().name, "all");
  EXPECT_EQ(spec.devices.back().edits.device_nodes.size(), inventory.gpus.size());
}

TEST(CdiGpuSpecTest, CommonEditsCarryTheDriverOfThisVersion) {
  testing::SimulatedNode node("dgx-a100");
  const device::Inventory inventory = Inventory(node);
  GpuSpecSettings settings = SimSettings("/run/nvidia/driver");
  Spec spec = GpuSpec(inventory, std::nullopt, settings);
  const ContainerEdits& edits = spec.edits;
  EXPECT_EQ(edits.env, (std::vector<std::string>{"NVIDIA_VISIBLE_DEVICES=void"}));
  ASSERT_EQ(edits.device_nodes.size(), 4u);
  EXPECT_EQ(edits.device_nodes[0],
            (DeviceNode{"/dev/nvidiactl", "/run/nvidia/driver/dev/nvidiactl"}));
  bool libcuda = false;
  for (const Mount& mount : edits.mounts) {
    EXPECT_EQ(mount.host_path, "/run/nvidia/driver" + mount.container_path);
    EXPECT_EQ(mount.container_path.find("535.183.01"), std::string::npos) << mount.container_path;
    libcuda = libcuda || mount.container_path.ends_with("/libcuda.so." + inventory.driver_version);
  }
  EXPECT_TRUE(libcuda);
  // Sockets writable (clients connect, also from nested containers), files read-only; both
  // recursive private binds, as NVIDIA's container toolkit mounts them.
  ASSERT_EQ(edits.mounts[0].container_path, "/run/nvidia-persistenced/socket");
  EXPECT_EQ(edits.mounts[0].options,
            (std::vector<std::string>{"nosuid", "nodev", "rbind", "rprivate", "noexec"}));
  EXPECT_EQ(edits.mounts[1].options,
            (std::vector<std::string>{"ro", "nosuid", "nodev", "rbind", "rprivate"}));
  std::vector<std::string> hooks;
  for (const Hook& hook : edits.hooks) {
    EXPECT_EQ(hook.hook_name, "createContainer");
    EXPECT_EQ(hook.path, "/usr/bin/nvidia-ctk");
    EXPECT_EQ(hook.env, (std::vector<std::string>{"NVIDIA_CTK_DEBUG=false"}));
    hooks.push_back(hook.args.at(2));
  }
  EXPECT_EQ(hooks,
            (std::vector<std::string>{"create-symlinks", "enable-cuda-compat", "update-ldcache",
                                      "disable-device-node-modification"}));
  const std::string libdir =
      edits.mounts[1].container_path.substr(0, edits.mounts[1].container_path.rfind('/'));
  EXPECT_EQ(edits.hooks[0].args,
            (std::vector<std::string>{"nvidia-ctk", "hook", "create-symlinks", "--link",
                                      "libcuda.so.1::" + libdir + "/libcuda.so"}));
  EXPECT_EQ(edits.hooks[1].args.back(), "--host-driver-version=" + inventory.driver_version);
  EXPECT_EQ(edits.hooks[2].args,
            (std::vector<std::string>{"nvidia-ctk", "hook", "update-ldcache", "--folder", libdir}));
}

// --cdi-disable-hooks (upstream v0.20): the named hooks go, "all" takes every one.
TEST(CdiGpuSpecTest, DisabledHooksAreLeftOut) {
  testing::SimulatedNode node("dgx-a100");
  const device::Inventory inventory = Inventory(node);
  GpuSpecSettings settings = SimSettings();
  settings.disabled_hooks = {"disable-device-node-modification", "update-ldcache"};
  std::vector<std::string> hooks;
  for (const Hook& hook : GpuSpec(inventory, std::nullopt, settings).edits.hooks) {
    hooks.push_back(hook.args.at(2));
  }
  EXPECT_EQ(hooks, (std::vector<std::string>{"create-symlinks", "enable-cuda-compat"}));
  settings.disabled_hooks = {"all"};
  EXPECT_TRUE(GpuSpec(inventory, std::nullopt, settings).edits.hooks.empty());
  EXPECT_TRUE(IsKnownHook("update-ldcache"));
  EXPECT_FALSE(IsKnownHook("chmod"));
}

TEST(CdiGpuSpecTest, IndexNamesAndMigDevicesWithTheirCapabilityNodes) {
  testing::SimulatedNode node("a100-mig-mixed");
  const device::Inventory inventory = Inventory(node);
  auto caps = discovery::LoadMigCaps({testing::SimRoot()});
  ASSERT_TRUE(caps);
  GpuSpecSettings settings = SimSettings();
  settings.index_names = true;
  Spec spec = GpuSpec(inventory, caps, settings);
  size_t expected = 1;
  for (const device::GpuInfo& gpu : inventory.gpus) expected += 1 + gpu.mig_devices.size();
  ASSERT_EQ(spec.devices.size(), expected);
  const std::vector<std::string> names = Names(spec);
  const device::GpuInfo& gpu0 = inventory.gpus[0];
  ASSERT_FALSE(gpu0.mig_devices.empty());
  const device::MigDeviceInfo& mig = gpu0.mig_devices[0];
  const std::string name = "0:" + std::to_string(mig.index);
  auto it = std::find(names.begin(), names.end(), name);
  ASSERT_NE(it, names.end());
  const Device& device = spec.devices[static_cast<size_t>(it - names.begin())];
  ASSERT_EQ(device.edits.device_nodes.size(), 3u);
  EXPECT_EQ(device.edits.device_nodes[0].path, "/dev/nvidia" + std::to_string(gpu0.minor));
  EXPECT_EQ(device.edits.device_nodes[1].path,
            *caps->GpuInstancePath(gpu0.minor, mig.gpu_instance));
  EXPECT_EQ(device.edits.device_nodes[2].path,
            *caps->ComputeInstancePath(gpu0.minor, mig.gpu_instance, mig.compute_instance));
}

TEST(CdiGpuSpecTest, MigDevicesWithoutCapabilitiesAreAnError) {
  testing::SimulatedNode node("a100-mig-mixed");
  EXPECT_THROW(GpuSpec(Inventory(node), std::nullopt, SimSettings()), GenerateError);
}

TEST(CdiImexSpecTest, OneDevicePerChannel) {
  Roots roots = Roots::Resolve("/", "/", "/host");
  Spec spec = ImexChannelSpec({"0"}, roots);
  EXPECT_EQ(spec.kind, "k8s.device-plugin.nvidia.com/imex-channel");
  ASSERT_EQ(spec.devices.size(), 1u);
  EXPECT_EQ(spec.devices[0].name, "0");
  EXPECT_EQ(spec.devices[0].edits.device_nodes,
            (std::vector<DeviceNode>{{"/dev/nvidia-caps-imex-channels/channel0",
                                      "/host/dev/nvidia-caps-imex-channels/channel0"}}));
}

TEST(CdiModeSpecTest, OnlyWhatExists) {
  testing::TempDir root;
  std::filesystem::create_directories(root / "dev/infiniband");
  std::ofstream(root / "dev/gdrdrv");
  std::ofstream(root / "dev/infiniband/uverbs0");
  std::ofstream(root / "dev/infiniband/uverbs1");
  Roots roots = Roots::Resolve(root.path().string(), "/", "/");
  std::optional<Spec> gdrcopy = ModeSpec("gdrcopy", roots);
  ASSERT_TRUE(gdrcopy);
  EXPECT_EQ(gdrcopy->kind, "k8s.device-plugin.nvidia.com/gdrcopy");
  ASSERT_EQ(gdrcopy->devices.size(), 1u);
  EXPECT_EQ(gdrcopy->devices[0].name, "all");
  EXPECT_EQ(gdrcopy->devices[0].edits.device_nodes,
            (std::vector<DeviceNode>{{"/dev/gdrdrv", "/dev/gdrdrv"}}));
  std::optional<Spec> mofed = ModeSpec("mofed", roots);
  ASSERT_TRUE(mofed);
  EXPECT_EQ(mofed->devices[0].edits.device_nodes.size(), 2u);
  EXPECT_FALSE(ModeSpec("gds", roots));  // no /dev/nvidia-fs*: dropped
  EXPECT_THROW(ModeSpec("nvlink", roots), GenerateError);
}

TEST(CdiModeSpecTest, GdsMountsItsConfigurationOnlyWithItsDevices) {
  testing::TempDir root;
  std::filesystem::create_directories(root / "dev");
  std::filesystem::create_directories(root / "etc");
  std::ofstream(root / "etc/cufile.json") << "{}";
  Roots roots = Roots::Resolve(root.path().string(), "/run/nvidia/driver", "/");
  EXPECT_FALSE(ModeSpec("gds", roots));  // the file alone is no GDS
  std::ofstream(root / "dev/nvidia-fs0");
  std::ofstream(root / "dev/nvidia-fs1");
  std::optional<Spec> gds = ModeSpec("gds", roots);
  ASSERT_TRUE(gds);
  const ContainerEdits& edits = gds->devices.at(0).edits;
  EXPECT_EQ(edits.device_nodes, (std::vector<DeviceNode>{{"/dev/nvidia-fs0", "/dev/nvidia-fs0"},
                                                         {"/dev/nvidia-fs1", "/dev/nvidia-fs1"}}));
  ASSERT_EQ(edits.mounts.size(), 1u);  // no /run/udev under this root
  EXPECT_EQ(edits.mounts[0].container_path, "/etc/cufile.json");
  EXPECT_EQ(edits.mounts[0].host_path, "/run/nvidia/driver/etc/cufile.json");
}

}  // namespace
}  // namespace nvdp::cdi
