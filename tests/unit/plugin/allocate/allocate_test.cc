#include "plugin/allocate/allocate.h"

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

// A 3.9 MiB device ID used to become one 3.9 MiB log line and gRPC message.
TEST(AllocateTest, AHugeUnknownIdIsShownShortened) {
  try {
    BuildContainerAllocation(GpuResource(2), {"GPU-" + std::string(3900000, 'f') + "\n"}, {});
    FAIL() << "expected RequestError";
  } catch (const RequestError& error) {
    const std::string message = error.what();
    EXPECT_LT(message.size(), 250u);
    EXPECT_NE(message.find("unknown device: GPU-ffff"), std::string::npos);
    EXPECT_NE(message.find("(3900005 bytes)"), std::string::npos);
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(AllocateTest, EmptyRequestIsRefused) {
  EXPECT_THROW(BuildContainerAllocation(GpuResource(2), {}, {}), RequestError);
}

TEST(AllocateTest, JoinRoot) {
  EXPECT_EQ(JoinRoot("/", "/dev/nvidia0"), "/dev/nvidia0");
  EXPECT_EQ(JoinRoot("/host/", "/dev/nvidia0"), "/host/dev/nvidia0");
}

Resource WithReplicas(int gpus, int replicas) {
  Resource base = GpuResource(gpus);
  Resource shared{"nvidia.com/gpu", {}};
  for (const AllocatableDevice& device : base.devices) {
    for (int n = 0; n < replicas; ++n) {
      AllocatableDevice copy = device;
      copy.id = device.id + "::" + std::to_string(n);
      copy.replicas = replicas;
      shared.devices.push_back(copy);
    }
  }
  return shared;
}

TEST(AllocateTest, VolumeMountsStrategy) {
  AllocateOptions options;
  options.envvar = false;
  options.volume_mounts = true;
  ContainerAllocation allocation =
      BuildContainerAllocation(GpuResource(4), {"GPU-1", "GPU-3"}, options);
  EXPECT_EQ(allocation.envs, (std::map<std::string, std::string>{
                                 {"NVIDIA_VISIBLE_DEVICES", "/var/run/nvidia-container-devices"}}));
  EXPECT_EQ(allocation.mounts,
            (std::vector<Mount>{{"/var/run/nvidia-container-devices/GPU-1", "/dev/null", false},
                                {"/var/run/nvidia-container-devices/GPU-3", "/dev/null", false}}));
  // Both strategies: the volume-mounts value wins, the mounts are there.
  options.envvar = true;
  allocation = BuildContainerAllocation(GpuResource(4), {"GPU-1"}, options);
  EXPECT_EQ(allocation.envs.at("NVIDIA_VISIBLE_DEVICES"), "/var/run/nvidia-container-devices");
  EXPECT_EQ(allocation.mounts.size(), 1u);
}

TEST(AllocateTest, IndexStrategyWithVolumeMounts) {
  AllocateOptions options;
  options.volume_mounts = true;
  options.envvar = false;
  options.id_strategy = DeviceIdStrategy::kIndex;
  ContainerAllocation allocation = BuildContainerAllocation(GpuResource(4), {"GPU-2"}, options);
  EXPECT_EQ(allocation.mounts[0].container_path, "/var/run/nvidia-container-devices/2");
}

TEST(AllocateTest, DeviceSpecsUnderTheDevRoot) {
  AllocateOptions options;
  options.pass_device_specs = true;
  options.dev_root = "/run/nvidia/driver";
  options.control_nodes = {"/dev/nvidiactl", "/dev/nvidia-uvm"};
  Resource shared = WithReplicas(2, 2);
  ContainerAllocation allocation =
      BuildContainerAllocation(shared, {"GPU-1::0", "GPU-1::1"}, options);
  EXPECT_EQ(allocation.envs.at("NVIDIA_VISIBLE_DEVICES"), "GPU-1");
  EXPECT_EQ(allocation.devices,
            (std::vector<DeviceSpec>{{"/dev/nvidiactl", "/run/nvidia/driver/dev/nvidiactl", "rw"},
                                     {"/dev/nvidia-uvm", "/run/nvidia/driver/dev/nvidia-uvm", "rw"},
                                     {"/dev/nvidia1", "/run/nvidia/driver/dev/nvidia1", "rw"},
                                     {"/dev/nvidia1", "/run/nvidia/driver/dev/nvidia1", "rw"}}));
  options.dev_root = "/";
  allocation = BuildContainerAllocation(GpuResource(2), {"GPU-0"}, options);
  EXPECT_EQ(allocation.devices.back(), (DeviceSpec{"/dev/nvidia0", "/dev/nvidia0", "rw"}));
}

TEST(AllocateTest, SharedDevicesOneAtATimeWhenAsked) {
  Resource shared = WithReplicas(2, 4);
  AllocateOptions options;
  EXPECT_NO_THROW(BuildContainerAllocation(shared, {"GPU-0::0", "GPU-1::0"}, options));
  options.fail_requests_greater_than_one = true;
  EXPECT_NO_THROW(BuildContainerAllocation(shared, {"GPU-0::3"}, options));
  try {
    BuildContainerAllocation(shared, {"GPU-0::0", "GPU-1::0"}, options);
    FAIL() << "expected RequestError";
  } catch (const RequestError& error) {
    EXPECT_STREQ(error.what(),
                 "invalid allocation request for \"nvidia.com/gpu\": invalid request: maximum "
                 "request size for shared resources is 1; found 2");
  }
  // Whole GPUs are not limited.
  EXPECT_NO_THROW(BuildContainerAllocation(GpuResource(2), {"GPU-0", "GPU-1"}, options));
}

TEST(AllocateTest, MpsPipeAndSharedMemoryComeFirst) {
  Resource resource = GpuResource(1);
  resource.name = "nvidia.com/gpu.shared";
  resource.devices[0].id = "GPU-0::3";
  AllocateOptions options;
  options.mps_host_root = "/run/nvidia/mps/";
  options.volume_mounts = true;
  options.fail_requests_greater_than_one = true;  // forced for MPS by the config
  ContainerAllocation allocation = BuildContainerAllocation(resource, {"GPU-0::3"}, options);
  EXPECT_EQ(allocation.envs.at("CUDA_MPS_PIPE_DIRECTORY"), "/mps/nvidia.com/gpu.shared/pipe");
  ASSERT_EQ(allocation.mounts.size(), 3u);
  EXPECT_EQ(allocation.mounts[0], (Mount{"/mps/nvidia.com/gpu.shared/pipe",
                                         "/run/nvidia/mps/nvidia.com/gpu.shared/pipe", false}));
  EXPECT_EQ(allocation.mounts[1], (Mount{"/dev/shm", "/run/nvidia/mps/shm", false}));
  EXPECT_EQ(allocation.mounts[2].container_path, std::string(kVolumeMountsRoot) + "/GPU-0");
  EXPECT_EQ(allocation.envs.at("NVIDIA_VISIBLE_DEVICES"), kVolumeMountsRoot);
}

TEST(AllocateTest, WithoutMpsNoMpsEntries) {
  ContainerAllocation allocation = BuildContainerAllocation(GpuResource(1), {"GPU-0"}, {});
  EXPECT_EQ(allocation.envs.count("CUDA_MPS_PIPE_DIRECTORY"), 0u);
  EXPECT_TRUE(allocation.mounts.empty());
}

// The annotation, and the feature variables (with every strategy, as upstream v0.20).
TEST(AllocateTest, CdiAnnotationsAloneGiveTheAnnotationAndFeatureVariables) {
  AllocateOptions options;
  options.envvar = false;
  options.cdi_annotations = true;
  options.gdrcopy = true;
  options.cdi_modes = {"gdrcopy"};
  options.imex_channels = {"0"};
  ContainerAllocation allocation =
      BuildContainerAllocation(GpuResource(4), {"GPU-2", "GPU-0"}, options);
  EXPECT_EQ(allocation.envs, (std::map<std::string, std::string>{{"NVIDIA_GDRCOPY", "enabled"}}));
  EXPECT_TRUE(allocation.cdi_devices.empty());
  ASSERT_EQ(allocation.annotations.size(), 1u);
  const auto& [key, value] = *allocation.annotations.begin();
  EXPECT_TRUE(key.starts_with("cdi.k8s.io/nvidia-device-plugin_")) << key;
  EXPECT_EQ(value,
            "k8s.device-plugin.nvidia.com/gpu=GPU-2,k8s.device-plugin.nvidia.com/gpu=GPU-0,"
            "k8s.device-plugin.nvidia.com/imex-channel=0,k8s.device-plugin.nvidia.com/gdrcopy=all");
}

TEST(AllocateTest, CdiAnnotationKeysAreFreshUuidsUnderThePrefix) {
  const std::string a = CdiAnnotationKey("example.com/"), b = CdiAnnotationKey("example.com/");
  EXPECT_NE(a, b);
  const std::string prefix = "example.com/nvidia-device-plugin_";
  ASSERT_TRUE(a.starts_with(prefix)) << a;
  const std::string uuid = a.substr(prefix.size());
  ASSERT_EQ(uuid.size(), 36u) << uuid;
  EXPECT_EQ(uuid[14], '4');                                                  // version 4
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;  // variant 10xx
  EXPECT_LE(a.size() - std::string("example.com/").size(), 63u);             // a valid key name
}

TEST(AllocateTest, CdiCriWithEnvvarAndIndexIds) {
  AllocateOptions options;
  options.cdi_cri = true;
  options.id_strategy = DeviceIdStrategy::kIndex;
  options.imex_channels = {"0"};
  ContainerAllocation allocation = BuildContainerAllocation(GpuResource(4), {"GPU-3"}, options);
  EXPECT_EQ(allocation.cdi_devices,
            (std::vector<std::string>{"k8s.device-plugin.nvidia.com/gpu=3",
                                      "k8s.device-plugin.nvidia.com/imex-channel=0"}));
  EXPECT_TRUE(allocation.annotations.empty());
  EXPECT_EQ(allocation.envs, (std::map<std::string, std::string>{{"NVIDIA_VISIBLE_DEVICES", "3"},
                                                                 {"NVIDIA_IMEX_CHANNELS", "0"}}));
}

TEST(AllocateTest, ImexChannelsInVolumeMountsAndDeviceSpecs) {
  AllocateOptions options;
  options.envvar = false;
  options.volume_mounts = true;
  options.pass_device_specs = true;
  options.dev_root = "/run/nvidia/driver";
  options.imex_channels = {"0"};
  ContainerAllocation allocation = BuildContainerAllocation(GpuResource(1), {"GPU-0"}, options);
  EXPECT_EQ(allocation.mounts.back(),
            (Mount{std::string(kVolumeMountsRoot) + "/imex/0", "/dev/null", false}));
  EXPECT_EQ(allocation.devices.back(),
            (DeviceSpec{"/dev/nvidia-caps-imex-channels/channel0",
                        "/run/nvidia/driver/dev/nvidia-caps-imex-channels/channel0", "rw"}));
  EXPECT_EQ(allocation.envs.count("NVIDIA_IMEX_CHANNELS"), 0u);  // only with envvar
}

TEST(AllocateTest, MpsAlsoWithOnlyCdi) {
  AllocateOptions options;
  options.envvar = false;
  options.cdi_cri = true;
  options.mps_host_root = "/run/nvidia/mps";
  ContainerAllocation allocation = BuildContainerAllocation(GpuResource(1), {"GPU-0"}, options);
  EXPECT_EQ(allocation.envs, (std::map<std::string, std::string>{
                                 {"CUDA_MPS_PIPE_DIRECTORY", "/mps/nvidia.com/gpu/pipe"}}));
  EXPECT_EQ(allocation.mounts.size(), 2u);
  EXPECT_EQ(allocation.cdi_devices.size(), 1u);
}

TEST(AllocateTest, FeatureEnvironmentVariables) {
  AllocateOptions options;
  options.gdrcopy = options.gds = options.mofed = true;
  ContainerAllocation allocation = BuildContainerAllocation(GpuResource(1), {"GPU-0"}, options);
  EXPECT_EQ(allocation.envs,
            (std::map<std::string, std::string>{{"NVIDIA_GDRCOPY", "enabled"},
                                                {"NVIDIA_GDS", "enabled"},
                                                {"NVIDIA_MOFED", "enabled"},
                                                {"NVIDIA_VISIBLE_DEVICES", "GPU-0"}}));
}

TEST(AllocateTest, StripsReplicaSuffixes) {
  EXPECT_EQ(StripReplicaSuffix("GPU-a::3"), "GPU-a");
  EXPECT_EQ(StripReplicaSuffix("MIG-b"), "MIG-b");
}

}  // namespace
}  // namespace nvdp::plugin
