// The names the plugin registers its resources under.
#include "plugin/server/kubelet_registration.h"

#include <gtest/gtest.h>

namespace nvdp::plugin {
namespace {

TEST(KubeletRegistrationTest, SocketNames) {
  EXPECT_EQ(SocketName("nvidia.com/gpu"), "nvidia-gpu.sock");
  EXPECT_EQ(SocketName("nvidia.com/gpu.shared"), "nvidia-gpu.shared.sock");
  EXPECT_EQ(SocketName("nvidia.com/mig-1g.5gb"), "nvidia-mig-1g.5gb.sock");
}

}  // namespace
}  // namespace nvdp::plugin
