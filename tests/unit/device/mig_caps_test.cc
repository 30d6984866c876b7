#include "device/mig_caps.h"

#include <gtest/gtest.h>

namespace nvdp::device {
namespace {

TEST(MigCapsTest, ResolvesCapabilityNodes) {
  MigCaps caps = MigCaps::Parse(
      "config 1\nmonitor 2\ngpu0/gi1/access 12\ngpu0/gi1/ci0/access 13\ngpu3/gi2/access 40\n");
  EXPECT_EQ(caps.GpuInstancePath(0, 1), "/dev/nvidia-caps/nvidia-cap12");
  EXPECT_EQ(caps.ComputeInstancePath(0, 1, 0), "/dev/nvidia-caps/nvidia-cap13");
  EXPECT_EQ(caps.GpuInstancePath(3, 2), "/dev/nvidia-caps/nvidia-cap40");
  EXPECT_EQ(caps.ComputeInstancePath(3, 2, 0), std::nullopt);
  EXPECT_EQ(caps.GpuInstancePath(1, 1), std::nullopt);
}

}  // namespace
}  // namespace nvdp::device
