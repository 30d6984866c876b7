#include "plugin/allocate.h"

#include <gtest/gtest.h>

#include "plugin/test_resources.h"

namespace nvdp::plugin {
namespace {

using testing::GpuResource;

TEST(AllocateTest, EnvvarStrategyListsTheRequestedUuids) {
  ContainerAllocation allocation = BuildContainerAllocation(GpuResource(4), {"GPU-2", "GPU-0"}, {});
  EXPECT_EQ(allocation.envs,
            (std::map<std::string, std::string>{{"NVIDIA_VISIBLE_DEVICES", "GPU-2,GPU-0"}}));
}

TEST(AllocateTest, DuplicatesCollapseInFirstSeenOrder) {
  Resource resource = GpuResource(2);
  resource.devices.push_back(resource.devices[0]);
  resource.devices.back().id = "GPU-0::1";
  ContainerAllocation allocation =
      BuildContainerAllocation(resource, {"GPU-1", "GPU-0::1", "GPU-1", "GPU-0"}, {});
  EXPECT_EQ(allocation.envs.at("NVIDIA_VISIBLE_DEVICES"), "GPU-1,GPU-0");
}

TEST(AllocateTest, IndexStrategyUsesNvmlIndexes) {
  AllocateOptions options;
  options.id_strategy = DeviceIdStrategy::kIndex;
  ContainerAllocation allocation =
      BuildContainerAllocation(GpuResource(4), {"GPU-3", "GPU-1"}, options);
  EXPECT_EQ(allocation.envs.at("NVIDIA_VISIBLE_DEVICES"), "3,1");
}

TEST(AllocateTest, UnknownDeviceIsARequestErrorNamingIt) {
  try {
    BuildContainerAllocation(GpuResource(2), {"GPU-0", "GPU-9"}, {});
    FAIL() << "expected RequestError";
  } catch (const RequestError& error) {
    EXPECT_STREQ(error.what(),
                 "invalid allocation request for \"nvidia.com/gpu\": invalid request: unknown "
                 "device: GPU-9");
  }
}

TEST(AllocateTest, EmptyRequestIsRefused) {
  EXPECT_THROW(BuildContainerAllocation(GpuResource(2), {}, {}), RequestError);
}

TEST(AllocateTest, StripsReplicaSuffixes) {
  EXPECT_EQ(StripReplicaSuffix("GPU-a::3"), "GPU-a");
  EXPECT_EQ(StripReplicaSuffix("MIG-b"), "MIG-b");
}

}  // namespace
}  // namespace nvdp::plugin
