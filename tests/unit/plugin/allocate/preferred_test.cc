#include "plugin/allocate/preferred.h"

#include <gtest/gtest.h>

#include "plugin/allocate/allocate.h"
#include "plugin/test_resources.h"

namespace nvdp::plugin {
namespace {

using testing::GpuResource;
using Ids = std::vector<std::string>;

// Four GPUs: 0-1 joined by two NVLinks, 2-3 by one, everything else over the CPU interconnect.
alloc::PairScores FourGpuScores() {
  device::LinkMatrix links(4);
  for (size_t a = 0; a < 4; ++a) {
    for (size_t b = 0; b < 4; ++b) {
      if (a != b)
        links.SetP2P(a, b, a / 2 == b / 2 ? device::P2PLink::kSameCpu : device::P2PLink::kCrossCpu);
    }
  }
  for (auto [a, b, count] : {std::tuple{0, 1, 2}, {1, 0, 2}, {2, 3, 1}, {3, 2, 1}}) {
    links.SetNvLinks(a, b, count);
  }
  return alloc::PairScores(links);
}

// `gpus` GPUs with `replicas` time-sliced replicas each, as BuildResources names them.
Resource ReplicaResource(int gpus, int replicas) {
  Resource resource{"nvidia.com/gpu", {}};
  for (const AllocatableDevice& gpu : GpuResource(gpus).devices) {
    for (int r = 0; r < replicas; ++r) {
      AllocatableDevice device = gpu;
      device.id = gpu.id + "::" + std::to_string(r);
      device.replicas = replicas;
      resource.devices.push_back(device);
    }
  }
  return resource;
}

class PreferredTest : public ::testing::Test {
 protected:
  alloc::PairScores scores_ = FourGpuScores();
  Resource gpus_ = GpuResource(4);
  PreferredAllocator allocator_{gpus_, {&scores_, alloc::SharedPolicy::kDistributed}};
};

TEST_F(PreferredTest, WholeGpusFollowTheLinkScores) {
  EXPECT_TRUE(allocator_.aligned());
  EXPECT_EQ(allocator_.Choose({"GPU-0", "GPU-1", "GPU-2", "GPU-3"}, {}, 2),
            (Ids{"GPU-0", "GPU-1"}));
  EXPECT_EQ(allocator_.Choose({"GPU-3", "GPU-0", "GPU-2"}, {}, 2), (Ids{"GPU-3", "GPU-2"}));
  EXPECT_EQ(allocator_.Choose({"GPU-0", "GPU-1", "GPU-2", "GPU-3"}, {"GPU-2"}, 2),
            (Ids{"GPU-2", "GPU-3"}));
}

TEST_F(PreferredTest, WithoutScoresTakesTheKubeletsOrder) {
  PreferredAllocator plain(gpus_, {});
  EXPECT_EQ(plain.Choose({"GPU-3", "GPU-1", "GPU-0"}, {}, 2), (Ids{"GPU-3", "GPU-1"}));
}

TEST_F(PreferredTest, UnhealthyGpusAreLeftOutWhileEnoughRemain) {
  HealthCheck gpu0_lost = [](const AllocatableDevice& d) { return d.id != "GPU-0"; };
  EXPECT_EQ(allocator_.Choose({"GPU-0", "GPU-1", "GPU-2", "GPU-3"}, {}, 2, gpu0_lost),
            (Ids{"GPU-2", "GPU-3"}));
  EXPECT_EQ(allocator_.Choose({"GPU-0", "GPU-1", "GPU-2", "GPU-3"}, {}, 3, gpu0_lost),
            (Ids{"GPU-1", "GPU-2", "GPU-3"}));
  // The kubelet's offer stands when it cannot be met otherwise, and must-include is honoured.
  EXPECT_EQ(allocator_.Choose({"GPU-0", "GPU-1"}, {}, 2, gpu0_lost), (Ids{"GPU-0", "GPU-1"}));
  EXPECT_EQ(allocator_.Choose({"GPU-0", "GPU-1", "GPU-2", "GPU-3"}, {"GPU-0"}, 2, gpu0_lost),
            (Ids{"GPU-0", "GPU-1"}));
}

TEST_F(PreferredTest, ReplicasUseTheSharedPolicy) {
  Resource replicas = ReplicaResource(2, 3);
  PreferredAllocator distributed(replicas, {&scores_, alloc::SharedPolicy::kDistributed});
  PreferredAllocator packed(replicas, {&scores_, alloc::SharedPolicy::kPacked});
  EXPECT_FALSE(distributed.aligned());
  const Ids all = {"GPU-0::0", "GPU-0::1", "GPU-0::2", "GPU-1::0", "GPU-1::1", "GPU-1::2"};
  EXPECT_EQ(distributed.Choose(all, {}, 2), (Ids{"GPU-0::0", "GPU-1::0"}));
  EXPECT_EQ(packed.Choose(all, {}, 2), (Ids{"GPU-0::0", "GPU-0::1"}));
  // An unhealthy GPU's replicas are passed over.
  HealthCheck gpu0_lost = [](const AllocatableDevice& d) { return d.gpu_uuid != "GPU-0"; };
  EXPECT_EQ(packed.Choose(all, {}, 2, gpu0_lost), (Ids{"GPU-1::0", "GPU-1::1"}));
}

TEST_F(PreferredTest, MigDevicesSpreadOverTheirParentGpus) {
  Resource mig{"nvidia.com/mig-1g.10gb", {}};
  for (int gpu = 0; gpu < 2; ++gpu) {
    for (int i = 0; i < 2; ++i) {
      AllocatableDevice device;
      device.id = "MIG-" + std::to_string(gpu) + std::to_string(i);
      device.gpu_uuid = "GPU-" + std::to_string(gpu);
      device.index = std::to_string(gpu) + ":" + std::to_string(i);
      device.gpu_position = static_cast<size_t>(gpu);
      device.mig = true;
      mig.devices.push_back(device);
    }
  }
  PreferredAllocator distributed(mig, {});
  EXPECT_FALSE(distributed.aligned());
  EXPECT_EQ(distributed.Choose({"MIG-00", "MIG-01", "MIG-10", "MIG-11"}, {}, 2),
            (Ids{"MIG-00", "MIG-10"}));
}

TEST_F(PreferredTest, ImpossibleRequestsAreErrors) {
  struct Case {
    Ids available, must;
    int size;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"GPU-0"}, {}, 0, "allocation size must be at least 1, got 0"},
           {{"GPU-0", "GPU-1"}, {}, 3, "not enough available devices: 2 available, 3 requested"},
           {{"GPU-0", "GPU-1"}, {"GPU-2"}, 1, "must-include device GPU-2 is not available"},
           {{"GPU-0", "GPU-1"},
            {"GPU-0", "GPU-1"},
            1,
            "2 must-include devices exceed the allocation size 1"},
           {{"GPU-0", "GPU-7"}, {}, 1, "unknown device: GPU-7"},
           {{"GPU-0", "GPU-0"}, {}, 1, "device listed twice: GPU-0"},
           {{"GPU-0", "GPU-\x1b[2J" + std::string(100000, 'x')},
            {},
            1,
            "unknown device: GPU-\\x1b[2Jxxx"},
           {{"GPU-0"}, {std::string(100000, 'm')}, 1, "unknown device: mmmm"},
       }) {
    try {
      allocator_.Choose(c.available, c.must, c.size);
      FAIL() << c.message;
    } catch (const RequestError& error) {
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << error.what();
      EXPECT_LT(std::string(error.what()).size(), 300u);
    }
  }
}

}  // namespace
}  // namespace nvdp::plugin
