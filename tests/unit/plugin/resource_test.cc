#include "plugin/resource.h"

#include <gtest/gtest.h>

namespace nvdp::plugin {
namespace {

TEST(ResourceTest, SocketNames) {
  EXPECT_EQ(SocketName("nvidia.com/gpu"), "nvidia-gpu.sock");
  EXPECT_EQ(SocketName("nvidia.com/gpu.shared"), "nvidia-gpu.shared.sock");
  EXPECT_EQ(SocketName("nvidia.com/mig-1g.5gb"), "nvidia-mig-1g.5gb.sock");
}

TEST(ResourceTest, FullGpusBecomeNvidiaComGpu) {
  device::Inventory inventory;
  for (unsigned i : {0u, 2u}) {
    device::GpuInfo gpu;
    gpu.index = i;
    gpu.uuid = "GPU-" + std::to_string(i);
    gpu.minor = i + 10;
    gpu.numa_node = i == 0 ? std::optional<int>(1) : std::nullopt;
    inventory.gpus.push_back(gpu);
  }
  std::vector<Resource> resources = BuildResources(inventory);
  ASSERT_EQ(resources.size(), 1u);
  EXPECT_EQ(resources[0].name, "nvidia.com/gpu");
  ASSERT_EQ(resources[0].devices.size(), 2u);
  const AllocatableDevice& second = resources[0].devices[1];
  EXPECT_EQ(second.id, "GPU-2");
  EXPECT_EQ(second.gpu_uuid, "GPU-2");
  EXPECT_EQ(second.index, "2");
  EXPECT_EQ(second.paths, std::vector<std::string>{"/dev/nvidia12"});
  EXPECT_EQ(second.numa_node, std::nullopt);
  EXPECT_EQ(second.gpu_position, 1u);
  EXPECT_EQ(resources[0].devices[0].numa_node, 1);
  EXPECT_EQ(resources[0].Find("GPU-2"), &second);
  EXPECT_EQ(resources[0].Find("GPU-9"), nullptr);
}

TEST(ResourceTest, NoGpusNoResources) { EXPECT_TRUE(BuildResources(device::Inventory{}).empty()); }

}  // namespace
}  // namespace nvdp::plugin
